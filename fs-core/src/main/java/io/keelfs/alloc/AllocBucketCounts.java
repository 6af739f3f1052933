package io.keelfs.alloc;

import io.keelfs.block.BlockDevice;
import io.keelfs.engine.Engine;
import io.keelfs.engine.EngineOptions;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.txn.Transaction;
import io.keelfs.txn.TransactionIterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Buckets by the data type of their alloc record, for show-super
 * ({@link io.keelfs.engine.ImageReport#withAllocRecordCounts}) and tests.
 *
 * <p>Entry points: {@link #read} (a device, opened read-only: replays the journal in memory,
 * writes nothing) and {@link #count} (inside a transaction).
 *
 * <p>Thread-safety: stateless.
 */
public final class AllocBucketCounts {
    private AllocBucketCounts() {}

    /**
     * The counts of an image, every type listed (zero included) in {@link DataType} order;
     * empty when the image has no alloc records (formatted without them).
     */
    public static Map<String, Long> read(BlockDevice device) throws KeelException {
        EngineOptions options = EngineOptions.defaults().withReadOnly(true)
                .withCheckpointIntervalMs(0);
        try (Engine engine = Engine.open(device, options)) {
            return engine.read(AllocBucketCounts::count);
        }
    }

    /** The counts the transaction sees; see {@link #read}. */
    public static Map<String, Long> count(Transaction txn) throws KeelException {
        long[] counts = new long[DataType.values().length];
        long records = 0;
        TransactionIterator it = txn.iterator(BtreeId.ALLOC, Bpos.MIN);
        for (Bkey k = it.next(); k != null; k = it.next()) {
            counts[AllocRecord.decode(k.pos().offset(), k.value()).dataType().ordinal()]++;
            records++;
        }
        Map<String, Long> out = new LinkedHashMap<>();
        if (records == 0) {
            return out;
        }
        for (DataType t : DataType.values()) {
            out.put(t.name().toLowerCase(Locale.ROOT), counts[t.ordinal()]);
        }
        return out;
    }
}
