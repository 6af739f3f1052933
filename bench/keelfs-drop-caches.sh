#!/bin/bash
# keelfs-drop-caches.sh MOUNTPOINT: empties a keelfs mount's in-process caches (btree node
# cache, key cache, JIT-warm nothing else) by unmounting it and mounting the same image again,
# so read figures measured after it come from the image file, not from the daemon's heap.
# A mountpoint that is not a keelfs mount (e.g. fuse2fs in the same run) is left alone.
# Used as FSBENCH_DROP_CMD by bench/fuse-peers.sh (after fsbench.sh's kernel drop_caches).
set -euo pipefail
root="$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")"
mnt=${1:?usage: keelfs-drop-caches.sh MOUNTPOINT}
fstype=$(findmnt -n -o FSTYPE --mountpoint "$mnt" || true)
[ "$fstype" = fuse.keelfs ] || exit 0
image=$(findmnt -n -o SOURCE --mountpoint "$mnt")
"$root/bench/keelfs-umount.sh" "$mnt" "$image"
# KEELFS: the keelfs command to mount with (fuse-peers.sh sets its jar snapshot).
${KEELFS:-$root/bin/keelfs} mount "$image" "$mnt"
