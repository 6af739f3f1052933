package io.keelfs.alloc;

import io.keelfs.block.BlockDevice;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import io.keelfs.error.KeelException;
import io.keelfs.format.Geometry;
import io.keelfs.format.Superblock;

/**
 * Formats a device for managed mode ({@link ManagedEngine}): {@link Mkfs#format}, then one
 * alloc record for every bucket: SUPERBLOCK, JOURNAL, BTREE for the early allocator's node
 * buckets ({@link EarlyNodeBuckets}), FREE with its FREESPACE key for the rest.
 *
 * <p>Entry point: {@link #format}. Records go in batched NO_FLUSH transactions
 * ({@link AllocInit#formatBatchBuckets}: up to 2048 buckets each) and the last one is
 * flushed, so 2^20 buckets take seconds. A crash while formatting leaves an image without
 * the records of its later buckets: format it again.
 *
 * <p>Thread-safety: stateless; the caller owns the device for the duration.
 */
public final class AllocFormat {
    private AllocFormat() {}

    /** Formats the whole device; returns the superblock as written last (marked clean). */
    public static Superblock format(BlockDevice device, Mkfs.Options options)
            throws KeelException {
        return format(device, options, Mkfs.Progress.NONE);
    }

    public static Superblock format(BlockDevice device, Mkfs.Options options,
            Mkfs.Progress progress) throws KeelException {
        Geometry g = Mkfs.geometry(device.sizeBytes(), options);
        return format(device, options, progress, EarlyNodeBuckets.initialBucketCount(g));
    }

    /** {@link #format} starting from {@code initialNodeBuckets} node buckets (tests). */
    static Superblock format(BlockDevice device, Mkfs.Options options, Mkfs.Progress progress,
            long initialNodeBuckets) throws KeelException {
        Superblock sb = Mkfs.format(device, options, progress,
                Superblock.FEATURE_ALLOC_RECORDS);
        Geometry g = sb.geometry();
        EarlyNodeBuckets early = new EarlyNodeBuckets(g, 0, initialNodeBuckets);
        Engine engine = Engine.open(device, EngineOptions.defaults()
                .withCheckpointIntervalMs(0).withNodeBucketSource(early));
        try {
            AllocInit.initialise(engine, g, 0, g.bucketCount(), early::typeOf,
                    early::batchCommitted, AllocInit.formatBatchBuckets(g), true,
                    Durability.FLUSH);
        } finally {
            engine.close();
        }
        return engine.superblock();
    }
}
