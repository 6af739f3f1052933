#!/bin/bash
# keelfs-pair.sh ROUNDS OUTDIR NAME=JAR[:OPTS] ... : A/B of keelfs jars (and mount options) on
# mounts that live side by side: each config mounts a fresh 2 GiB image once (`-o OPTS` if
# given), then every round runs each workload on each mount back to back, in alternating order
# (A B C, C B A, ...), so all configs see the same machine load, which on the shared 2-core
# machine swings figures by 2-10x within minutes. Prints the median (and every value) per
# workload and config, and last/first. Workloads: meta.c N=2000 (create/stat/rename/unlink in
# one directory), seqwrite 256 MiB (1 MiB, end_fsync), seqread_warmdaemon (the same after a
# kernel drop_caches; the daemon's caches stay warm), randwrite4k 3 s (end_fsync),
# aio_dio_randrw 3 s (libaio, direct, iodepth 16, 4 jobs), untar_small (the fs/ subtree of
# fsbench's tarball, 42 MB, 2,174 entries, + syncfs) and rmtree_small (+ syncfs).
# Env: KEELFS_BENCH_DIR (default ../shared/bench), FSBENCH_TARBALL. Needs root, fio, gcc, bc.
set -uo pipefail
export LC_ALL=C
root="$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")"
shared=${KEELFS_BENCH_DIR:-$root/../shared/bench}
tarball=${FSBENCH_TARBALL:-$shared/data/linux-6.1.192-subset.tar}
[ $# -ge 3 ] || { echo "usage: $0 ROUNDS OUTDIR NAME=JAR[:OPTS] ..." >&2; exit 2; }
rounds=$1; out=$2; shift 2; mkdir -p "$out"; : > "$out/raw.tsv"
work=$(mktemp -d /tmp/keelfs-pair.XXXXXX)
gcc -O2 -o "$work/meta" "$shared/meta.c" || exit 2
mkdir "$work/st" && tar -xf "$tarball" -C "$work/st" --wildcards '*/fs/*' \
    && tar -cf "$work/small.tar" -C "$work/st" . && rm -rf "$work/st" || exit 2
names=(); mnts=()
cleanup() {
    for m in "${mnts[@]}"; do "$root/bench/keelfs-umount.sh" "$m" "$(dirname "$m")/img"; done
    rm -rf "$work"
}
trap cleanup EXIT
for cfg in "$@"; do
    name=${cfg%%=*}; rest=${cfg#*=}; jar=${rest%%:*}; opts=${rest#"$jar"}; opts=${opts#:}
    d=$work/$name; mkdir -p "$d/m"
    java -jar "$jar" mkfs "$d/img" --size 2G > /dev/null
    java -jar "$jar" mount ${opts:+-o "$opts"} "$d/img" "$d/m" || exit 1
    names+=("$name"); mnts+=("$d/m")
done
fiometric() { # JSON bw|iops
    python3 - "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))['jobs'][0]; ios = b = rt = 0
for d in ('read', 'write'):
    ios += j[d]['total_ios']; b += j[d]['io_bytes']; rt = max(rt, j[d]['runtime'])
print('%.1f' % (b / (rt / 1000) / 1e6) if sys.argv[2] == 'bw' else '%.0f' % (ios / (rt / 1000)))
PY
}
emit() { printf '%s\t%s\t%s\t%s\n' "$r" "$n" "$1" "$2" >> "$out/raw.tsv"; }
fiostep() { # WORKLOAD bw|iops FIOARGS...
    local wl=$1 metric=$2; shift 2
    fio --name="$wl" --output-format=json --filename="$m/seq" "$@" > "$work/f.json"
    emit "$wl" "$(fiometric "$work/f.json" "$metric")"
}
run() {
    mkdir -p "$m/meta"
    "$work/meta" "$m/meta" 2000 2>/dev/null | while read -r wl v _; do emit "$wl" "$v"; done
    rm -rf "$m/meta"
    fiostep seqwrite bw --ioengine=psync --fallocate=none --rw=write --bs=1M --size=256m \
        --end_fsync=1
    sync; echo 3 > /proc/sys/vm/drop_caches
    fiostep seqread_warmdaemon bw --ioengine=psync --rw=read --bs=1M --size=256m
    fiostep randwrite4k iops --ioengine=psync --fallocate=none --rw=randwrite --bs=4k \
        --size=256m --runtime=3 --end_fsync=1
    fiostep aio_dio_randrw iops --ioengine=libaio --direct=1 --iodepth=16 --numjobs=4 \
        --group_reporting --size=256m --rw=randrw --rwmixread=50 --bs=4k --runtime=3 \
        --time_based
    mkdir -p "$m/u"; t0=$(date +%s.%N)
    tar -xf "$work/small.tar" -C "$m/u"; sync -f "$m/u"; t1=$(date +%s.%N)
    rm -rf "$m/u"; sync -f "$m"; t2=$(date +%s.%N)
    emit untar_small "$(echo "$t1 - $t0" | bc)"; emit rmtree_small "$(echo "$t2 - $t1" | bc)"
    rm -f "$m/seq"
}
for r in $(seq "$rounds"); do
    order=$(seq 0 $((${#names[@]} - 1)))
    [ $((r % 2)) = 0 ] && order=$(echo "$order" | tac)
    for i in $order; do n=${names[$i]}; m=${mnts[$i]}; run; done
    echo "round $r done $(date +%T)" >&2
done
python3 - "$out/raw.tsv" "${names[@]}" <<'PY' | tee "$out/summary.md"
import sys, statistics
from collections import defaultdict
v = defaultdict(list); wls = []
for line in open(sys.argv[1]):
    r, n, wl, val = line.rstrip('\n').split('\t')
    if wl not in wls:
        wls.append(wl)
    v[(n, wl)].append(float(val))
names = sys.argv[2:]
print('| workload | ' + ' | '.join(names) + ' | last/first |')
print('|---|' + '---:|' * (len(names) + 1))
for wl in wls:
    m = [statistics.median(v[(n, wl)]) for n in names]
    cells = ['%.1f (%s)' % (x, ', '.join('%g' % y for y in v[(n, wl)])) for x, n in zip(m, names)]
    print('| %s | %s | %.2f |' % (wl, ' | '.join(cells), m[-1] / m[0]))
print('\n(ops/s, MB/s or IOPS: higher is better; *_small in s: lower is better)')
PY
