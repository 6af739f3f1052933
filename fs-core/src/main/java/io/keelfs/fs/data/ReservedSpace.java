package io.keelfs.fs.data;

import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.txn.Transaction;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Space promised to fallocated ranges ({@link ReservedExtent} keys): the persisted total, kept
 * in the same transactions as the keys, and the in-memory part an fallocate in progress has
 * taken but not committed yet (bcachefs {@code persistent_reserved} and a disk reservation).
 *
 * <p>Total key: EXTENTS at {@link #TOTAL_POS} (inode 0 is never a file), type
 * {@link KeyType#DATA_COUNTERS}, value one big-endian u64: the sum of the lengths of all
 * RESERVATION keys, in bytes. Missing means 0. fsck recounts it.
 *
 * <p>Lifecycle of reserved bytes: {@link #takePending} (admission checked by
 * {@link DataSpace#reserveForFallocate}), then per transaction {@link #add} moves them from
 * pending into the total when it commits; whatever an fallocate did not commit goes back with
 * {@link #releasePending}. A write into the range, a punch, truncate or unlink {@link #add}s
 * minus the bytes it cuts.
 *
 * <p>Thread-safety: counters are atomic; {@link #add} runs inside the caller's transaction.
 */
final class ReservedSpace {
    static final Bpos TOTAL_POS = Bpos.of(0, 0);

    /** Committed total (equals the key once the commit that set it applied). */
    private final AtomicLong totalBytes = new AtomicLong();
    /** Taken by fallocates in progress, not yet committed. */
    private final AtomicLong pendingBytes = new AtomicLong();

    /** Reads the total key at mount. */
    void load(Transaction txn) throws KeelException {
        totalBytes.set(read(txn));
    }

    /** Committed plus pending: what writes outside reserved ranges must leave free. */
    long bytes() {
        return totalBytes.get() + pendingBytes.get();
    }

    long committedBytes() {
        return totalBytes.get();
    }

    void takePending(long bytes) {
        pendingBytes.addAndGet(bytes);
    }

    void releasePending(long bytes) {
        pendingBytes.addAndGet(-bytes);
    }

    /**
     * In the caller's transaction: changes the total by {@code deltaBytes}; with
     * {@code fromPending} a positive delta moves bytes out of pending on commit. A total that
     * would go negative is inconsistent metadata.
     */
    void add(Transaction txn, long deltaBytes, boolean fromPending) throws KeelException {
        long cur = read(txn);
        long next = cur + deltaBytes;
        if (next < 0) {
            throw new InconsistentException("reserved space total " + cur + " bytes at "
                    + BtreeId.EXTENTS + " " + TOTAL_POS + " cannot drop by " + -deltaBytes
                    + "; run keelfs fsck");
        }
        txn.put(BtreeId.EXTENTS, totalKey(next));
        txn.onCommit(seq -> {
            totalBytes.addAndGet(deltaBytes);
            if (fromPending) {
                pendingBytes.addAndGet(-deltaBytes);
            }
        });
    }

    static Bkey totalKey(long bytes) {
        return new Bkey(TOTAL_POS, KeyType.DATA_COUNTERS,
                ByteBuffer.allocate(8).putLong(bytes).array());
    }

    /** The total key's value, 0 when missing. */
    static long read(Transaction txn) throws KeelException {
        return decodeTotal(txn.get(BtreeId.EXTENTS, TOTAL_POS));
    }

    static long decodeTotal(Bkey k) throws InconsistentException {
        if (k == null) {
            return 0;
        }
        if (k.type() != KeyType.DATA_COUNTERS || k.value().length != 8) {
            throw new InconsistentException("extents btree at " + TOTAL_POS + ": not a data"
                    + " counters key (type " + k.type() + ", " + k.value().length
                    + " bytes); run keelfs fsck");
        }
        long v = ByteBuffer.wrap(k.value()).getLong();
        if (v < 0) {
            throw new InconsistentException("extents btree at " + TOTAL_POS
                    + ": negative reserved total " + v + "; run keelfs fsck");
        }
        return v;
    }
}
