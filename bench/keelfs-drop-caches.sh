#!/bin/bash
# keelfs-drop-caches.sh MOUNTPOINT: empties a keelfs mount's in-process caches (btree node
# cache, key cache) so that read figures measured after it come from the image file, not from
# the daemon's heap. It sets the control xattr trusted.keelfs.drop_caches on the mount's root,
# which makes the daemon checkpoint and then drop every cached node and key, as
# `sync; echo 3 > /proc/sys/vm/drop_caches` does for a kernel filesystem. The daemon keeps
# running (its JIT stays warm, as a kernel filesystem's code is never cold).
# KEELFS_DROP=remount unmounts and mounts the image again instead (a fresh JVM: the
# earlier behaviour, which also charges JIT warm-up to every read phase).
# A mountpoint that is not a keelfs mount (e.g. fuse2fs in the same run) is left alone.
# Used as FSBENCH_DROP_CMD by bench/fuse-peers.sh (after fsbench.sh's kernel drop_caches).
set -euo pipefail
root="$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")"
mnt=${1:?usage: keelfs-drop-caches.sh MOUNTPOINT}
fstype=$(findmnt -n -o FSTYPE --mountpoint "$mnt" || true)
[ "$fstype" = fuse.keelfs ] || exit 0
if [ "${KEELFS_DROP:-xattr}" = remount ]; then
    image=$(findmnt -n -o SOURCE --mountpoint "$mnt")
    "$root/bench/keelfs-umount.sh" "$mnt" "$image"
    # KEELFS: the keelfs command to mount with (fuse-peers.sh sets its jar snapshot).
    ${KEELFS:-$root/bin/keelfs} mount "$image" "$mnt"
else
    setfattr -n trusted.keelfs.drop_caches -v 1 "$mnt"
fi
