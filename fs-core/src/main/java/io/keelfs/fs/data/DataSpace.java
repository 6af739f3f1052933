package io.keelfs.fs.data;

import io.keelfs.alloc.AllocRecord;
import io.keelfs.alloc.AllocUpdates;
import io.keelfs.alloc.BucketAllocator;
import io.keelfs.alloc.DataType;
import io.keelfs.alloc.OpenBucket;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import io.keelfs.error.NoSpaceException;
import io.keelfs.error.ReadOnlyException;
import io.keelfs.format.Bkey;
import io.keelfs.format.BtreeId;
import io.keelfs.txn.Transaction;
import io.keelfs.txn.TransactionIterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The data buckets {@code [firstBucket, endBucket)}: which are open here, how many are free,
 * how many bytes are live, and the alloc record changes that keep each bucket's dirty bytes
 * equal to the sum of the extent lengths pointing into it.
 *
 * <p>Entry points: {@link #open}, {@link #allocate} (file writes keep out of the reserve;
 * copygc may use it), {@link #release}, and in a transaction {@link #addLive} and
 * {@link #removeLive}, which frees a bucket whose live bytes drop to zero unless it is open
 * (then {@link #release} frees it). Freed buckets are reused only once the freeing commit is
 * durable (the allocator's rule).
 *
 * <p>Counters: {@code freeBuckets} counts FREE and NEED_DISCARD buckets not open here (read at
 * open, then moved by allocate, release and freeing commits); {@code liveBytes} the dirty bytes
 * of USER buckets. Both are for statfs and the reserve; fsck-style checks recompute them.
 *
 * <p>Thread-safety: safe for many threads; the open map is concurrent, counters atomic, and
 * the transaction methods run inside engine transactions (under the engine lock).
 */
final class DataSpace {
    private static final Logger LOG = Logger.getLogger(DataSpace.class.getName());
    /** Allocation tries: a plain try, then after a checkpoint and/or copygc, then a last one. */
    static final int ALLOCATE_ATTEMPTS_MAX = 3;
    /** ALLOC records one read transaction scans at open. */
    static final int SCAN_PER_READ_MAX = 4096;

    /** What frees space when allocation runs short: copygc. */
    @FunctionalInterface
    interface Reclaim {
        void run() throws KeelException;
    }

    private final Engine engine;
    private final BucketAllocator allocator;
    final long firstBucket;
    final long endBucket;
    final long bucketSizeBytes;
    private final FileDataOptions options;
    private final ConcurrentHashMap<Long, DataBucket> open = new ConcurrentHashMap<>();
    private final AtomicLong freeBuckets = new AtomicLong();
    private final AtomicLong liveBytes = new AtomicLong();
    private volatile Reclaim reclaim = () -> { };

    private DataSpace(Engine engine, BucketAllocator allocator, long firstBucket, long endBucket,
            long bucketSizeBytes, FileDataOptions options) {
        this.engine = engine;
        this.allocator = allocator;
        this.firstBucket = firstBucket;
        this.endBucket = endBucket;
        this.bucketSizeBytes = bucketSizeBytes;
        this.options = options;
    }

    /** Reads the range's alloc records for the counters. */
    static DataSpace open(Engine engine, BucketAllocator allocator, long firstBucket,
            long endBucket, long bucketSizeBytes, FileDataOptions options)
            throws KeelException {
        DataSpace s = new DataSpace(engine, allocator, firstBucket, endBucket, bucketSizeBytes,
                options);
        for (long start = firstBucket; start < endBucket; start += SCAN_PER_READ_MAX) {
            long from = start;
            long to = Math.min(endBucket, start + SCAN_PER_READ_MAX);
            engine.read(txn -> {
                TransactionIterator it = txn.iterator(BtreeId.ALLOC, AllocUpdates.allocPos(from));
                for (Bkey k = it.next(); k != null && k.pos().offset() < to; k = it.next()) {
                    AllocRecord r = AllocRecord.decode(k.pos().offset(), k.value());
                    if (r.isFree() || r.dataType() == DataType.NEED_DISCARD) {
                        s.freeBuckets.incrementAndGet();
                    } else if (r.dataType() == DataType.USER) {
                        s.liveBytes.addAndGet(r.dirtyBytes());
                    }
                }
                return null;
            });
        }
        return s;
    }

    void setReclaim(Reclaim r) {
        reclaim = r;
    }

    boolean isOpen(long bucket) {
        return open.containsKey(bucket);
    }

    boolean inRange(long bucket) {
        return bucket >= firstBucket && bucket < endBucket;
    }

    long freeBuckets() {
        return freeBuckets.get();
    }

    long liveBytes() {
        return liveBytes.get();
    }

    /** Bytes free for file data: free buckets beyond the reserve. */
    long freeBytesForFiles() {
        return Math.max(0, freeBuckets.get() - options.reserveBuckets()) * bucketSizeBytes;
    }

    /**
     * Opens a USER bucket. File writes first run copygc when free buckets are low, and may not
     * take the reserve; when the allocator has nothing, a checkpoint makes emptied buckets
     * allocatable and (for file writes) copygc runs before the next try. Never call inside a
     * transaction.
     */
    DataBucket allocate(boolean forCopyGc) throws KeelException {
        if (allocator == null) {
            throw new ReadOnlyException("file data: the filesystem is mounted read-only");
        }
        if (!forCopyGc && freeBuckets.get() < options.copyGcFreeBucketsLow()) {
            reclaim.run();
        }
        for (int attempt = 1; ; attempt++) {
            NoSpaceException why;
            if (!forCopyGc && freeBuckets.get() <= options.reserveBuckets()) {
                why = new NoSpaceException(String.format("file data: %d free buckets in [%d, %d)"
                        + ", %d are reserved for metadata and copygc; %d bytes live",
                        freeBuckets.get(), firstBucket, endBucket, options.reserveBuckets(),
                        liveBytes.get()));
            } else {
                try {
                    return register(allocator.allocate(DataType.USER));
                } catch (NoSpaceException e) {
                    why = e;
                }
            }
            if (attempt >= ALLOCATE_ATTEMPTS_MAX) {
                throw why;
            }
            // Slow path: buckets emptied by commits not yet durable become allocatable once a
            // checkpoint made them durable; copygc empties fragmented buckets.
            if (!forCopyGc) {
                reclaim.run();
            }
            if (allocator.emptiedCount() > 0) {
                engine.checkpoint();
            }
        }
    }

    private DataBucket register(OpenBucket ob) {
        DataBucket db = new DataBucket(ob);
        if (open.putIfAbsent(ob.bucket(), db) != null) {
            throw new IllegalStateException("allocator handed out open bucket " + ob);
        }
        freeBuckets.decrementAndGet();
        return db;
    }

    /**
     * Gives a retired, unpinned bucket back to the allocator; then frees it if nothing live
     * is left in it. A failure to free is logged: copygc frees empty USER buckets it finds.
     */
    void release(DataBucket db) {
        allocator.release(db.open);
        // After the allocator's release: a commit that sees the bucket not open here may free
        // it, and the allocator must not think it open then.
        open.remove(db.bucket(), db);
        if (!db.claimed) {
            freeBuckets.incrementAndGet();
            return;
        }
        try {
            engine.update(txn -> {
                freeIfEmpty(txn, db.bucket(), db.generation());
                return null;
            }, Durability.NO_FLUSH);
        } catch (KeelException e) {
            LOG.warning("freeing emptied " + db + " failed (copygc will retry): "
                    + e.getMessage());
        }
    }

    /** Unpins the reservations' buckets, releasing those retired and no longer pinned. */
    void giveBack(java.util.List<Reservation> reservations) {
        for (Reservation r : reservations) {
            if (r.bucket().unpin()) {
                release(r.bucket());
            }
        }
    }

    /** In the caller's transaction: frees the bucket if it is a USER bucket of that generation
     * with nothing live and not open. Returns whether it did. */
    boolean freeIfEmpty(Transaction txn, long bucket, int generation) throws KeelException {
        AllocRecord r = AllocUpdates.get(txn, bucket);
        if (r == null || r.dataType() != DataType.USER || r.generation() != generation
                || r.dirtyBytes() != 0 || isOpen(bucket)) {
            return false;
        }
        allocator.free(txn, bucket);
        txn.onCommit(seq -> freeBuckets.incrementAndGet());
        return true;
    }

    /** In the caller's transaction: {@code bytes} more live in {@code db} (claims it first). */
    void addLive(Transaction txn, DataBucket db, long bytes) throws KeelException {
        AllocRecord r = AllocUpdates.get(txn, db.bucket());
        if (r != null && r.isFree()) {
            allocator.claim(txn, db.open, bytes, DataType.USER);
            txn.onCommit(seq -> db.claimed = true);
        } else if (r != null && r.dataType() == DataType.USER
                && r.generation() == db.generation()
                && r.dirtyBytes() + bytes <= bucketSizeBytes) {
            AllocUpdates.set(txn, db.bucket(), r.withData(DataType.USER,
                    r.dirtyBytes() + bytes, 0));
        } else {
            throw mismatch("adding " + bytes + " live bytes to open " + db, db.bucket(), r);
        }
        txn.onCommit(seq -> liveBytes.addAndGet(bytes));
    }

    /**
     * In the caller's transaction: {@code bytes} of an extent made against {@code generation}
     * are no longer live in {@code bucket}; frees the bucket when none remain and it is not
     * open. The record must be USER at that generation with at least that many bytes.
     */
    void removeLive(Transaction txn, long bucket, int generation, long bytes)
            throws KeelException {
        AllocRecord r = AllocUpdates.get(txn, bucket);
        if (!inRange(bucket) || r == null || r.dataType() != DataType.USER
                || r.generation() != generation || r.dirtyBytes() < bytes) {
            throw mismatch("removing " + bytes + " live bytes of gen " + generation,
                    bucket, r);
        }
        long dirty = r.dirtyBytes() - bytes;
        AllocUpdates.set(txn, bucket, r.withData(DataType.USER, dirty, 0));
        if (dirty == 0) {
            freeIfEmpty(txn, bucket, generation);
        }
        txn.onCommit(seq -> liveBytes.addAndGet(-bytes));
    }

    private InconsistentException mismatch(String what, long bucket, AllocRecord r) {
        StringBuilder sb = new StringBuilder(what).append(": bucket ").append(bucket)
                .append(" (data range [").append(firstBucket).append(", ").append(endBucket)
                .append(")) has record ");
        if (r == null) {
            sb.append("missing");
        } else {
            r.appendTo(sb);
        }
        return new InconsistentException(sb.append("; run keelfs fsck").toString());
    }
}
