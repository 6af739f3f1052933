#!/usr/bin/env bash
# The main job, for now: install what is missing, build, show the CLI, and run a short
# block-layer demo (FileBlockDevice against a raw FileChannel).
#
# Later issues grow this into the whole story: mkfs an image, mount it through FUSE, use it,
# unmount, fsck it. Until then the block layer is what there is to show.
set -euo pipefail
root="$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")"
cd "$root"

step() { printf '\n== %s\n' "$*"; }

step "install what is missing (scripts/install-deps.sh)"
bash scripts/install-deps.sh

step "build cli/target/keelfs.jar (bin/keelfs builds it when sources are newer)"
bin/keelfs --version

step "bin/keelfs --help"
bin/keelfs --help

step "block layer: bin/keelfs bench blockdev --size 64M --rounds 1"
bin/keelfs bench blockdev --size 64M --rounds 1
