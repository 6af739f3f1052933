package io.keelfs.fs;

import io.keelfs.error.KeelException;
import io.keelfs.fs.data.FileData;
import io.keelfs.txn.Transaction;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * TEST DOUBLE of {@link FileData}: file contents as 4 KiB blocks in memory, changed only when
 * the engine commits the transaction that carries the change (through
 * {@link Transaction#onCommit}), so contents and inodes stay in step as with the real extents
 * btree. Survives engine remounts (it stands in for the device's data); it does not model
 * crashes. Punch removes at most {@link #PUNCH_BLOCKS_MAX} blocks per call, so callers'
 * bounded punch loops run more than once.
 *
 * <p>Thread-safety: one monitor.
 */
final class MemoryFileData implements FileData {
    static final int BLOCK = 4096;
    static final int PUNCH_BLOCKS_MAX = 8;
    static final long CAPACITY_BYTES = 1L << 30;

    private record Prepared(long ino, long offsetBytes, long lengthBytes, byte[] bytes)
            implements PreparedWrite {}

    // @GuardedBy("this")
    private final Map<Long, TreeMap<Long, byte[]>> files = new HashMap<>();
    // @GuardedBy("this")
    private long usedBytes;
    private int outstanding;
    /** Punch calls left before punch fails with EIO (tests of interrupted truncates); -1 off. */
    volatile int punchesBeforeFailure = -1;

    @Override
    public synchronized PreparedWrite prepare(long ino, long offsetBytes, ByteBuffer src,
            long fileSizeBytes) {
        byte[] b = new byte[src.remaining()];
        src.get(b);
        outstanding++;
        return new Prepared(ino, offsetBytes, b.length, b);
    }

    @Override
    public synchronized long commit(Transaction txn, PreparedWrite write) {
        Prepared p = (Prepared) write;
        TreeMap<Long, byte[]> blocks = files.getOrDefault(p.ino(), new TreeMap<>());
        long first = p.offsetBytes() / BLOCK;
        long last = (p.offsetBytes() + p.lengthBytes() - 1) / BLOCK;
        long added = 0;
        for (long b = first; b <= last; b++) {
            if (!blocks.containsKey(b)) {
                added += BLOCK;
            }
        }
        txn.onCommit(seq -> apply(p));
        return added;
    }

    private synchronized void apply(Prepared p) {
        TreeMap<Long, byte[]> blocks = files.computeIfAbsent(p.ino(), k -> new TreeMap<>());
        for (long i = 0; i < p.lengthBytes(); ) {
            long off = p.offsetBytes() + i;
            long b = off / BLOCK;
            int at = (int) (off % BLOCK);
            int n = (int) Math.min(BLOCK - at, p.lengthBytes() - i);
            byte[] block = blocks.get(b);
            if (block == null) {
                block = new byte[BLOCK];
                usedBytes += BLOCK;
            } else {
                block = block.clone();
            }
            System.arraycopy(p.bytes(), (int) i, block, at, n);
            blocks.put(b, block);
            i += n;
        }
    }

    @Override
    public synchronized void finish(PreparedWrite write) {
        outstanding--;
    }

    @Override
    public synchronized int read(long ino, long offsetBytes, ByteBuffer dst,
            long fileSizeBytes) {
        long n = Math.min(dst.remaining(), Math.max(0, fileSizeBytes - offsetBytes));
        TreeMap<Long, byte[]> blocks = files.getOrDefault(ino, new TreeMap<>());
        for (long i = 0; i < n; i++) {
            long off = offsetBytes + i;
            byte[] block = blocks.get(off / BLOCK);
            dst.put(block == null ? 0 : block[(int) (off % BLOCK)]);
        }
        return (int) n;
    }

    @Override
    public synchronized PunchResult punch(Transaction txn, long ino, long startBytes,
            long endBytes) throws KeelException {
        if (punchesBeforeFailure == 0) {
            throw new io.keelfs.error.FsException(io.keelfs.error.Errno.EIO, "injected");
        }
        if (punchesBeforeFailure > 0) {
            punchesBeforeFailure--;
        }
        TreeMap<Long, byte[]> blocks = files.getOrDefault(ino, new TreeMap<>());
        long firstWhole = (startBytes + BLOCK - 1) / BLOCK;
        long endWhole = endBytes == Long.MAX_VALUE ? Long.MAX_VALUE : endBytes / BLOCK;
        NavigableMap<Long, byte[]> range = firstWhole < endWhole
                ? blocks.subMap(firstWhole, true, endWhole, false) : new TreeMap<>();
        long done = endBytes;
        int count = 0;
        Long stopBlock = null;
        for (Long b : range.keySet()) {
            if (count == PUNCH_BLOCKS_MAX) {
                stopBlock = b;
                done = b * BLOCK;
                break;
            }
            count++;
        }
        long until = stopBlock == null ? endWhole : stopBlock;
        long removed = (long) count * BLOCK;
        long s = startBytes;
        long e = Math.min(endBytes, stopBlock == null ? endBytes : done);
        txn.onCommit(seq -> applyPunch(ino, s, e, firstWhole, until));
        return new PunchResult(done, -removed);
    }

    private synchronized void applyPunch(long ino, long start, long end, long firstWhole,
            long untilBlock) {
        TreeMap<Long, byte[]> blocks = files.get(ino);
        if (blocks == null) {
            return;
        }
        if (firstWhole < untilBlock) {
            NavigableMap<Long, byte[]> range = blocks.subMap(firstWhole, true, untilBlock, false);
            usedBytes -= (long) range.size() * BLOCK;
            range.clear();
        }
        // Partial blocks at the edges: zero the bytes in range (callers zero them first too).
        zeroBytes(blocks, start, Math.min(end, firstWhole * BLOCK));
        if (untilBlock != Long.MAX_VALUE && end != Long.MAX_VALUE) {
            zeroBytes(blocks, Math.max(start, untilBlock * BLOCK), end);
        }
        if (blocks.isEmpty()) {
            files.remove(ino);
        }
    }

    private static void zeroBytes(TreeMap<Long, byte[]> blocks, long start, long end) {
        for (long off = start; off < end; off++) {
            byte[] block = blocks.get(off / BLOCK);
            if (block == null) {
                off = (off / BLOCK + 1) * BLOCK - 1;
                continue;
            }
            byte[] copy = block.clone();
            copy[(int) (off % BLOCK)] = 0;
            blocks.put(off / BLOCK, copy);
        }
    }

    @Override
    public void flushData() {}

    /** Small, so writes of a few blocks are split as with the real extents. */
    @Override
    public long writeBytesMax() {
        return 4 * BLOCK;
    }

    /** Contents outlive mounts: nothing to close. */
    @Override
    public void close() {}

    @Override
    public synchronized long usedBytes() {
        return usedBytes;
    }

    @Override
    public synchronized long freeBytes() {
        return CAPACITY_BYTES - usedBytes;
    }

    /** Blocks held for {@code ino} (tests: data of a freed inode must be gone). */
    synchronized int blockCount(long ino) {
        TreeMap<Long, byte[]> blocks = files.get(ino);
        return blocks == null ? 0 : blocks.size();
    }

    synchronized int filesWithData() {
        return files.size();
    }

    synchronized int outstandingPrepares() {
        return outstanding;
    }
}
