#!/bin/bash
# fsck-peers.sh [--files N] [--per-dir N] [--bytes N] [--rounds N] [--rebuild]
#
# Issue 6's fsck benchmark: `keelfs fsck -n` against `e2fsck -fn` on the same tree, N small
# files (default 1,000,000 of 100 bytes, 1,000 to a directory /dK). The keelfs image is made
# in process (bench/FsckTree.java through KeelImage/KeelFilesystem, no FUSE); the ext4 image
# is mkfs.ext4 + `mount -o loop`, the same files written through the kernel by a second
# thread meanwhile (without root: a staged tree and `mkfs.ext4 -d`). The images are kept in
# the work directory and reused while files/per-dir/bytes match (--rebuild makes them again).
#
# Each round runs the real CLI, `bin/keelfs fsck -n --verbose IMAGE` (a fresh JVM: cold, as
# a user runs it, with -Xmx512m, issue 6's heap bound; bin/keelfs's fsck JVM options), then
# `e2fsck -fn`, alternating keelfs e2fsck keelfs e2fsck ..., each under /usr/bin/time -v.
# Both images sit in the page cache after the first round (both read warm). Prints every run
# and the medians of wall time, CPU time (user + sys: the steadier figure on a loaded
# machine), peak RSS and (keelfs) the JVM's peak heap use, and the keelfs/e2fsck ratios
# against the target (<= 1.0).
#
# Env: FSCK_PEERS_WORK (images and logs; default .bench/fsck-peers), KEELFS_JAVA_OPTS (extra
# JVM options for keelfs; -Xmx512m comes first, so a later -Xmx wins). Needs e2fsprogs and
# /usr/bin/time (apt-get install time). Exit 0 whatever the figures; 1 if a run fails.
set -euo pipefail
export LC_ALL=C
root="$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")"
work=${FSCK_PEERS_WORK:-$root/.bench/fsck-peers}
files=1000000; per_dir=1000; bytes=100; rounds=3; rebuild=false
while [ $# -gt 0 ]; do
    case $1 in
        --files) files=$2; shift 2 ;;
        --per-dir) per_dir=$2; shift 2 ;;
        --bytes) bytes=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --rebuild) rebuild=true; shift ;;
        *) echo "usage: $0 [--files N] [--per-dir N] [--bytes N] [--rounds N] [--rebuild]" >&2
           exit 2 ;;
    esac
done
for tool in mkfs.ext4 e2fsck /usr/bin/time java; do
    command -v "$tool" >/dev/null || { echo "fsck-peers: $tool missing" >&2; exit 2; }
done
mkdir -p "$work"
keel=$work/keel.img; ext4=$work/ext4.img; stamp=$work/images.stamp
# Build the jar now, not inside the first timed run.
"$root/bin/keelfs" --version >/dev/null

make_images() {
    rm -rf "$keel" "$ext4" "$stamp" "$work/tree" "$work/mnt"
    local inodes=$((files + files / per_dir + 4096))
    local ext4_mib=$((files * 8 / 1024 > 256 ? files * 8 / 1024 : 256))
    local tree_args=(java -Xmx2g -cp "$root/cli/target/keelfs.jar" "$root/bench/FsckTree.java"
        "$keel" "$files" "$per_dir" "$bytes")
    if [ "$(id -u)" = 0 ] && losetup -f >/dev/null 2>&1; then
        mkfs.ext4 -q -F -N "$inodes" "$ext4" "${ext4_mib}M"
        mkdir -p "$work/mnt"
        mount -o loop "$ext4" "$work/mnt"
        trap 'umount "$work/mnt" 2>/dev/null || true' EXIT
        "${tree_args[@]}" "$work/mnt/tree"
        umount "$work/mnt"
        trap - EXIT
    else
        "${tree_args[@]}" "$work/tree"
        mkfs.ext4 -q -F -N "$inodes" -d "$work/tree" "$ext4" "${ext4_mib}M"
        rm -rf "$work/tree"
    fi
    echo "$files $per_dir $bytes" > "$stamp"
}

