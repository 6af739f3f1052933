package io.keelfs.fs.data;

import io.keelfs.alloc.AllocRecord;
import io.keelfs.alloc.AllocUpdates;
import io.keelfs.alloc.BucketAllocator;
import io.keelfs.alloc.DataType;
import io.keelfs.alloc.OpenBucket;
import io.keelfs.alloc.Watermark;
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
 * <p>Counters: free buckets are the allocator's {@link BucketAllocator#availableBuckets} (FREE
 * and NEED_DISCARD buckets not handed out), which sees btree node claims and returns as well as
 * data ones; a read-only mount counts them once at open. {@code liveBytes} counts the dirty
 * bytes of USER buckets, moved only here (the only writer of USER records). Both are for
 * statfs, the reserve and copygc's low-water mark; fsck-style checks recompute them.
 *
 * <p>Reserve: file writes allocate at {@link Watermark#NORMAL}, copygc at
 * {@link Watermark#COPYGC}; at open the allocator's reserves are set to
 * {@link FileDataOptions#reserveBuckets} and, when btree nodes share the allocator, half of it
 * for copygc, so the last buckets are left to btree node claims.
 *
 * <p>Reserved space (fallocate): {@link #reserveForFallocate} admits a reservation only when
 * the free buckets beyond the reserve cover every promised byte ({@link #bucketsPromised});
 * file writes outside reserved ranges must leave those buckets, writes into a range may take
 * them ({@link #allocate}). The check and the allocation are one step under one monitor.
 *
 * <p>Thread-safety: safe for many threads; the open map is concurrent, counters atomic, and
 * the transaction methods run inside engine transactions (under the engine lock).
 */
final class DataSpace {
    private static final Logger LOG = Logger.getLogger(DataSpace.class.getName());
    /**
     * Allocation tries: a plain try, then one after each copygc pass while passes empty
     * buckets (a pass moves at most {@link CopyGc#BUCKETS_PER_PASS_MAX}).
     */
    static final int ALLOCATE_ATTEMPTS_MAX = 16;
    /** ALLOC records one read transaction scans at open. */
    static final int SCAN_PER_READ_MAX = 4096;

    /** What frees space when allocation runs short: copygc. */
    @FunctionalInterface
    interface Reclaim {
        /** Returns the buckets emptied. */
        long run() throws KeelException;
    }

    private final Engine engine;
    private final BucketAllocator allocator;
    final long firstBucket;
    final long endBucket;
    final long bucketSizeBytes;
    private final FileDataOptions options;
    private final ConcurrentHashMap<Long, DataBucket> open = new ConcurrentHashMap<>();
    /** Free buckets of a read-only mount (no allocator), counted at open. */
    private final AtomicLong freeBucketsReadOnly = new AtomicLong();
    private final AtomicLong liveBytes = new AtomicLong();
    /** Space promised to fallocated ranges. */
    final ReservedSpace reserved = new ReservedSpace();
    /** Makes the free-bucket check and the allocation (or the promise) one step. */
    private final Object admission = new Object();
    private volatile Reclaim reclaim = () -> 0;

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
                        s.freeBucketsReadOnly.incrementAndGet();
                    } else if (r.dataType() == DataType.USER) {
                        s.liveBytes.addAndGet(r.dirtyBytes());
                    }
                }
                return null;
            });
        }
        engine.read(txn -> {
            s.reserved.load(txn);
            return null;
        });
        if (allocator != null) {
            long reserve = options.reserveBuckets();
            allocator.setReserves(reserve, allocator.servesNodeBuckets() ? reserve / 2 : 0);
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

    /** FREE and NEED_DISCARD buckets not handed out (the allocator's count). */
    long freeBuckets() {
        return allocator == null ? freeBucketsReadOnly.get() : allocator.availableBuckets();
    }

    /** Buckets holding btree nodes (0 when nodes do not share the allocator). */
    long btreeBuckets() {
        return allocator == null || !allocator.servesNodeBuckets() ? 0
                : allocator.bucketCount(DataType.BTREE);
    }

    long liveBytes() {
        return liveBytes.get();
    }

    /** The allocator's counts against a recount of the records (empty when they agree). */
    java.util.List<String> verifyAllocatorCounts() throws KeelException {
        return allocator == null ? java.util.List.of() : allocator.verifyCounts();
    }

    /** The reserve file writes may not take, in bytes. */
    long reserveBytes() {
        return options.reserveBuckets() * bucketSizeBytes;
    }

    /** Bytes free for file data: free buckets beyond the reserve. */
    long freeBytesForFiles() {
        return Math.max(0, freeBuckets() - options.reserveBuckets()) * bucketSizeBytes;
    }

    /**
     * Free buckets beyond the reserve that file writes outside fallocated ranges must leave
     * for {@code reservedBytes} promised to them: the bytes in whole buckets, plus one bucket
     * per write point and one more, because writes into different reserved ranges may each
     * leave a write point's bucket part filled. Nothing while nothing is reserved.
     */
    long bucketsPromised(long reservedBytes) {
        return reservedBytes <= 0 ? 0
                : -Math.floorDiv(-reservedBytes, bucketSizeBytes) + options.writePoints() + 1;
    }

    /**
     * fallocate's admission: sets {@code bytes} aside as pending reserved space if the free
     * buckets beyond the reserve cover everything promised with them; otherwise runs copygc
     * and retries while passes empty buckets, then ENOSPC with nothing set aside. Never call
     * inside a transaction.
     */
    void reserveForFallocate(long bytes) throws KeelException {
        if (allocator == null) {
            throw new ReadOnlyException("file data: the filesystem is mounted read-only");
        }
        for (int attempt = 1; ; attempt++) {
            synchronized (admission) {
                long promised = bucketsPromised(reserved.bytes() + bytes);
                if (freeBuckets() - options.reserveBuckets() >= promised) {
                    reserved.takePending(bytes);
                    return;
                }
            }
            if (attempt >= ALLOCATE_ATTEMPTS_MAX || reclaim.run() == 0) {
                throw new NoSpaceException(String.format("fallocate of %d bytes: %d free"
                        + " buckets, %d kept in reserve, %d reserved bytes promised already"
                        + " (%d buckets with the new ones); %d tries", bytes, freeBuckets(),
                        options.reserveBuckets(), reserved.bytes(),
                        bucketsPromised(reserved.bytes() + bytes), attempt));
            }
        }
    }

    /**
     * Opens a USER bucket. File writes first run copygc when free buckets are low, and may not
     * take the reserve (watermark NORMAL) nor the buckets promised to fallocated ranges other
     * than the {@code usableReservedBytes} this write fills; copygc may take part of the
     * reserve (COPYGC). When the allocator has nothing, copygc runs (for file writes) and
     * allocation is retried while passes empty buckets. Never call inside a transaction.
     */
    DataBucket allocate(boolean forCopyGc, long usableReservedBytes) throws KeelException {
        if (allocator == null) {
            throw new ReadOnlyException("file data: the filesystem is mounted read-only");
        }
        if (!forCopyGc && freeBuckets() < options.copyGcFreeBucketsLow()) {
            reclaim.run();
        }
        Watermark watermark = forCopyGc ? Watermark.COPYGC : Watermark.NORMAL;
        for (int attempt = 1; ; attempt++) {
            NoSpaceException why;
            try {
                if (forCopyGc) {
                    return register(allocator.allocate(DataType.USER, watermark));
                }
                synchronized (admission) {
                    // A write outside reserved ranges must leave every promised bucket; one
                    // into a range may take one of them (the promise has a bucket to spare).
                    long promised = bucketsPromised(reserved.bytes() - usableReservedBytes);
                    long needed = usableReservedBytes > 0 ? 0 : 1;
                    if (freeBuckets() - options.reserveBuckets() - promised < needed) {
                        throw new NoSpaceException(promised + " free buckets are promised to"
                                + " fallocated ranges");
                    }
                    return register(allocator.allocate(DataType.USER, watermark));
                }
            } catch (NoSpaceException e) {
                why = e;
            }
            // Slow path: copygc empties fragmented buckets (the allocator has already made
            // buckets emptied by commits not yet durable allocatable).
            if (forCopyGc || attempt >= ALLOCATE_ATTEMPTS_MAX || reclaim.run() == 0) {
                throw new NoSpaceException(String.format("file data: %s; %d free buckets in"
                        + " [%d, %d), %d reserved; %d bytes live; %d tries", why.getMessage(),
                        freeBuckets(), firstBucket, endBucket, options.reserveBuckets(),
                        liveBytes.get(), attempt));
            }
        }
    }

    private DataBucket register(OpenBucket ob) {
        DataBucket db = new DataBucket(ob);
        if (open.putIfAbsent(ob.bucket(), db) != null) {
            throw new IllegalStateException("allocator handed out open bucket " + ob);
        }
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
