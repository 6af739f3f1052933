package io.keelfs.alloc;

import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.txn.Transaction;

/**
 * What the BACKPOINTERS btree says lives in a bucket, read without knowing the backpointer
 * value format (the file data layer owns it): its keys sit at {@code (bucket, offset)}, so one
 * seek answers whether a bucket holds live data. The allocator's cross-check before it hands a
 * bucket out, and the node store's before it adopts one, use it (bcachefs checks a bucket's
 * backpointers the same way when its alloc key and its users disagree).
 *
 * <p>Thread-safety: stateless.
 */
final class BucketUse {
    private BucketUse() {}

    /** The first backpointer in {@code bucket}, or null when it holds no live data. */
    static Bkey firstBackpointer(Transaction txn, long bucket) throws KeelException {
        Bkey k = txn.iterator(BtreeId.BACKPOINTERS, Bpos.of(bucket, 0)).next();
        return k != null && k.pos().inode() == bucket ? k : null;
    }
}
