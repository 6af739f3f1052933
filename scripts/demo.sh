#!/usr/bin/env bash
# The main job: install what is missing, build, make a filesystem in a temporary image, mount
# it through FUSE, use it (copy a real tree, write and read files, links, xattrs), unmount,
# fsck it, mount it again and check everything is still there, unmount, fsck again.
set -euo pipefail
root="$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")"
cd "$root"

step() { printf '\n== %s\n' "$*"; }

# The demo image and mountpoint live in their own temporary directory, removed (after an
# unmount if still mounted) however the script ends.
demo_dir="$(mktemp -d "${TMPDIR:-/tmp}/keelfs-demo.XXXXXX")"
image="$demo_dir/demo.img"
mnt="$demo_dir/mnt"
mkdir "$mnt"
cleanup() {
    if mountpoint -q "$mnt"; then umount "$mnt" || fusermount -u -z "$mnt" || true; fi
    rm -rf "$demo_dir"
}
trap cleanup EXIT

# Waits (bounded) for the daemon of an unmounted image to release it.
wait_released() {
    for _ in $(seq 50); do
        if bin/keelfs fsck -n "$image" >/dev/null 2>&1 && ! pgrep -f "mount $image" >/dev/null; then
            return 0
        fi
        sleep 0.1
    done
}

step "install what is missing (scripts/install-deps.sh)"
bash scripts/install-deps.sh

step "build cli/target/keelfs.jar (bin/keelfs builds it when sources are newer)"
bin/keelfs --version

step "bin/keelfs mkfs $image --size 256M --label demo"
bin/keelfs mkfs "$image" --size 256M --label demo
bin/keelfs show-super "$image" | sed -n '1,12p'

step "bin/keelfs mount $image $mnt"
bin/keelfs mount "$image" "$mnt"
grep " $mnt " /proc/self/mounts

step "use it: copy /usr/share/doc, write a file with O_DIRECT, links, xattrs"
src=/usr/share/doc
cp -a "$src" "$mnt/doc"
dd if=/dev/urandom of="$demo_dir/random.bin" bs=1M count=16 status=none
dd if="$demo_dir/random.bin" of="$mnt/random.bin" bs=1M oflag=direct status=none
ln "$mnt/random.bin" "$mnt/hardlink.bin"
ln -s random.bin "$mnt/symlink.bin"
mkdir -p "$mnt/a/b/c" && echo "hello keelfs" > "$mnt/a/b/c/hello.txt"
mv "$mnt/a/b/c/hello.txt" "$mnt/a/hello.txt"
setfattr -n user.demo -v "it works" "$mnt/a/hello.txt"
getfattr -n user.demo "$mnt/a/hello.txt"
diff -r --no-dereference "$src" "$mnt/doc" && echo "diff -r $src: identical"
cmp "$demo_dir/random.bin" "$mnt/hardlink.bin" && echo "random.bin: identical"
df -h "$mnt"

step "unmount, then bin/keelfs fsck $image"
umount "$mnt"
wait_released
bin/keelfs fsck "$image"

step "mount again and check that everything is still there"
bin/keelfs mount "$image" "$mnt"
diff -r --no-dereference "$src" "$mnt/doc" && echo "diff -r $src: identical after remount"
cmp "$demo_dir/random.bin" "$mnt/symlink.bin" && echo "random.bin: identical after remount"
cat "$mnt/a/hello.txt"
rm -rf "$mnt/doc"
umount "$mnt"
wait_released

step "bin/keelfs fsck $image after removing the tree"
bin/keelfs fsck "$image"
echo
echo "demo: done"
