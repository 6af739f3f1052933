package io.keelfs.fs.data;

import io.keelfs.alloc.AllocRecord;
import io.keelfs.alloc.AllocUpdates;
import io.keelfs.alloc.DataType;
import io.keelfs.block.BlockDevice;
import io.keelfs.engine.Engine;
import io.keelfs.error.ChecksumException;
import io.keelfs.error.DeviceIoException;
import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The read path: looks extents up under a read transaction, reads the device outside the
 * engine lock, then rechecks that each pointer's generation is still its bucket's (bcachefs
 * {@code ptr_stale} after the read): a bucket freed and reused between the lookup and the read
 * holds someone else's data, and the read is retried from a fresh lookup. Data that survives
 * that check is verified block by block against the extent's CRC32C.
 *
 * <p>Physically contiguous extents are read with one device read; sequential readers get
 * readahead ({@link Readahead}).
 *
 * <p>Entry points: {@link #read}, {@link #readExtentBlocks} (shared with copygc).
 *
 * <p>Thread-safety: safe for many threads.
 */
final class ExtentReader {
    private static final Logger LOG = Logger.getLogger(ExtentReader.class.getName());
    /** Lookups of one range before giving up on pointers that keep going stale. */
    static final int STALE_RETRIES_MAX = 16;
    /** Extents one lookup returns (each read needs at most one extent's worth of buffer). */
    static final int EXTENTS_PER_LOOKUP_MAX = 64;

    private final Engine engine;
    private final BlockDevice device;
    private final ExtentUpdates extents;
    private final long bucketSizeBytes;
    private final FileDataHooks hooks;
    final AtomicLong staleRetries = new AtomicLong();
    final Readahead readahead;

    ExtentReader(Engine engine, BlockDevice device, ExtentUpdates extents,
            long bucketSizeBytes, FileDataHooks hooks) {
        this.engine = engine;
        this.device = device;
        this.extents = extents;
        this.bucketSizeBytes = bucketSizeBytes;
        this.hooks = hooks;
        this.readahead = new Readahead(engine, device, extents, bucketSizeBytes);
    }

    /** Reads into {@code dst} up to the file size; holes read as zeros. Returns bytes read. */
    int read(long ino, long offsetBytes, ByteBuffer dst, long fileSizeBytes)
            throws KeelException {
        if (offsetBytes < 0) {
            throw new IllegalArgumentException("read at negative offset " + offsetBytes);
        }
        int n = (int) Math.max(0, Math.min(dst.remaining(), fileSizeBytes - offsetBytes));
        ByteBuffer out = dst.slice(dst.position(), n);
        if (n > 0) {
            readahead.onRead(ino, offsetBytes, n);
        }
        long end = offsetBytes + n;
        for (long at = offsetBytes; at < end; ) {
            at = readBatch(ino, at, end, out, offsetBytes);
        }
        dst.position(dst.position() + n);
        return n;
    }

    /** One lookup's worth of [at, end): retried while pointers go stale. Returns how far. */
    private long readBatch(long ino, long at, long end, ByteBuffer out, long outStartBytes)
            throws KeelException {
        for (int attempt = 1; ; attempt++) {
            ExtentUpdates.Found found = engine.read(txn -> {
                ExtentUpdates.Found f = extents.lookup(txn, ino, at, end,
                        EXTENTS_PER_LOOKUP_MAX);
                for (Extent e : f.extents()) {
                    // In one snapshot a live extent's bucket must be USER at its generation.
                    if (!current(AllocUpdates.get(txn, e.bucket()), e)) {
                        throw new InconsistentException("live " + e + " points at a bucket of "
                                + "another generation or type; run keelfs fsck");
                    }
                }
                return f;
            });
            hooks.afterExtentLookup(ino, at);
            List<Extent> list = found.extents();
            ByteBuffer[] data = new ByteBuffer[list.size()];
            boolean[] inPlace = new boolean[data.length];
            for (int i = 0; i < data.length; ) {
                Extent e = list.get(i);
                long from = blockFloor(Math.max(at, e.startBytes()), e);
                long last = blockEnd(e, found.coveredUpToBytes());
                // Whole blocks inside the request go straight into the caller's buffer (with
                // FUSE, the reply buffer): no staging copy. Edge blocks are staged.
                inPlace[i] = from >= at && last <= found.coveredUpToBytes();
                if (!inPlace[i]) {
                    data[i++] = readExtentBlocks(e, at, found.coveredUpToBytes());
                    continue;
                }
                // Extents that follow on in the file and on the device (a sequential write
                // cut into extents) are read with one device read.
                int runEnd = i + 1;
                long runLast = last;
                while (runEnd < data.length && followsOn(list.get(runEnd - 1), list.get(runEnd))
                        && list.get(runEnd).endBytes() <= found.coveredUpToBytes()) {
                    runLast = list.get(runEnd).endBytes();
                    inPlace[runEnd++] = true;
                }
                ByteBuffer run = readBlocksInto(e, from, out.slice((int) (from - outStartBytes),
                        (int) (runLast - from)));
                for (int j = i; j < runEnd; j++) {
                    Extent ej = list.get(j);
                    long jFrom = j == i ? from : ej.startBytes();
                    long jLast = j == runEnd - 1 ? runLast : ej.endBytes();
                    data[j] = run.slice((int) (jFrom - from), (int) (jLast - jFrom));
                }
                i = runEnd;
            }
            // Recheck after the read: a stale pointer means the bytes may be another file's.
            if (anyStale(found.extents())) {
                staleRetries.incrementAndGet();
                if (attempt >= STALE_RETRIES_MAX) {
                    throw new InconsistentException(String.format("reading inode %d at %d: "
                            + "extents went stale %d times in a row", ino, at, attempt));
                }
                continue;
            }
            long zeroFrom = at;
            for (int i = 0; i < data.length; i++) {
                Extent e = found.extents().get(i);
                long from = blockFloor(Math.max(at, e.startBytes()), e);
                verify(e, from, data[i]);
                if (!inPlace[i]) {
                    copyOut(data[i], from, at, found.coveredUpToBytes(), out, outStartBytes);
                }
                // Holes read as zeros: the gap before this extent (extents come in file order).
                long dataFrom = Math.max(at, e.startBytes());
                zero(out, zeroFrom, dataFrom, outStartBytes);
                zeroFrom = Math.max(zeroFrom, Math.min(e.endBytes(), found.coveredUpToBytes()));
            }
            zero(out, zeroFrom, found.coveredUpToBytes(), outStartBytes);
            return found.coveredUpToBytes();
        }
    }

    private static final byte[] ZEROS = new byte[64 << 10];

    /** Zeroes file bytes [fromBytes, toBytes) of {@code out}, which starts at outStartBytes. */
    private static void zero(ByteBuffer out, long fromBytes, long toBytes, long outStartBytes) {
        for (long at = fromBytes; at < toBytes; ) {
            int n = (int) Math.min(ZEROS.length, toBytes - at);
            out.put((int) (at - outStartBytes), ZEROS, 0, n);
            at += n;
        }
    }

    /** True when {@code b} starts where {@code a} ends, both in the file and on the device. */
    private boolean followsOn(Extent a, Extent b) {
        return b.startBytes() == a.endBytes() && deviceOffset(b) == deviceOffset(a)
                + a.lengthBytes();
    }

    private long deviceOffset(Extent e) {
        return e.bucket() * bucketSizeBytes + e.offsetInBucketBytes();
    }

    private static boolean current(AllocRecord r, Extent e) {
        return r != null && r.dataType() == DataType.USER && r.generation() == e.generation();
    }

    private boolean anyStale(List<Extent> list) throws KeelException {
        if (list.isEmpty()) {
            return false;
        }
        return engine.read(txn -> {
            for (Extent e : list) {
                if (!current(AllocUpdates.get(txn, e.bucket()), e)) {
                    return true;
                }
            }
            return false;
        });
    }

    private static long blockFloor(long fileOffsetBytes, Extent e) {
        return fileOffsetBytes - Math.floorMod(fileOffsetBytes - e.startBytes(),
                (long) e.blockSizeBytes());
    }

    /** Where the whole blocks of {@code e} overlapping file bytes up to {@code to} end. */
    private static long blockEnd(Extent e, long to) {
        return Math.min(e.endBytes(), blockFloor(Math.min(to, e.endBytes()) - 1, e)
                + e.blockSizeBytes());
    }

    /** Reads blocks of {@code e} from file offset {@code from} into all of {@code into}. */
    private ByteBuffer readBlocksInto(Extent e, long from, ByteBuffer into)
            throws DeviceIoException {
        long deviceOffset = e.bucket() * bucketSizeBytes + e.offsetInBucketBytes()
                + (from - e.startBytes());
        try {
            device.read(deviceOffset, into);
        } catch (IOException ex) {
            throw new DeviceIoException(String.format("reading %s at device offset %d", e,
                    deviceOffset), ex);
        }
        into.flip();
        return into;
    }

    /** The whole blocks of {@code e} that overlap file bytes {@code [from, to)}. */
    ByteBuffer readExtentBlocks(Extent e, long from, long to) throws DeviceIoException {
        long first = blockFloor(Math.max(from, e.startBytes()), e);
        long last = Math.min(e.endBytes(), blockFloor(Math.min(to, e.endBytes()) - 1, e)
                + e.blockSizeBytes());
        ByteBuffer buf = ByteBuffer.allocate((int) (last - first));
        long deviceOffset = e.bucket() * bucketSizeBytes + e.offsetInBucketBytes()
                + (first - e.startBytes());
        try {
            device.read(deviceOffset, buf);
        } catch (IOException ex) {
            throw new DeviceIoException(String.format("reading %s at device offset %d", e,
                    deviceOffset), ex);
        }
        buf.flip();
        return buf;
    }

    /**
     * Checks each block of {@code data} (file offset {@code from}) against the extent's CRC;
     * a mismatch is logged and returned as EIO naming inode, file offset and device offset.
     */
    void verify(Extent e, long from, ByteBuffer data) throws ChecksumException {
        int bs = e.blockSizeBytes();
        CRC32C crc = new CRC32C();
        ByteBuffer view = data.duplicate();
        for (int at = 0; at < data.limit(); at += bs) {
            long fileOffset = from + at;
            int block = (int) ((fileOffset - e.startBytes()) / bs);
            crc.reset();
            view.limit(at + bs).position(at);
            crc.update(view);
            int actual = (int) crc.getValue();
            if (actual != e.crcs()[block]) {
                long deviceOffset = e.bucket() * bucketSizeBytes + e.offsetInBucketBytes()
                        + (fileOffset - e.startBytes());
                ChecksumException ex = new ChecksumException(String.format(
                        "data of inode %d at file offset %d (bucket %d +%d gen %d)", e.ino(),
                        fileOffset, e.bucket(), e.offsetInBucketBytes(), e.generation()),
                        deviceOffset, e.crcs()[block], actual);
                LOG.warning(ex.getMessage());
                throw ex;
            }
        }
    }

    private static void copyOut(ByteBuffer data, long dataFileOffset, long from, long to,
            ByteBuffer out, long outStartBytes) {
        long start = Math.max(from, dataFileOffset);
        long stop = Math.min(to, dataFileOffset + data.limit());
        if (start < stop) {
            out.put((int) (start - outStartBytes), data, (int) (start - dataFileOffset),
                    (int) (stop - start));
        }
    }
}
