#!/bin/bash
# keelfs-umount.sh MOUNTPOINT [IMAGE]: unmounts a keelfs mount and waits (up to 60 s) until its
# daemon has closed the image (flushed, lock released, JVM gone), so that the next mount or
# mkfs of the same image never races it.
set -euo pipefail
mnt=${1:?usage: keelfs-umount.sh MOUNTPOINT [IMAGE]}
image=${2:-$(findmnt -n -o SOURCE --mountpoint "$mnt" || true)}
fusermount -u "$mnt"
if [ -n "$image" ] && [ -e "$image" ]; then
    for _ in $(seq 600); do fuser -s "$image" 2>/dev/null || exit 0; sleep 0.1; done
    echo "keelfs-umount: $image still open 60 s after unmounting $mnt" >&2
    exit 1
fi
