#!/usr/bin/env bash
# The end-to-end shell workload of FuseKeelfsWorkloadTest, over a keelfs mount at MNT, in
# phases so that the test can unmount, fsck and remount in between:
#   populate  cp -a of SRC (default /usr/share/doc) and diff -r; then links, renames, modes,
#             truncation, ns times, xattrs, O_DIRECT writes and reads, fallocate; leaves a
#             known state in MNT/tree and MNT/w
#   verify    after a remount: the same diff, and the state populate left, read back
#   remove    rm -rf of all of it; MNT is empty
# /usr/share/doc holds relative symlinks that dangle in a copy: diff --no-dereference.
# Fails at the first difference.
set -euo pipefail
trap 'echo "e2e-workload.sh: line $LINENO failed: $BASH_COMMAND" >&2' ERR
mnt=${MNT:?}
src=${SRC:-/usr/share/doc}
phase=${1:?phase: populate, verify or remove}

check_state() {
    diff -r --no-dereference "$src" "$mnt/tree"
    test "$(cat "$mnt/w/hard")" = hi
    test "$(stat -c %h "$mnt/w/b")" = 2
    test "$(stat -c %a "$mnt/w/hard")" = 640
    test "$(stat -c %s "$mnt/w/b")" = 3
    test "$(stat -c %y "$mnt/w/b")" = "2001-02-03 04:05:06.789000000 +0000"
    test "$(readlink "$mnt/w/sym")" = a
    test ! -e "$mnt/w/sym"
    cmp "$mnt/w/random" "$mnt/w/direct"
    dd if="$mnt/w/direct" bs=64k iflag=direct status=none | cmp - "$mnt/w/random"
    test "$(stat -c %s "$mnt/w/falloc")" = 1048576
    cmp -n 1048576 "$mnt/w/falloc" /dev/zero
    test "$(stat -c %s "$mnt/w/grown")" = 1048576
    test "$(head -c 5 "$mnt/w/grown")" = hello
    test "$(getfattr --only-values -n user.k "$mnt/w/b")" = v2
    test "$(getfattr --only-values -n user.big "$mnt/w/b" | wc -c)" = 3000
    ! getfattr -n user.gone "$mnt/w/b" 2>/dev/null
    test "$(ls "$mnt/moved" | wc -l)" = 50
    test ! -e "$mnt/gone"
}

case $phase in
populate)
    cp -a "$src" "$mnt/tree"
    diff -r --no-dereference "$src" "$mnt/tree"

    mkdir "$mnt/w"
    echo hi > "$mnt/w/a"
    ln "$mnt/w/a" "$mnt/w/hard"
    ln -s a "$mnt/w/sym"
    test "$(cat "$mnt/w/sym")" = hi
    test "$(stat -c %h "$mnt/w/a")" = 2
    mv "$mnt/w/a" "$mnt/w/b"
    test ! -e "$mnt/w/sym"          # dangling now
    chmod 640 "$mnt/w/b"
    truncate -s 1M "$mnt/w/b"
    test "$(stat -c %s "$mnt/w/b")" = 1048576
    truncate -s 3 "$mnt/w/b"
    touch -d '2001-02-03 04:05:06.789' "$mnt/w/b"

    dd if=/dev/urandom of="$mnt/w/random" bs=128k count=16 status=none
    dd if="$mnt/w/random" of="$mnt/w/direct" bs=128k oflag=direct status=none
    # an O_DIRECT overwrite in the middle, unaligned to 128k, then the same in the reference
    dd if=/dev/urandom of="$mnt/w/patch" bs=4k count=9 status=none
    dd if="$mnt/w/patch" of="$mnt/w/direct" bs=4k seek=77 conv=notrunc oflag=direct status=none
    dd if="$mnt/w/patch" of="$mnt/w/random" bs=4k seek=77 conv=notrunc status=none
    rm "$mnt/w/patch"

    dd if=/dev/urandom of="$mnt/w/falloc" bs=64k count=16 status=none
    fallocate -p -o 0 -l 1M "$mnt/w/falloc"        # punch it all (keeps the size)
    echo hello > "$mnt/w/grown"
    truncate -s 1M "$mnt/w/grown"

    setfattr -n user.k -v v1 "$mnt/w/b"
    setfattr -n user.k -v v2 "$mnt/w/b"
    setfattr -n user.big -v "$(head -c 3000 /dev/zero | tr '\0' x)" "$mnt/w/b"
    setfattr -n user.gone -v x "$mnt/w/b"
    setfattr -x user.gone "$mnt/w/b"

    mkdir "$mnt/many" "$mnt/gone"
    for i in $(seq 50); do echo "$i" > "$mnt/many/f$i"; ln -s "f$i" "$mnt/gone/s$i"; done
    mv "$mnt/many" "$mnt/moved"
    rm -rf "$mnt/gone"
    check_state
    sync -f "$mnt/w/b"
    ;;
verify)
    check_state
    ;;
remove)
    rm -rf "$mnt/tree" "$mnt/w" "$mnt/moved"
    test -z "$(ls -A "$mnt")"
    ;;
*)
    echo "unknown phase $phase" >&2
    exit 2
    ;;
esac
echo "phase-$phase-ok"
