package io.keelfs.fs.data;

import io.keelfs.alloc.AllocRecord;
import io.keelfs.alloc.AllocUpdates;
import io.keelfs.alloc.DataType;
import io.keelfs.block.BlockDevice;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.error.ChecksumException;
import io.keelfs.error.DeviceIoException;
import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import io.keelfs.error.NoSpaceException;
import io.keelfs.format.Bkey;
import io.keelfs.format.BtreeId;
import io.keelfs.txn.Transaction;
import io.keelfs.txn.TransactionIterator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * Copying garbage collection (bcachefs {@code movinggc.c}): empties USER buckets that hold
 * little live data by moving each live extent, found through the bucket's backpointers, to
 * copygc's own write point. A move reads and verifies the data, writes it, flushes the device
 * (the moved copy must be durable before the index points at it, or a crash would lose data
 * that was durable), and commits an index update that re-points the extent only if it is
 * still exactly the one read: an extent overwritten or cut meanwhile is left alone. The
 * emptied bucket is freed by the commit that removes its last live bytes.
 *
 * <p>Entry points: {@link #collect} (on demand, and urgently from allocation when free
 * buckets run low), {@link #close}. Work per call is bounded: at most
 * {@link #SCAN_BUCKETS_MAX} alloc records scanned and {@link #BUCKETS_PER_PASS_MAX} buckets
 * evacuated. Copygc allocates from the reserve file writes may not touch.
 *
 * <p>Thread-safety: one pass at a time (a lock); urgent callers wait for a running pass,
 * on-demand callers skip.
 */
final class CopyGc {
    private static final Logger LOG = Logger.getLogger(CopyGc.class.getName());
    /** Alloc records one pass scans for candidates, from a cursor that wraps. */
    static final int SCAN_BUCKETS_MAX = 8192;
    /** Buckets one pass evacuates. */
    static final int BUCKETS_PER_PASS_MAX = 4;
    /** Move rounds per bucket: each moves a batch; extents changing under it need more. */
    static final int ROUNDS_PER_BUCKET_MAX = 64;

    private record Candidate(long bucket, int generation, long liveBytes) {}

    /** One piece of a moved extent and the bucket it was written to. */
    record Piece(Extent extent, DataBucket into) {}

    private record Move(Extent old, List<Piece> pieces) {}

    private final Engine engine;
    private final BlockDevice device;
    private final DataSpace space;
    private final ExtentUpdates updates;
    private final ExtentReader reader;
    private final WritePoint writePoint;
    private final int extentsPerCommit;
    private final double liveFractionMax;
    private final ReentrantLock lock = new ReentrantLock();
    /** Next bucket the candidate scan starts from; guarded by {@link #lock}. */
    private long cursor;
    final AtomicLong bucketsEmptied = new AtomicLong();
    final AtomicLong extentsMoved = new AtomicLong();
    final AtomicLong checksumErrors = new AtomicLong();

    CopyGc(Engine engine, BlockDevice device, DataSpace space, ExtentUpdates updates,
            ExtentReader reader, WritePoint writePoint, int extentsPerCommit,
            double liveFractionMax) {
        this.engine = engine;
        this.device = device;
        this.space = space;
        this.updates = updates;
        this.reader = reader;
        this.writePoint = writePoint;
        this.extentsPerCommit = extentsPerCommit;
        this.liveFractionMax = liveFractionMax;
        this.cursor = space.firstBucket;
    }

    /**
     * One pass: evacuates the emptiest buckets not open here. Urgent passes (allocation ran
     * short) take any bucket whose move frees space (less than a bucket live); others only
     * those at most the live fraction. Returns the buckets emptied.
     */
    long collect(boolean urgent) throws KeelException {
        if (urgent) {
            lock.lock();
        } else if (!lock.tryLock()) {
            return 0;
        }
        try {
            long limit = urgent ? space.bucketSizeBytes - updates.blockSizeBytes
                    : (long) (space.bucketSizeBytes * liveFractionMax);
            long emptied = 0;
            for (Candidate c : candidates(limit)) {
                try {
                    if (evacuate(c)) {
                        emptied++;
                    }
                } catch (NoSpaceException e) {
                    // No room to move into right now (buckets emptied by commits not yet
                    // durable are not allocatable yet): end the pass; the caller's own
                    // allocation decides whether the filesystem is really full.
                    break;
                }
            }
            bucketsEmptied.addAndGet(emptied);
            return emptied;
        } finally {
            lock.unlock();
        }
    }

    /** The emptiest USER buckets with at most {@code limit} live bytes, not open here. */
    private List<Candidate> candidates(long limit) throws KeelException {
        List<Candidate> all = new ArrayList<>();
        long count = Math.min(SCAN_BUCKETS_MAX, space.endBucket - space.firstBucket);
        long start = cursor;
        for (long done = 0; done < count; ) {
            long from = space.firstBucket
                    + Math.floorMod(start + done - space.firstBucket,
                            space.endBucket - space.firstBucket);
            long to = Math.min(space.endBucket, from + (count - done));
            engine.read(txn -> {
                TransactionIterator it = txn.iterator(BtreeId.ALLOC, AllocUpdates.allocPos(from));
                for (Bkey k = it.next(); k != null && k.pos().offset() < to; k = it.next()) {
                    AllocRecord r = AllocRecord.decode(k.pos().offset(), k.value());
                    if (r.dataType() == DataType.USER && r.dirtyBytes() <= limit
                            && !space.isOpen(k.pos().offset())) {
                        all.add(new Candidate(k.pos().offset(), r.generation(), r.dirtyBytes()));
                    }
                }
                return null;
            });
            done += to - from;
        }
        cursor = space.firstBucket + Math.floorMod(start + count - space.firstBucket,
                space.endBucket - space.firstBucket);
        all.sort(Comparator.comparingLong(Candidate::liveBytes));
        return all.subList(0, Math.min(BUCKETS_PER_PASS_MAX, all.size()));
    }

    /** Moves the bucket's live extents out in batches; true once it is freed. */
    private boolean evacuate(Candidate c) throws KeelException {
        for (int round = 0; round < ROUNDS_PER_BUCKET_MAX; round++) {
            List<Extent> live = engine.read(txn -> liveExtents(txn, c));
            if (live == null) {
                return true; // freed (or reused) since the scan
            }
            if (live.isEmpty()) {
                return engine.update(txn -> space.freeIfEmpty(txn, c.bucket, c.generation),
                        Durability.FLUSH);
            }
            move(live);
        }
        LOG.warning("copygc: bucket " + c.bucket + " still live after " + ROUNDS_PER_BUCKET_MAX
                + " rounds");
        return false;
    }

    /**
     * Up to a batch of the bucket's live extents, via backpointers, each checked against its
     * extent; null when the bucket is no longer that USER bucket.
     */
    private List<Extent> liveExtents(Transaction txn, Candidate c) throws KeelException {
        AllocRecord r = AllocUpdates.get(txn, c.bucket);
        if (r == null || r.dataType() != DataType.USER || r.generation() != c.generation) {
            return null;
        }
        List<Extent> out = new ArrayList<>();
        TransactionIterator it = txn.iterator(BtreeId.BACKPOINTERS, Backpointer.pos(c.bucket, 0));
        for (Bkey k = it.next(); k != null && k.pos().inode() == c.bucket
                && out.size() < extentsPerCommit; k = it.next()) {
            Backpointer bp = Backpointer.decode(k);
            Bkey ek = txn.get(BtreeId.EXTENTS, bp.extentPos());
            Extent e = ek == null ? null : updates.decode(ek);
            if (e == null || !bp.matches(e) || e.generation() != c.generation) {
                throw new InconsistentException("backpointer at " + k.pos() + " names inode "
                        + bp.ino() + " [" + bp.fileOffsetBytes() + ", +" + bp.lengthBytes()
                        + ") but the extent there is " + e + "; run keelfs fsck");
            }
            out.add(e);
        }
        return out;
    }

    /**
     * Moves the extents, each into whatever room copygc's write point has: an extent that does
     * not fit the rest of the current bucket is split at a block boundary across buckets
     * (its per-block checksums split with it). Asking for contiguous room instead retired a
     * part-filled bucket whenever a large extent came next, and the room wasted so could
     * exceed what the move freed: at ~85% full that ran the filesystem out of space.
     */
    private void move(List<Extent> live) throws KeelException {
        List<Reservation> held = new ArrayList<>();
        List<Move> moves = new ArrayList<>();
        try {
            for (Extent e : live) {
                ByteBuffer data = reader.readExtentBlocks(e, e.startBytes(), e.endBytes());
                try {
                    reader.verify(e, e.startBytes(), data);
                } catch (ChecksumException ex) {
                    // Moved as it is with its stored checksums: reads keep reporting EIO
                    // rather than the move laundering bad bytes into good ones.
                    checksumErrors.incrementAndGet();
                }
                List<Reservation> r = writePoint.reserve(e.lengthBytes(), false, 0);
                held.addAll(r);
                List<Piece> pieces = new ArrayList<>(r.size());
                long at = 0;
                for (Reservation piece : r) {
                    write(piece, data.slice((int) at, (int) piece.lengthBytes()));
                    Extent part = e.slice(e.startBytes() + at,
                            e.startBytes() + at + piece.lengthBytes());
                    pieces.add(new Piece(new Extent(e.ino(), part.startBytes(),
                            piece.bucket().bucket(), piece.offsetInBucketBytes(),
                            piece.bucket().generation(), e.blockSizeBytes(), part.crcs()),
                            piece.bucket()));
                    at += piece.lengthBytes();
                }
                moves.add(new Move(e, pieces));
            }
            try {
                device.flush();
            } catch (IOException ex) {
                throw new DeviceIoException("flushing moved data", ex);
            }
            int moved = engine.update(txn -> {
                int n = 0;
                for (Move m : moves) {
                    n += updates.repoint(txn, m.old, m.pieces) ? 1 : 0;
                }
                return n;
            }, Durability.FLUSH);
            extentsMoved.addAndGet(moved);
        } finally {
            space.giveBack(held);
        }
    }

    private void write(Reservation at, ByteBuffer data) throws DeviceIoException {
        long deviceOffset = at.bucket().bucket() * space.bucketSizeBytes
                + at.offsetInBucketBytes();
        try {
            device.write(deviceOffset, data, false);
        } catch (IOException e) {
            throw new DeviceIoException("copygc writing to " + at.bucket() + " at device offset "
                    + deviceOffset, e);
        }
    }

    void close() {
        writePoint.close();
    }
}
