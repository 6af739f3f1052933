#!/usr/bin/env bash
# The main job, for now: install what is missing, build, show the CLI, make a filesystem in
# a temporary image and show its superblock, and run a short block-layer demo
# (FileBlockDevice against a raw FileChannel).
#
# Later issues grow this into the whole story: mkfs an image, mount it through FUSE, use it,
# unmount, fsck it.
set -euo pipefail
root="$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")"
cd "$root"

step() { printf '\n== %s\n' "$*"; }

# The demo image lives in its own temporary directory, removed however the script ends.
demo_dir="$(mktemp -d "${TMPDIR:-/tmp}/keelfs-demo.XXXXXX")"
trap 'rm -rf "$demo_dir"' EXIT
image="$demo_dir/demo.img"

step "install what is missing (scripts/install-deps.sh)"
bash scripts/install-deps.sh

step "build cli/target/keelfs.jar (bin/keelfs builds it when sources are newer)"
bin/keelfs --version

step "bin/keelfs --help"
bin/keelfs --help

step "filesystem: bin/keelfs mkfs $image --size 256M --label demo"
bin/keelfs mkfs "$image" --size 256M --label demo
printf 'image: %s bytes, %s KiB allocated (sparse)\n' \
    "$(stat -c %s "$image")" "$(( $(stat -c %b "$image") * 512 / 1024 ))"

step "bin/keelfs show-super $image"
bin/keelfs show-super "$image"

step "mkfs refuses to overwrite a filesystem without --force (exit code 1 expected)"
if bin/keelfs mkfs "$image" --size 256M; then
    echo "demo: mkfs overwrote an existing filesystem without --force" >&2
    exit 1
fi
rm -f "$image"

step "block layer: bin/keelfs bench blockdev --size 64M --rounds 1"
bin/keelfs bench blockdev --size 64M --rounds 1
