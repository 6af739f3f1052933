#!/usr/bin/env bash
# The end-to-end shell workload of FuseWorkloadTest, run against a mounted MNT: copy a real
# tree and compare it, then links, renames, modes, truncation, xattrs, O_DIRECT, and removal.
# SRC is the tree to copy (default /usr/share/doc). Fails at the first difference.
set -euo pipefail
trap 'echo "shell-workload.sh: line $LINENO failed: $BASH_COMMAND" >&2' ERR
mnt=${MNT:?}
src=${SRC:-/usr/share/doc}

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
test "$(cat "$mnt/w/hard")" = hi
chmod 640 "$mnt/w/b"
test "$(stat -c %a "$mnt/w/hard")" = 640
truncate -s 1M "$mnt/w/b"
test "$(stat -c %s "$mnt/w/b")" = 1048576
truncate -s 3 "$mnt/w/b"
test "$(cat "$mnt/w/b")" = hi
touch -d '2001-02-03 04:05:06.789' "$mnt/w/b"
test "$(stat -c %y "$mnt/w/b")" = "2001-02-03 04:05:06.789000000 +0000"

dd if=/dev/urandom of="$mnt/w/random" bs=128k count=16 status=none
dd if="$mnt/w/random" of="$mnt/w/direct" bs=128k oflag=direct status=none
cmp "$mnt/w/random" "$mnt/w/direct"
dd if="$mnt/w/direct" bs=64k iflag=direct status=none | cmp - "$mnt/w/random"

fallocate -l 1M "$mnt/w/falloc"
test "$(stat -c %s "$mnt/w/falloc")" = 1048576
fallocate -p -o 0 -l 4096 "$mnt/w/falloc"       # punch hole (keeps the size)
test "$(stat -c %s "$mnt/w/falloc")" = 1048576
if fallocate -c -o 0 -l 4096 "$mnt/w/falloc" 2>"$mnt/../collapse.err"; then
    echo "collapse-range should be unsupported" >&2
    exit 1
fi
grep -q "not supported" "$mnt/../collapse.err"
sync "$mnt/w/falloc"                               # fsync through the mount
sync -f "$mnt/w/falloc"                            # syncfs

if command -v setfattr >/dev/null && command -v getfattr >/dev/null; then
    setfattr -n user.k -v v1 "$mnt/w/b"
    test "$(getfattr --only-values -n user.k "$mnt/w/b")" = v1
    getfattr -d "$mnt/w/b" | grep -q '^user.k="v1"$'
    setfattr -x user.k "$mnt/w/b"
    ! getfattr -n user.k "$mnt/w/b" 2>/dev/null
fi

rm -rf "$mnt/tree" "$mnt/w"
test -z "$(ls -A "$mnt")"
echo workload-ok