if $rebuild || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$files $per_dir $bytes" ]; then
    start=$(date +%s)
    make_images
    echo "fsck-peers: images of $files files made in $(( $(date +%s) - start )) s" >&2
fi

# One timed run: NAME EXPECTED_EXIT CMD... -> appends "name wall cpu rss_kib heap_mib" to runs.
runs=$work/runs.tsv
: > "$runs"
timed() {
    local name=$1; shift
    local tv=$work/$name.time log=$work/$name.log
    local rc=0
    /usr/bin/time -v -o "$tv" "$@" > "$log" 2>&1 || rc=$?
    if [ "$rc" != 0 ]; then
        echo "fsck-peers: $name exit $rc (expected 0, a clean image); log $log:" >&2
        tail -20 "$log" >&2
        exit 1
    fi
    python3 - "$tv" "$log" "$name" >> "$runs" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def field(label):
    return re.search(re.escape(label) + r': (.*)', t).group(1).strip()
parts = [float(p) for p in field('Elapsed (wall clock) time (h:mm:ss or m:ss)').split(':')]
wall = 0.0
for p in parts:
    wall = wall * 60 + p
cpu = float(field('User time (seconds)')) + float(field('System time (seconds)'))
rss = int(field('Maximum resident set size (kbytes)'))
m = re.search(r'peak heap used (\d+) MiB', open(sys.argv[2]).read())
print('%s\t%.2f\t%.2f\t%d\t%s' % (sys.argv[3], wall, cpu, rss, m.group(1) if m else '-'))
PY
}

for ((r = 1; r <= rounds; r++)); do
    KEELFS_JAVA_OPTS="-Xmx512m ${KEELFS_JAVA_OPTS:-}" \
        timed keelfs "$root/bin/keelfs" fsck -n --verbose "$keel"
    timed e2fsck e2fsck -fn "$ext4"
    tail -2 "$runs" | awk -F'\t' -v r="$r" '{ printf "round %d: %-7s %7.2f s wall %7.2f s cpu'\
' %7.0f MiB rss  heap %s MiB\n", r, $1, $2, $3, $4 / 1024, $5 }' >&2
done
grep -h "fsck: .* ms, cpu\|fsck: peak heap\|files, .* directories" "$work/keelfs.log" >&2 || true

python3 - "$runs" "$files" "$rounds" <<'PY'
import statistics, sys
rows = [l.split('\t') for l in open(sys.argv[1]).read().splitlines()]
def med(name, col):
    return statistics.median(float(r[col]) for r in rows if r[0] == name)
k = {c: med('keelfs', i) for c, i in (('wall', 1), ('cpu', 2), ('rss', 3))}
e = {c: med('e2fsck', i) for c, i in (('wall', 1), ('cpu', 2), ('rss', 3))}
heap = [int(r[4]) for r in rows if r[0] == 'keelfs' and r[4] != '-']
print('## fsck -n: keelfs against e2fsck -fn, %s files, median of %s rounds\n'
      % (sys.argv[2], sys.argv[3]))
print('| | wall s | cpu s | peak RSS MiB | peak heap MiB |')
print('|---|---:|---:|---:|---:|')
print('| keelfs fsck -n | %.2f | %.2f | %.0f | %s |' % (k['wall'], k['cpu'], k['rss'] / 1024,
      max(heap) if heap else '-'))
print('| e2fsck -fn | %.2f | %.2f | %.0f | |' % (e['wall'], e['cpu'], e['rss'] / 1024))
for c in ('wall', 'cpu'):
    ratio = k[c] / e[c] if e[c] > 0 else float('inf')
    print('\nratio keelfs/e2fsck (%s): %.2f, target <= 1.0: %s'
          % (c, ratio, 'PASS' if ratio <= 1.0 else 'MISS'), end='')
print()
PY
