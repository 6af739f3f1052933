package io.keelfs.fs.data;

import io.keelfs.alloc.BucketAllocator;
import io.keelfs.block.BlockDevice;
import io.keelfs.engine.Engine;
import io.keelfs.error.DeviceIoException;
import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import io.keelfs.format.Crc32c;
import io.keelfs.format.Geometry;
import io.keelfs.txn.Transaction;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link FileData} over extents: copy-on-write writes through write points into USER buckets
 * of a {@link BucketAllocator}, checksummed reads that recheck bucket generations, punch, and
 * copying GC ({@link CopyGc}) when free buckets run low.
 *
 * <p>Entry points: {@link #open}, the {@link FileData} methods, {@link #copyGc()},
 * {@link #writeBytesMax()}, {@link #close}.
 *
 * <p>Per-transaction bound: a transaction must fit one journal entry, which holds at most a
 * journal bucket. {@link #extentsPerTransaction} allows about 200 bytes of journal per extent
 * touched (deleting an extent and its backpointer, ~50 bytes, the alloc record and its
 * freespace/need_discard key, ~100 bytes, pieces left by a cut) in a quarter of a journal
 * bucket, leaving the rest to the caller's own updates: 81 extents for 64 KiB buckets, the
 * {@link #EXTENTS_PER_TRANSACTION_MAX} cap for 1 MiB buckets. Writes are bounded so that the
 * extents one write can overwrite stay within it (one per block at worst).
 *
 * <p>Thread-safety: safe for many threads; callers serialise writes, truncates and punches of
 * one inode (see {@link FileData}).
 */
public final class ExtentFileData implements FileData {
    /** Most extents removed or cut by one punch transaction. */
    static final int EXTENTS_PER_TRANSACTION_MAX = 1000;
    static final int EXTENTS_PER_TRANSACTION_MIN = 16;
    /** Journal bytes assumed per extent touched; see the class comment. */
    static final int JOURNAL_BYTES_PER_EXTENT = 200;
    /** Largest write: a FUSE max_write of 1 MiB. */
    static final long WRITE_BYTES_MAX = 1 << 20;
    /** Largest file offset: leaves headroom below 2^63 for end offsets of any block size. */
    public static final long FILE_BYTES_MAX = 1L << 60;

    private final Engine engine;
    private final BlockDevice device;
    private final int blockSizeBytes;
    private final long bucketSizeBytes;
    private final int extentsPerTransaction;
    private final long writeBytesMax;
    private final DataSpace space;
    private final ExtentUpdates updates;
    private final ExtentReader reader;
    private final WritePoint[] writePoints;
    private final CopyGc copyGc;
    private final AtomicLong aligned = new AtomicLong();

    private ExtentFileData(Engine engine, BlockDevice device, DataSpace space,
            FileDataOptions options) {
        Geometry g = engine.superblock().geometry();
        this.engine = engine;
        this.device = device;
        this.blockSizeBytes = g.blockSizeBytes();
        this.bucketSizeBytes = g.bucketSizeBytes();
        this.extentsPerTransaction = extentsPerTransaction(g.bucketSizeBytes());
        this.writeBytesMax = Math.min(WRITE_BYTES_MAX,
                (long) (extentsPerTransaction / 2 - 2) * blockSizeBytes);
        this.space = space;
        this.updates = new ExtentUpdates(space, blockSizeBytes);
        this.reader = new ExtentReader(engine, device, updates, bucketSizeBytes, options.hooks());
        this.writePoints = new WritePoint[options.writePoints()];
        for (int i = 0; i < writePoints.length; i++) {
            writePoints[i] = new WritePoint(space, false);
        }
        this.copyGc = new CopyGc(engine, device, space, updates, reader,
                new WritePoint(space, true), Math.max(1, extentsPerTransaction / 4),
                options.copyGcLiveFractionMax());
        space.setReclaim(() -> copyGc.collect(true));
    }

    /**
     * File data in buckets {@code [firstBucket, endBucket)} of {@code allocator} (opened over
     * the same range) on the engine's {@code device}.
     */
    public static ExtentFileData open(Engine engine, BlockDevice device,
            BucketAllocator allocator, long firstBucket, long endBucket,
            FileDataOptions options) throws KeelException {
        Geometry g = engine.superblock().geometry();
        DataSpace space = DataSpace.open(engine, allocator, firstBucket, endBucket,
                g.bucketSizeBytes(), options);
        return new ExtentFileData(engine, device, space, options);
    }

    /**
     * File data of a read-only mount: reads work; anything that would allocate is EROFS (the
     * engine refuses every update anyway).
     */
    public static ExtentFileData readOnly(Engine engine, BlockDevice device,
            FileDataOptions options) throws KeelException {
        Geometry g = engine.superblock().geometry();
        DataSpace space = DataSpace.open(engine, null, g.firstNodeBucket(), g.endNodeBucket(),
                g.bucketSizeBytes(), options);
        return new ExtentFileData(engine, device, space, options);
    }

    static int extentsPerTransaction(long journalBucketBytes) {
        long n = journalBucketBytes / 4 / JOURNAL_BYTES_PER_EXTENT;
        return (int) Math.max(EXTENTS_PER_TRANSACTION_MIN,
                Math.min(EXTENTS_PER_TRANSACTION_MAX, n));
    }

    @Override
    public long writeBytesMax() {
        return writeBytesMax;
    }

    @Override
    public PreparedWrite prepare(long ino, long offsetBytes, ByteBuffer src, long fileSizeBytes)
            throws KeelException {
        long length = src.remaining();
        if (length <= 0 || length > writeBytesMax || offsetBytes < 0
                || offsetBytes + length > FILE_BYTES_MAX) {
            throw new IllegalArgumentException(String.format("write of %d bytes at %d to inode"
                    + " %d: length must be in [1, %d], the range inside [0, %d)", length,
                    offsetBytes, ino, writeBytesMax, FILE_BYTES_MAX));
        }
        long start = Math.floorDiv(offsetBytes, blockSizeBytes) * blockSizeBytes;
        long end = -Math.floorDiv(-(offsetBytes + length), blockSizeBytes) * blockSizeBytes;
        ByteBuffer buf = staged(ino, offsetBytes, src, start, end, fileSizeBytes);
        src.position(src.limit());
        int[] crcs = new int[(int) ((end - start) / blockSizeBytes)];
        for (int i = 0; i < crcs.length; i++) {
            crcs[i] = Crc32c.ofRange(buf, i * blockSizeBytes, (i + 1) * blockSizeBytes);
        }
        // Space fallocate promised to this range may be used (the commit cuts the reserved
        // range): the inode's lock keeps it from changing before then.
        long usable = space.reserved.bytes() == 0 ? 0
                : engine.read(txn -> updates.reservedBytesIn(txn, ino, start, end));
        List<Reservation> reservations = writePoint(ino).reserve(end - start, false, usable);
        try {
            writeOut(buf, reservations);
        } catch (DeviceIoException | RuntimeException e) {
            space.giveBack(reservations);
            throw e;
        }
        return new PreparedData(ino, offsetBytes, length, start, end - start, crcs,
                reservations);
    }

    /**
     * The blocks [start, end) to write. A block-aligned write is written from {@code src}
     * itself (with FUSE, the request buffer: no copy between it and the device write, and no
     * JDK bounce copy, the buffer being direct); the caller does not touch it until prepare
     * returns, and nothing keeps it after. Otherwise a staging buffer with the partial edge
     * blocks completed from the file (read-modify-write).
     */
    private ByteBuffer staged(long ino, long offsetBytes, ByteBuffer src, long start, long end,
            long fileSizeBytes) throws KeelException {
        int length = src.remaining();
        if (offsetBytes == start && offsetBytes + length == end) {
            aligned.incrementAndGet();
            return src.slice(src.position(), length);
        }
        ByteBuffer buf = ByteBuffer.allocate((int) (end - start));
        if (offsetBytes != start) {
            reader.read(ino, start, buf.slice(0, blockSizeBytes), fileSizeBytes);
        }
        long lastBlock = end - blockSizeBytes;
        if (offsetBytes + length != end && (lastBlock != start || offsetBytes == start)) {
            reader.read(ino, lastBlock, buf.slice((int) (lastBlock - start), blockSizeBytes),
                    fileSizeBytes);
        }
        buf.put((int) (offsetBytes - start), src, src.position(), length);
        return buf;
    }

    /** Writes prepared straight from the caller's buffer (block-aligned; tests). */
    public long alignedWrites() {
        return aligned.get();
    }

    private WritePoint writePoint(long ino) {
        return writePoints[Math.floorMod(Long.hashCode(ino * 0x9E3779B97F4A7C15L),
                writePoints.length)];
    }

    /** One device write per reservation, i.e. per bucket touched. */
    private void writeOut(ByteBuffer buf, List<Reservation> reservations)
            throws DeviceIoException {
        int at = 0;
        for (Reservation r : reservations) {
            long deviceOffset = r.bucket().bucket() * bucketSizeBytes + r.offsetInBucketBytes();
            try {
                device.write(deviceOffset, buf.slice(at, (int) r.lengthBytes()), false);
            } catch (IOException e) {
                throw new DeviceIoException("writing file data to " + r.bucket()
                        + " at device offset " + deviceOffset, e);
            }
            at += (int) r.lengthBytes();
        }
    }

    @Override
    public long commit(Transaction txn, PreparedWrite write) throws KeelException {
        PreparedData p = (PreparedData) write;
        if (p.isFinished()) {
            throw new IllegalStateException("commit of a finished write to inode " + p.ino);
        }
        PunchResult removed = updates.remove(txn, p.ino, p.alignedStartBytes,
                p.alignedStartBytes + p.alignedLengthBytes, Integer.MAX_VALUE);
        long fileAt = p.alignedStartBytes;
        int block = 0;
        for (Reservation r : p.reservations) {
            long inBucket = r.offsetInBucketBytes();
            for (long left = r.lengthBytes(); left > 0; ) {
                int blocks = (int) Math.min(left / blockSizeBytes, Extent.EXTENT_BLOCKS_MAX);
                Extent e = new Extent(p.ino, fileAt, r.bucket().bucket(), inBucket,
                        r.bucket().generation(), blockSizeBytes,
                        Arrays.copyOfRange(p.crcs, block, block + blocks));
                updates.insert(txn, e, r.bucket());
                long bytes = (long) blocks * blockSizeBytes;
                fileAt += bytes;
                inBucket += bytes;
                left -= bytes;
                block += blocks;
            }
        }
        return p.alignedLengthBytes + removed.usedDeltaBytes();
    }

    @Override
    public void finish(PreparedWrite write) {
        PreparedData p = (PreparedData) write;
        if (!p.markFinished()) {
            throw new IllegalStateException("finish called twice for a write to inode "
                    + p.ino);
        }
        space.giveBack(p.reservations);
    }

    @Override
    public int read(long ino, long offsetBytes, ByteBuffer dst, long fileSizeBytes)
            throws KeelException {
        return reader.read(ino, offsetBytes, dst, fileSizeBytes);
    }

    /**
     * What {@link #prepareAllocate} set aside: {@code bytes} of holes in [startBytes, endBytes)
     * of ino; {@code committedBytes} grows per commit (under the caller's inode lock).
     */
    private record PreparedReservation(long ino, long startBytes, long endBytes, long bytes,
            AtomicLong committedBytes, AtomicBoolean finished) implements PreparedAllocation {}

    /**
     * Counts the holes of {@code [startBytes, endBytes)} (block aligned) in bounded read
     * transactions and sets their bytes aside ({@link DataSpace#reserveForFallocate}).
     */
    @Override
    public PreparedAllocation prepareAllocate(long ino, long startBytes, long endBytes)
            throws KeelException {
        if (startBytes < 0 || endBytes > FILE_BYTES_MAX || startBytes >= endBytes
                || startBytes % blockSizeBytes != 0 || endBytes % blockSizeBytes != 0) {
            throw new IllegalArgumentException(String.format("allocate [%d, %d) of inode %d:"
                    + " must be a non-empty range of whole %d-byte blocks inside [0, %d)",
                    startBytes, endBytes, ino, blockSizeBytes, FILE_BYTES_MAX));
        }
        long holes = 0;
        for (long at = startBytes; at < endBytes; ) {
            long from = at;
            ExtentUpdates.Holes h = engine.read(txn -> updates.fillHoles(txn, ino, from,
                    endBytes, extentsPerTransaction, false));
            holes += h.holeBytes();
            at = h.doneUpToBytes();
        }
        if (holes > 0) {
            space.reserveForFallocate(holes);
        }
        return new PreparedReservation(ino, startBytes, endBytes, holes, new AtomicLong(),
                new AtomicBoolean());
    }

    @Override
    public PunchResult commitAllocate(Transaction txn, PreparedAllocation allocation,
            long fromBytes) throws KeelException {
        PreparedReservation p = (PreparedReservation) allocation;
        if (p.finished().get() || fromBytes < p.startBytes() || fromBytes >= p.endBytes()) {
            throw new IllegalStateException("commit of allocation [" + p.startBytes() + ", "
                    + p.endBytes() + ") of inode " + p.ino() + " from " + fromBytes
                    + (p.finished().get() ? " after finish" : ""));
        }
        ExtentUpdates.Holes h = updates.fillHoles(txn, p.ino(), fromBytes, p.endBytes(),
                extentsPerTransaction, true);
        // Tier 2: the holes counted under the inode's lock can not have grown since.
        long committed = p.committedBytes().get();
        if (committed + h.holeBytes() > p.bytes()) {
            throw new InconsistentException(String.format("allocating [%d, %d) of inode %d:"
                    + " found %d more hole bytes after %d, but only %d were counted", fromBytes,
                    p.endBytes(), p.ino(), h.holeBytes(), committed, p.bytes()));
        }
        if (h.holeBytes() > 0) {
            space.reserved.add(txn, h.holeBytes(), true);
            txn.onCommit(seq -> p.committedBytes().addAndGet(h.holeBytes()));
        }
        return new PunchResult(h.doneUpToBytes(), h.holeBytes());
    }

    @Override
    public void finishAllocate(PreparedAllocation allocation) {
        PreparedReservation p = (PreparedReservation) allocation;
        if (p.finished().getAndSet(true)) {
            throw new IllegalStateException("finishAllocate called twice for inode " + p.ino());
        }
        space.reserved.releasePending(p.bytes() - p.committedBytes().get());
    }

    /**
     * Removes the whole blocks inside {@code [startBytes, endBytes)} (partial edge blocks are
     * the caller's, see {@link FileData#punch}), at most {@link #extentsPerTransaction} extents
     * per call.
     */
    @Override
    public PunchResult punch(Transaction txn, long ino, long startBytes, long endBytes)
            throws KeelException {
        if (startBytes < 0 || endBytes < startBytes) {
            throw new IllegalArgumentException("punch [" + startBytes + ", " + endBytes
                    + ") of inode " + ino);
        }
        long from = -Math.floorDiv(-(Math.min(startBytes, FILE_BYTES_MAX)), blockSizeBytes)
                * blockSizeBytes;
        long to = Math.floorDiv(Math.min(endBytes, FILE_BYTES_MAX), blockSizeBytes)
                * blockSizeBytes;
        if (from >= to) {
            return new PunchResult(endBytes, 0);
        }
        PunchResult r = updates.remove(txn, ino, from, to, extentsPerTransaction);
        return r.doneUpToBytes() == to ? new PunchResult(endBytes, r.usedDeltaBytes()) : r;
    }

    /** Data goes to the engine's device and its write returns before the commit. */
    @Override
    public boolean durableWithJournal() {
        return true;
    }

    @Override
    public void flushData() throws KeelException {
        try {
            device.flush();
        } catch (IOException e) {
            throw new DeviceIoException("flushing file data on " + device.describe(), e);
        }
    }

    /**
     * Live file bytes, bytes reserved by fallocate (committed or in progress), plus the buckets
     * holding btree nodes (bcachefs counts sectors too).
     */
    @Override
    public long usedBytes() {
        return space.liveBytes() + space.reserved.bytes()
                + space.btreeBuckets() * bucketSizeBytes;
    }

    /** Bytes reserved by fallocate and not yet written (tests and fsck). */
    public long reservedBytes() {
        return space.reserved.committedBytes();
    }

    /**
     * Total minus used: includes dead bytes in part-used buckets, which copygc gives back, so
     * a write may still find no bucket a little before this reaches the reserve.
     */
    @Override
    public long freeBytes() {
        return Math.max(0, totalBytes() - usedBytes());
    }

    @Override
    public long totalBytes() {
        return (space.endBucket - space.firstBucket) * bucketSizeBytes;
    }

    /** Free minus the reserve file writes may not take. */
    @Override
    public long availBytes() {
        return Math.max(0, freeBytes() - space.reserveBytes());
    }

    /** Runs one on-demand copygc pass; returns the buckets it emptied. */
    public long copyGc() throws KeelException {
        return copyGc.collect(false);
    }

    /**
     * The allocator's per-type bucket counts against a recount of the alloc records: one line
     * per difference, empty when they agree (tests and fsck).
     */
    public List<String> verifyAllocatorCounts() throws KeelException {
        return space.verifyAllocatorCounts();
    }

    /** Reads that found a pointer stale after reading the device and looked up again. */
    public long staleReadRetries() {
        return reader.staleRetries.get();
    }

    /** Device bytes advised to the device as readahead for sequential readers. */
    public long readaheadBytes() {
        return reader.readahead.advisedBytes();
    }

    /** Counters for logs and tests: copygc work, stale-read retries, space. */
    public String statsText() {
        return String.format("copygc emptied %d buckets, moved %d extents (%d bad checksums);"
                + " %d stale read retries; %d bytes live, %d free buckets",
                copyGc.bucketsEmptied.get(), copyGc.extentsMoved.get(),
                copyGc.checksumErrors.get(), reader.staleRetries.get(), space.liveBytes(),
                space.freeBuckets());
    }

    DataSpace space() {
        return space;
    }

    boolean isOpenForTest(long bucket) {
        return space.isOpen(bucket);
    }

    int extentsPerTransaction() {
        return extentsPerTransaction;
    }

    /** Retires every write point's bucket (released once no prepared write pins it). */
    @Override
    public void close() {
        for (WritePoint wp : writePoints) {
            wp.close();
        }
        copyGc.close();
    }
}
