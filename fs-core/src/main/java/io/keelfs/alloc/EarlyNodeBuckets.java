package io.keelfs.alloc;

import com.google.common.math.LongMath;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.engine.NodeBucketSource;
import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import io.keelfs.error.NoSpaceException;
import io.keelfs.format.BtreeId;
import io.keelfs.format.Geometry;
import io.keelfs.txn.Transaction;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The early allocator: btree node buckets while {@link AllocFormat} writes the first alloc
 * records, before FREESPACE exists (bcachefs {@code bch2_bucket_alloc_early} plays this part).
 *
 * <p>It starts with {@link #initialBucketCount} buckets right after the journal and, should
 * the checkpoints of formatting need more, claims further ones from the end of the device
 * downwards. It obeys the allocator's rule: only a bucket FREE in the records being written.
 * Records are written in ascending batches, so a candidate is either not written yet (it is
 * then written BTREE: {@link #typeOf} is read inside each batch) or already written, and then
 * its record must be FREE and a transaction makes it BTREE.
 *
 * <p>Buckets are never given back during formatting ({@link #spareBucketsMax} unbounded);
 * the first managed open returns those left empty.
 *
 * <p>Thread-safety: formatting is single-threaded; claims are synchronized anyway.
 */
final class EarlyNodeBuckets implements NodeBucketSource {
    /**
     * Node bytes formatting needs per bucket of the device: its ALLOC key (51 bytes) and
     * FREESPACE key (23 bytes) in nodes filled to half (ascending inserts split nodes in two)
     * are 148 bytes, twice over while the images a checkpoint replaced wait for it to be
     * durable: 296 bytes, rounded up.
     */
    static final long FORMAT_NODE_BYTES_PER_BUCKET = 320;
    /** Node slots per btree for the first checkpoints: old and new root, twice over. */
    static final int ROOT_SLOTS_PER_TREE = 4;

    private final Geometry geometry;
    private final List<Long> initial = new ArrayList<>();
    private final ConcurrentSkipListSet<Long> btree = new ConcurrentSkipListSet<>();
    /** Records of buckets below this are written (batches committed in ascending order). */
    private volatile long writtenEnd;
    /** Next candidate of a claim, going down. */
    private long claimCursor;

    EarlyNodeBuckets(Geometry geometry, long writtenEnd) {
        this(geometry, writtenEnd, initialBucketCount(geometry));
    }

    /** With {@code initialCount} initial buckets instead of the computed count (tests). */
    EarlyNodeBuckets(Geometry geometry, long writtenEnd, long initialCount) {
        this.geometry = geometry;
        this.writtenEnd = writtenEnd;
        long first = geometry.firstNodeBucket();
        for (long b = first; b < first + initialCount; b++) {
            initial.add(b);
            btree.add(b);
        }
        this.claimCursor = geometry.endNodeBucket() - 1;
    }

    /** Buckets formatting starts with: enough for every tree and all alloc records. */
    static long initialBucketCount(Geometry g) {
        long nodes = LongMath.divide(g.bucketCount() * FORMAT_NODE_BYTES_PER_BUCKET,
                g.nodeSizeBytes(), RoundingMode.CEILING)
                + (long) ROOT_SLOTS_PER_TREE * BtreeId.values().length;
        long buckets = LongMath.divide(nodes, g.nodesPerBucket(), RoundingMode.CEILING) + 1;
        return Math.max(1, Math.min(buckets, g.nodeBucketCount() / 2));
    }

    /** The type of each bucket's first record: BTREE for the buckets handed out so far. */
    DataType typeOf(long bucket) {
        DataType fixed = AllocInit.typeOf(geometry, bucket);
        if (fixed != DataType.FREE) {
            return fixed;
        }
        return btree.contains(bucket) ? DataType.BTREE : DataType.FREE;
    }

    /** A batch of records up to {@code end} (exclusive) committed. */
    void batchCommitted(long end) {
        writtenEnd = end;
    }

    /** The initial buckets; the image must hold no alloc record yet. */
    @Override
    public List<Long> nodeBuckets(Transaction txn) throws KeelException {
        if (txn.get(BtreeId.ALLOC, AllocUpdates.allocPos(0)) != null) {
            throw new IllegalStateException("formatting an image that has alloc records");
        }
        return initial;
    }

    @Override
    public synchronized long claimBucket(Engine engine) throws KeelException {
        for (; claimCursor >= geometry.firstNodeBucket(); claimCursor--) {
            long c = claimCursor;
            if (btree.contains(c)) {
                continue;
            }
            if (c >= writtenEnd) {
                btree.add(c);
                claimCursor--;
                return c;
            }
            boolean claimed = engine.update(txn -> {
                AllocRecord r = AllocUpdates.get(txn, c);
                if (r == null || !r.isFree()) {
                    return false;
                }
                AllocUpdates.set(txn, c, r.withData(DataType.BTREE, 0, 0));
                return true;
            }, Durability.NO_FLUSH);
            if (claimed) {
                btree.add(c);
                claimCursor--;
                return c;
            }
        }
        throw new NoSpaceException(String.format("formatting: no bucket left for btree nodes"
                + " (%d taken of %d node buckets)", btree.size(), geometry.nodeBucketCount()));
    }

    @Override
    public void returnBucket(Engine engine, long bucket) throws KeelException {
        throw new InconsistentException("formatting never returns node buckets; bucket "
                + bucket);
    }

    @Override
    public int spareBucketsMax() {
        return Integer.MAX_VALUE;
    }
}
