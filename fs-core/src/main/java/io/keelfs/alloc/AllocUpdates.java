package io.keelfs.alloc;

import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.txn.Transaction;

/**
 * Alloc record updates and the derived indexes they keep in step, as a bcachefs alloc trigger:
 * every change of a bucket's record goes through {@link #set}, which in the same transaction
 * keeps FREESPACE holding a key exactly for the FREE buckets and NEED_DISCARD a key exactly for
 * the NEED_DISCARD buckets.
 *
 * <p>Key layout: ALLOC at {@code Bpos(0, bucket)}; FREESPACE at
 * {@code Bpos(0, (genbits << 56) | bucket)}, type SET, no value; NEED_DISCARD at
 * {@code Bpos(0, bucket)}, type SET.
 *
 * <p>Thread-safety: stateless; the transaction is confined to its thread.
 */
public final class AllocUpdates {
    /** Bucket indexes must fit below the genbits in a FREESPACE offset. */
    public static final long BUCKET_INDEX_MAX = (1L << 56) - 1;
    private static final int GENBITS_SHIFT = 56;

    private AllocUpdates() {}

    public static Bpos allocPos(long bucket) {
        checkBucket(bucket);
        return Bpos.of(0, bucket);
    }

    public static Bpos freespacePos(long bucket, int genbits) {
        checkBucket(bucket);
        return Bpos.of(0, ((long) genbits << GENBITS_SHIFT) | bucket);
    }

    static long bucketOfFreespace(Bpos pos) {
        return pos.offset() & BUCKET_INDEX_MAX;
    }

    static int genbitsOfFreespace(Bpos pos) {
        return (int) (pos.offset() >>> GENBITS_SHIFT);
    }

    /** The record of {@code bucket} as the transaction sees it, or null when it has none. */
    public static AllocRecord get(Transaction txn, long bucket) throws KeelException {
        Bkey k = txn.get(BtreeId.ALLOC, allocPos(bucket));
        if (k == null) {
            return null;
        }
        if (k.type() != KeyType.ALLOC) {
            throw new InconsistentException("ALLOC key of bucket " + bucket + " has type "
                    + k.type() + ", expected " + KeyType.ALLOC + "; run keelfs fsck");
        }
        return AllocRecord.decode(bucket, k.value());
    }

    /**
     * Writes the new record of {@code bucket} and fixes FREESPACE and NEED_DISCARD from the
     * difference between the old record (as the transaction sees it) and the new one.
     */
    public static void set(Transaction txn, long bucket, AllocRecord newRecord)
            throws KeelException {
        AllocRecord old = get(txn, bucket);
        txn.put(BtreeId.ALLOC, new Bkey(allocPos(bucket), KeyType.ALLOC, newRecord.encode()));
        boolean wasFree = old != null && old.isFree();
        if (wasFree && (!newRecord.isFree() || old.genbits() != newRecord.genbits())) {
            txn.delete(BtreeId.FREESPACE, freespacePos(bucket, old.genbits()));
        }
        if (newRecord.isFree() && !(wasFree && old.genbits() == newRecord.genbits())) {
            txn.put(BtreeId.FREESPACE,
                    new Bkey(freespacePos(bucket, newRecord.genbits()), KeyType.SET, null));
        }
        boolean wasDiscard = old != null && old.dataType() == DataType.NEED_DISCARD;
        boolean isDiscard = newRecord.dataType() == DataType.NEED_DISCARD;
        if (wasDiscard && !isDiscard) {
            txn.delete(BtreeId.NEED_DISCARD, Bpos.of(0, bucket));
        } else if (isDiscard && !wasDiscard) {
            txn.put(BtreeId.NEED_DISCARD, new Bkey(Bpos.of(0, bucket), KeyType.SET, null));
        }
    }

    /**
     * {@link #set} for a bucket the caller knows has no record yet (formatting): writes the
     * record and its derived key without reading, which halves the lookups per bucket.
     */
    static void setNew(Transaction txn, long bucket, AllocRecord record) {
        txn.put(BtreeId.ALLOC, new Bkey(allocPos(bucket), KeyType.ALLOC, record.encode()));
        if (record.isFree()) {
            txn.put(BtreeId.FREESPACE,
                    new Bkey(freespacePos(bucket, record.genbits()), KeyType.SET, null));
        } else if (record.dataType() == DataType.NEED_DISCARD) {
            txn.put(BtreeId.NEED_DISCARD, new Bkey(Bpos.of(0, bucket), KeyType.SET, null));
        }
    }

    private static void checkBucket(long bucket) {
        if (bucket < 0 || bucket > BUCKET_INDEX_MAX) {
            throw new IllegalArgumentException("bucket " + bucket + " not in [0, 2^56)");
        }
    }
}
