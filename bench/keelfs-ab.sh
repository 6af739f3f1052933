#!/bin/bash
# keelfs-ab.sh [--rounds N] [--size SIZE] JAR... : the same few fio workloads on keelfs built
# from different jars (before/after a change), interleaved A B A B ..., each run on a fresh
# 2 GiB image; prints the median of each workload per jar. Workloads (fsbench.sh's, shorter):
# seqwrite (SIZE, default 512m, bs 1M, end_fsync), seqread (same file after an unmount and
# remount and drop_caches), randread4k (4 s), fsync_append (4k appends + fsync, 4 s),
# randwrite4k (4 s, end_fsync). Needs root, fio, python3.
set -euo pipefail
export LC_ALL=C
rounds=3; size=512m
while [ $# -gt 0 ]; do
    case $1 in
        --rounds) rounds=$2; shift 2 ;;
        --size) size=$2; shift 2 ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || { echo "usage: $0 [--rounds N] [--size SIZE] JAR..." >&2; exit 2; }
work=$(mktemp -d /tmp/keelfs-ab.XXXXXX)
mnt=$work/mnt; img=$work/img; mkdir -p "$mnt"
trap 'fusermount -u "$mnt" 2>/dev/null || true; rm -rf "$work"' EXIT
kf() { java -Dfile.encoding=UTF-8 -jar "$jar" "$@"; }
down() {
    fusermount -u "$mnt"
    for _ in $(seq 600); do fuser -s "$img" 2>/dev/null || return 0; sleep 0.1; done
}
drop() { down; sync; echo 3 > /proc/sys/vm/drop_caches; kf mount "$img" "$mnt"; }
fio_run() { # name metric args...
    local name=$1 metric=$2; shift 2
    fio --name="$name" --output-format=json --ioengine=psync --fallocate=none "$@" \
        > "$work/$name.json"
    python3 - "$work/$name.json" "$metric" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))['jobs'][0]
ios = byts = rt = 0
for d in ('read', 'write'):
    ios += j[d]['total_ios']; byts += j[d]['io_bytes']; rt = max(rt, j[d]['runtime'])
print('%.1f' % (byts / (rt / 1000) / 1e6) if sys.argv[2] == 'bw' else '%.0f' % (ios / (rt / 1000)))
PY
}
raw=$work/raw.tsv; : > "$raw"
for r in $(seq "$rounds"); do
    for jar in "$@"; do
        rm -f "$img"; kf mkfs "$img" --size 2G > /dev/null; kf mount "$img" "$mnt"
        f=$mnt/seq
        printf '%s\t%s\tseqwrite\t%s\n' "$r" "$jar" \
            "$(fio_run sw bw --filename="$f" --rw=write --bs=1M --size="$size" --end_fsync=1)" >> "$raw"
        drop
        printf '%s\t%s\tseqread\t%s\n' "$r" "$jar" \
            "$(fio_run sr bw --filename="$f" --rw=read --bs=1M --size="$size")" >> "$raw"
        drop
        printf '%s\t%s\trandread4k\t%s\n' "$r" "$jar" "$(fio_run rr iops --filename="$f" \
            --rw=randread --bs=4k --size="$size" --runtime=4)" >> "$raw"
        printf '%s\t%s\trandwrite4k\t%s\n' "$r" "$jar" "$(fio_run rw iops --filename="$f" \
            --rw=randwrite --bs=4k --size="$size" --runtime=4 --end_fsync=1)" >> "$raw"
        printf '%s\t%s\tfsync_append\t%s\n' "$r" "$jar" "$(fio_run fa iops \
            --filename="$mnt/wal" --rw=write --bs=4k --size=64m --fsync=1 --runtime=4)" >> "$raw"
        down
        echo "round $r $jar done" >&2
    done
done
python3 - "$raw" "$@" <<'PY'
import sys, statistics
from collections import defaultdict
vals = defaultdict(list)
for line in open(sys.argv[1]):
    r, jar, wl, v = line.rstrip('\n').split('\t')
    vals[(jar, wl)].append(float(v))
jars = sys.argv[2:]
wls = ['seqwrite', 'seqread', 'randread4k', 'randwrite4k', 'fsync_append']
print('| workload | ' + ' | '.join(jars) + ' | last/first |')
print('|---|' + '---:|' * (len(jars) + 1))
for wl in wls:
    m = [statistics.median(vals[(j, wl)]) for j in jars]
    print('| %s | ' % wl + ' | '.join('%.1f' % x for x in m) + ' | %.2f |' % (m[-1] / m[0]))
print('\n(MB/s for seq*, IOPS or ops/s otherwise; medians of %d rounds)' % len(vals[(jars[0], 'seqwrite')]))
PY
