#!/bin/bash
# keelfs-cpu-per-op.sh JAR TAG: the FUSE daemon's CPU per operation, a figure that load on a
# shared machine hardly moves (wall-clock figures swing 2-10x there). Fresh 2 GiB image under
# /tmp/fusecpu, a 256 MiB file, a short warm-up, then twice: fio psync 4k randwrite and
# randread of 64 MiB, libaio O_DIRECT randrw (4 jobs x 16 MiB, iodepth 16), create+close and
# unlink of 5000 empty files (meta-phase.c). Prints per workload: utime+stime of the whole
# daemon (JIT and GC included) per op, wall time, and the keelfs-* threads' (FUSE workers,
# journal writer, reclaim) share per op. Needs root, fio, gcc, bc. Issue 5.
set -u
JAR=$1; TAG=$2; D=/tmp/fusecpu; IMG=$D/img-$TAG; MNT=$D/mnt-$TAG
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$MNT"; rm -f "$IMG"
PHASE=$D/meta-phase
[ -x "$PHASE" ] || gcc -O2 -o "$PHASE" "$HERE/meta-phase.c" || exit 2
java -jar "$JAR" mkfs "$IMG" --size 2G >/dev/null
java ${JOPTS:-} -jar "$JAR" mount "$IMG" "$MNT" || exit 1
PID=$(pgrep -f "$IMG" | head -1)
ticks() { awk '{print $14+$15}' /proc/$PID/stat; }
kticks() {
    local s=0
    for t in /proc/$PID/task/*; do
        case "$(cat $t/comm 2>/dev/null)" in
            keelfs*) s=$((s + $(awk '{print $14+$15}' $t/stat 2>/dev/null || echo 0))) ;;
        esac
    done
    echo $s
}
us() { echo "($1)*1000000/$(getconf CLK_TCK)/$2" | bc -l | xargs printf '%.1f'; }
m() { # name ops cmd...
    local name=$1 ops=$2; shift 2
    local t0 k0 w0 t1 k1 w1
    t0=$(ticks); k0=$(kticks); w0=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || echo "FAIL $name" >&2
    t1=$(ticks); k1=$(kticks); w1=$(date +%s.%N)
    echo -e "$TAG\t$name\t$(us "$t1-$t0" "$ops")us/op\twall=$(echo "$w1-$w0" | bc \
        | xargs printf '%.2f')s\tticks=$((t1-t0))\tkeelfs_threads=$(us "$k1-$k0" "$ops")us/op"
}
F=$MNT/f
FIO=(fio --name=x --filename="$F" --bs=4k --size=256m)
fio --name=p --filename="$F" --rw=write --bs=1M --size=256m --end_fsync=1 --ioengine=psync \
    >/dev/null
"${FIO[@]}" --rw=randwrite --io_size=32m --ioengine=psync >/dev/null
"${FIO[@]}" --rw=randread --io_size=16m --ioengine=psync >/dev/null
mkdir "$MNT/w"; "$PHASE" "$MNT/w" 2000 create; "$PHASE" "$MNT/w" 2000 unlink
for r in 1 2; do
    m randwrite4k 16384 "${FIO[@]}" --rw=randwrite --io_size=64m --ioengine=psync
    m randread4k 16384 "${FIO[@]}" --rw=randread --io_size=64m --ioengine=psync
    m aio_dio 16384 "${FIO[@]}" --rw=randrw --io_size=16m --ioengine=libaio --direct=1 \
        --iodepth=16 --numjobs=4 --group_reporting
    mkdir -p "$MNT/d$r"
    m meta_create 5000 "$PHASE" "$MNT/d$r" 5000 create
    m meta_unlink 5000 "$PHASE" "$MNT/d$r" 5000 unlink
done
fusermount -u "$MNT"
for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
rm -f "$IMG"
