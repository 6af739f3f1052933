package io.keelfs.alloc;

import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.error.KeelException;
import io.keelfs.format.Geometry;
import java.util.function.LongConsumer;
import java.util.function.LongFunction;

/**
 * Writes the first alloc record of every bucket of a range, with its FREESPACE key when FREE:
 * buckets holding a superblock copy are SUPERBLOCK, journal buckets JOURNAL, the rest FREE.
 *
 * <p>Entry point: {@link #initialise}. Thread-safety: stateless; runs engine transactions.
 */
public final class AllocInit {
    /**
     * Buckets per transaction. Each FREE bucket is two updates (ALLOC, ~51 bytes encoded; and
     * FREESPACE, ~23 bytes) plus journal record overhead, about 100 bytes: 64 buckets are ~6.4
     * KiB, well inside one journal entry of the smallest (16 KiB) journal bucket, and far
     * below {@link io.keelfs.txn.Transaction#UPDATES_MAX}.
     */
    static final int BUCKETS_PER_TRANSACTION_MAX = 64;

    /**
     * Journal bytes one bucket's records take at most in a transaction: ~100 (see above),
     * rounded up.
     */
    static final int RECORD_BYTES_PER_BUCKET_MAX = 128;
    /**
     * Buckets per transaction when formatting: a quarter of a journal bucket (entries hold
     * nearly a whole bucket) of records, at least {@link #BUCKETS_PER_TRANSACTION_MAX}: 2048
     * buckets with 1 MiB buckets, so 2^20 buckets take 512 commits rather than 16384.
     */
    static final int FORMAT_BUCKETS_PER_TRANSACTION_MAX = 2048;

    static {
        if (2 * FORMAT_BUCKETS_PER_TRANSACTION_MAX > io.keelfs.txn.Transaction.UPDATES_MAX) {
            throw new ExceptionInInitializerError("alloc format batch exceeds UPDATES_MAX");
        }
        if (2 * BUCKETS_PER_TRANSACTION_MAX > io.keelfs.txn.Transaction.UPDATES_MAX) {
            throw new ExceptionInInitializerError("alloc init batch exceeds UPDATES_MAX");
        }
    }

    private AllocInit() {}

    /**
     * Initialises buckets {@code [firstBucket, endBucket)} of the device described by
     * {@code geometry}, overwriting any record they had (the derived keys are fixed up too),
     * then waits for durability as asked. Returns the number of FREE buckets written.
     */
    public static long initialise(Engine engine, Geometry geometry, long firstBucket,
            long endBucket, Durability durability) throws KeelException {
        return initialise(engine, geometry, firstBucket, endBucket, b -> typeOf(geometry, b),
                end -> { }, BUCKETS_PER_TRANSACTION_MAX, false, durability);
    }

    /**
     * As {@link #initialise(Engine, Geometry, long, long, Durability)}, with each bucket's
     * type from {@code typeOf} (read inside each batch's transaction body, so a type changed
     * before a batch commits is the one written) and {@code batchCommitted} told the end of
     * each batch once it committed, {@code batchBuckets} buckets per batch. Records start at
     * generation 0 with no bytes. With {@code fresh} the caller knows no bucket of the range
     * has a record (formatting), and none is read.
     */
    static long initialise(Engine engine, Geometry geometry, long firstBucket, long endBucket,
            LongFunction<DataType> typeOf, LongConsumer batchCommitted, int batchBuckets,
            boolean fresh, Durability durability) throws KeelException {
        if (firstBucket < 0 || endBucket > geometry.bucketCount() || firstBucket >= endBucket) {
            throw new IllegalArgumentException(String.format(
                    "bucket range [%d, %d) not inside a device of %d buckets", firstBucket,
                    endBucket, geometry.bucketCount()));
        }
        long free = 0;
        for (long start = firstBucket; start < endBucket;
                start += batchBuckets) {
            long end = Math.min(endBucket, start + batchBuckets);
            long batchStart = start;
            free += engine.update(txn -> {
                long n = 0;
                for (long b = batchStart; b < end; b++) {
                    DataType type = typeOf.apply(b);
                    n += type == DataType.FREE ? 1 : 0;
                    if (fresh) {
                        AllocUpdates.setNew(txn, b, new AllocRecord(0, type, 0, 0, 0, 0));
                        continue;
                    }
                    AllocRecord old = AllocUpdates.get(txn, b);
                    long changeSeq = old == null ? 0 : old.changeSeq() + 1;
                    AllocUpdates.set(txn, b, new AllocRecord(0, type, 0, 0, changeSeq, 0));
                }
                return n;
            }, end == endBucket ? durability : Durability.NO_FLUSH);
            batchCommitted.accept(end);
        }
        return free;
    }

    /** Buckets per transaction formatting a device of this geometry (see the constant). */
    static int formatBatchBuckets(Geometry g) {
        int quarterEntry = g.bucketSizeBytes() / 4 / RECORD_BYTES_PER_BUCKET_MAX;
        return Math.max(BUCKETS_PER_TRANSACTION_MAX,
                Math.min(FORMAT_BUCKETS_PER_TRANSACTION_MAX, quarterEntry));
    }

    /** What mkfs placed in a bucket: superblock copies, the journal ring, or nothing yet. */
    static DataType typeOf(Geometry g, long bucket) {
        if (bucket == 0 || bucket == g.bucketCount() - 1) {
            return DataType.SUPERBLOCK;
        }
        if (bucket >= g.firstJournalBucket()
                && bucket < g.firstJournalBucket() + g.journalBucketCount()) {
            return DataType.JOURNAL;
        }
        return DataType.FREE;
    }
}
