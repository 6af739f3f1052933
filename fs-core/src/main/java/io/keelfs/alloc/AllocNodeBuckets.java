package io.keelfs.alloc;

import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.engine.NodeBucketSource;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.Geometry;
import io.keelfs.txn.Transaction;
import io.keelfs.txn.TransactionIterator;
import java.util.ArrayList;
import java.util.List;

/**
 * The engine's btree node buckets, taken from and given back to the {@link BucketAllocator}:
 * the {@link NodeBucketSource} of a managed engine ({@link ManagedEngine#open}).
 *
 * <p>A node bucket's alloc record is BTREE with 0 dirty bytes: which slots hold live nodes
 * is kept only in the engine's in-memory bitmap, rebuilt at open by walking the trees (the
 * record cannot follow every checkpoint: a checkpoint cannot run a transaction).
 *
 * <p>The allocator needs an open engine and the engine needs this source to open, so the
 * allocator is opened on the engine's first call that needs it ({@link #allocator}).
 *
 * <p>Thread-safety: thread-safe.
 */
public final class AllocNodeBuckets implements NodeBucketSource {
    private final AllocHooks hooks;
    private volatile BucketAllocator allocator;

    public AllocNodeBuckets(AllocHooks hooks) {
        this.hooks = hooks;
    }

    /**
     * The BTREE buckets among the records the transaction sees. A BTREE record over a bucket
     * the backpointers say holds file data is an {@link io.keelfs.error.InconsistentException}
     * naming fsck: the node store would write nodes over that data.
     */
    @Override
    public List<Long> nodeBuckets(Transaction txn) throws KeelException {
        List<Long> buckets = bucketsOfType(txn, DataType.BTREE);
        for (long bucket : buckets) {
            Bkey bp = BucketUse.firstBackpointer(txn, bucket);
            if (bp != null) {
                throw new io.keelfs.error.InconsistentException("alloc record of bucket "
                        + bucket + " says btree, but it holds file data (backpointer at "
                        + bp.pos() + "); refusing to write; open read-only or run keelfs"
                        + " fsck --repair");
            }
        }
        return buckets;
    }

    /** Every bucket whose record has type {@code type}, ascending. */
    static List<Long> bucketsOfType(Transaction txn, DataType type) throws KeelException {
        List<Long> out = new ArrayList<>();
        TransactionIterator it = txn.iterator(BtreeId.ALLOC, Bpos.MIN);
        for (Bkey k = it.next(); k != null; k = it.next()) {
            long bucket = k.pos().offset();
            if (AllocRecord.decode(bucket, k.value()).dataType() == type) {
                out.add(bucket);
            }
        }
        return out;
    }

    @Override
    public long claimBucket(Engine engine) throws KeelException {
        BucketAllocator a = allocator(engine);
        OpenBucket ob = a.allocate(DataType.BTREE, Watermark.BTREE);
        try {
            engine.update(txn -> {
                a.claim(txn, ob, 0, DataType.BTREE);
                return null;
            }, Durability.NO_FLUSH);
        } finally {
            a.release(ob);
        }
        return ob.bucket();
    }

    @Override
    public void returnBucket(Engine engine, long bucket) throws KeelException {
        BucketAllocator a = allocator(engine);
        engine.update(txn -> {
            AllocRecord r = AllocUpdates.get(txn, bucket);
            if (r == null || r.dataType() != DataType.BTREE) {
                StringBuilder sb = new StringBuilder("empty btree node bucket " + bucket
                        + " has record ");
                if (r == null) {
                    sb.append("none");
                } else {
                    r.appendTo(sb);
                }
                throw new io.keelfs.error.InconsistentException(sb.append(
                        ", expected btree; run keelfs fsck").toString());
            }
            a.free(txn, bucket);
            return null;
        }, Durability.NO_FLUSH);
    }

    /**
     * The allocator over every bucket but the superblock and journal ones, opened on first
     * use on {@code engine}.
     */
    public BucketAllocator allocator(Engine engine) throws KeelException {
        BucketAllocator a = allocator;
        if (a != null) {
            return a;
        }
        synchronized (this) {
            if (allocator == null) {
                Geometry g = engine.superblock().geometry();
                BucketAllocator a2 = BucketAllocator.open(engine, g.firstNodeBucket(),
                        g.endNodeBucket(), hooks);
                a2.markServesNodeBuckets();
                allocator = a2;
            }
            return allocator;
        }
    }
}
