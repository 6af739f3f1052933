#!/bin/bash
# fuse-peers.sh [--quick] [--rounds N] [--out DIR]
#
# keelfs against fuse2fs on the same workloads (../shared/bench's fsbench.sh: seqwrite,
# seqread, randwrite4k, randread4k, fsync_append, meta_create/stat/rename/unlink, untar,
# rmtree, aio_dio_randrw), each round on freshly made 2 GiB images (keelfs: `keelfs mkfs`,
# mounted with `keelfs mount`; fuse2fs: mkfs.ext4 + fuse2fs), interleaved keelfs fuse2fs
# keelfs fuse2fs ... by the shared peers.sh. Prints peers.sh's medians and ratios, then the
# keelfs/fuse2fs ratio of every workload against issue 5's target, PASS or MISS.
#
# Caches: fsbench.sh drops the kernel's page cache before every read phase; FSBENCH_DROP_CMD
# is bench/keelfs-drop-caches.sh, which sets the trusted.keelfs.drop_caches control on the
# mount's root: the daemon checkpoints and drops its node and key caches, so keelfs reads start
# from the image (KEELFS_DROP=remount remounts instead, a fresh JVM whose JIT warm-up is then
# counted against keelfs). fuse2fs keeps no cache worth dropping.
#
# Env: KEELFS_BENCH_DIR (default ../shared/bench beside the repo), FSBENCH_TARBALL (default
# KEELFS_BENCH_DIR/data/linux-6.1.192-subset.tar; make_data.sh there makes it),
# FUSE_PEERS_WORK (scratch for the copied scripts, the jar snapshot, images and results;
# default .bench/fuse-peers), KEELFS_JAVA_OPTS (the daemon's JVM options).
# Needs root, fio, gcc, fuse2fs, psmisc (fuser). Exit 0 whatever the figures.
set -euo pipefail
export LC_ALL=C
root="$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")"
shared=${KEELFS_BENCH_DIR:-$root/../shared/bench}
work=${FUSE_PEERS_WORK:-$root/.bench/fuse-peers}
[ -r "$shared/peers.sh" ] || { echo "fuse-peers: no peers.sh in $shared" >&2; exit 2; }
for tool in fio gcc fuse2fs fuser findmnt bc; do
    command -v "$tool" >/dev/null || { echo "fuse-peers: $tool missing" >&2; exit 2; }
done
export FSBENCH_TARBALL=${FSBENCH_TARBALL:-$shared/data/linux-6.1.192-subset.tar}
[ -r "$FSBENCH_TARBALL" ] || {
    echo "fuse-peers: tarball $FSBENCH_TARBALL missing (run $shared/make_data.sh)" >&2; exit 2; }

# A private copy of the shared scripts: peers.sh keeps images, mountpoints and results beside
# itself, and other runs may use the shared directory at the same time.
mkdir -p "$work"
cp "$shared"/{fsbench.sh,peers.sh,summarize.py,meta.c} "$work"/
# Build the jar now (not inside the first timed mkfs) and run a snapshot of it, so that
# editing sources during a run cannot make bin/keelfs rebuild between rounds.
"$root/bin/keelfs" --version >/dev/null
cp "$root/cli/target/keelfs.jar" "$work/keelfs.jar"
cat > "$work/keelfs" <<SH
#!/bin/bash
exec java -Dfile.encoding=UTF-8 \${KEELFS_JAVA_OPTS:-} -jar "$work/keelfs.jar" "\$@"
SH
chmod +x "$work/keelfs"
export KEELFS="$work/keelfs"

out=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    [ "${args[i]}" = --out ] && out=${args[i+1]}
done
if [ -z "$out" ]; then
    out=$work/results/$(date +%Y%m%d-%H%M%S)
    args+=(--out "$out")
fi

PEERS="custom fuse2fs" REF=fuse2fs CUSTOM_NAME=keelfs \
CUSTOM_MKFS="$KEELFS mkfs --size 2G" \
CUSTOM_MOUNT="$KEELFS mount" \
CUSTOM_UMOUNT="$root/bench/keelfs-umount.sh" \
FSBENCH_DROP_CMD="$root/bench/keelfs-drop-caches.sh" \
    bash "$work/peers.sh" "${args[@]}"

echo
echo "## keelfs/fuse2fs against issue 5's targets"
echo
python3 - "$out/summary.tsv" <<'PY'
import sys
targets = [('seqwrite', 1.5), ('seqread', 1.5), ('untar', 3), ('meta_create', 3),
           ('meta_rename', 3), ('meta_unlink', 3), ('rmtree', 3), ('randwrite4k', 1.0),
           ('randread4k', 1.0), ('aio_dio_randrw', 1.0), ('fsync_append', 0.9)]
rows = {}
for line in open(sys.argv[1]).read().splitlines()[1:]:
    fs, wl, unit, n, median, lo, hi, speed = line.split('\t')
    rows[(fs, wl)] = (unit, median, speed)
print('| workload | unit | keelfs | fuse2fs | keelfs/fuse2fs | target | |')
print('|---|---|---:|---:|---:|---:|---|')
for wl, target in targets:
    k = rows.get(('keelfs', wl), ('-', '-', '-'))
    f = rows.get(('fuse2fs', wl), ('-', '-', '-'))
    try:
        verdict = 'PASS' if float(k[2]) >= target else 'MISS'
    except ValueError:
        verdict = 'MISS'
    print('| %s | %s | %s | %s | %s | >= %s | %s |' % (wl, k[0], k[1], f[1], k[2], target,
                                                       verdict))
print('\n("s" rows: the ratio is fuse2fs time / keelfs time, so > 1 is faster either way.)')
PY
