package io.keelfs.engine;

import io.keelfs.format.BtreeId;
import java.util.Map;

/**
 * How an engine is opened.
 *
 * @param readOnly no writes at all: no replay is written back, no superblock update
 * @param allowJournalTruncation replay up to the last good entry even when a later flushed entry
 *     is unreachable (fsck --repair); otherwise such a journal refuses to open
 * @param nodeCacheBytesMax bound of the clean btree node cache
 * @param keyCacheBytesMax bound of each cached btree's clean key-cache entries
 * @param checkpointJournalFill journal fill ratio above which an update first checkpoints
 * @param checkpointIntervalMs background checkpoint period once idle (under steady load a
 *     few times longer; see {@link Reclaimer}); 0 turns the thread off (tests)
 * @param hooks test hooks
 * @param nodeBucketsEnd one past the last bucket btree nodes may use, 0 for every node bucket;
 *     leaves the buckets after it to a caller that manages them itself (data in tests);
 *     ignored when a node bucket source is given
 * @param nodeBucketSource null: btree nodes may use every bucket between the journal and the
 *     last bucket (up to nodeBucketsEnd); else managed mode: nodes live only in the buckets
 *     this source hands out, which it records as btree buckets (see {@link NodeBucketSource})
 * @param replayCheck null, or the upper layer's check of journal entries not proven flushed
 *     (see {@link ReplayCheck}): replay stops before the first entry it rejects
 * @param holdAllocation managed mode, writable: write no btree node and claim or return no
 *     bucket until {@link Engine#startAllocation} (commits go to the journal only). fsck opens
 *     so, and starts allocation once its alloc pass has repaired the alloc records: records
 *     that call a bucket of live data FREE must not hand it out first (bcachefs starts its
 *     allocator only after check_alloc_info)
 * @param salvagedTrees btrees to rebuild at open from what fsck saved of them (see
 *     {@link TreeSalvage}) instead of their damaged on-disk roots; empty normally
 * @param preRead null, or the journal and nodes the caller read already (see {@link PreRead})
 */
public record EngineOptions(
        boolean readOnly, boolean allowJournalTruncation, long nodeCacheBytesMax,
        long keyCacheBytesMax, double checkpointJournalFill, long checkpointIntervalMs,
        EngineHooks hooks, long nodeBucketsEnd,
        NodeBucketSource nodeBucketSource, ReplayCheck replayCheck, boolean holdAllocation,
        Map<BtreeId, TreeSalvage> salvagedTrees, PreRead preRead) {
    /**
     * Clean nodes kept decoded. 1M keys of 64-byte values decode to about 100 MiB of nodes
     * (bench engine); 128 MiB keeps such a tree cached and the engine well under a 256 MiB heap.
     */
    public static final long NODE_CACHE_BYTES_DEFAULT = 128L << 20;
    public static final long KEY_CACHE_BYTES_DEFAULT = 16L << 20;

    public EngineOptions {
        salvagedTrees = Map.copyOf(salvagedTrees);
        if (nodeBucketsEnd < 0) {
            throw new IllegalArgumentException("node buckets end " + nodeBucketsEnd + " < 0");
        }
        if (checkpointJournalFill <= 0 || checkpointJournalFill >= 1) {
            throw new IllegalArgumentException("checkpoint journal fill " + checkpointJournalFill
                    + " not in (0, 1)");
        }
    }

    public static EngineOptions defaults() {
        return new EngineOptions(false, false, NODE_CACHE_BYTES_DEFAULT, KEY_CACHE_BYTES_DEFAULT,
                0.5, 5_000, EngineHooks.NONE, 0, null, null, false, Map.of(), null);
    }

    public EngineOptions withReadOnly(boolean value) {
        return new EngineOptions(value, allowJournalTruncation, nodeCacheBytesMax,
                keyCacheBytesMax, checkpointJournalFill, checkpointIntervalMs, hooks,
                nodeBucketsEnd, nodeBucketSource, replayCheck, holdAllocation, salvagedTrees, preRead);
    }

    public EngineOptions withHooks(EngineHooks value) {
        return new EngineOptions(readOnly, allowJournalTruncation, nodeCacheBytesMax,
                keyCacheBytesMax, checkpointJournalFill, checkpointIntervalMs, value,
                nodeBucketsEnd, nodeBucketSource, replayCheck, holdAllocation, salvagedTrees, preRead);
    }

    public EngineOptions withCheckpointIntervalMs(long value) {
        return new EngineOptions(readOnly, allowJournalTruncation, nodeCacheBytesMax,
                keyCacheBytesMax, checkpointJournalFill, value, hooks, nodeBucketsEnd,
                nodeBucketSource, replayCheck, holdAllocation, salvagedTrees, preRead);
    }

    public EngineOptions withNodeCacheBytesMax(long value) {
        return new EngineOptions(readOnly, allowJournalTruncation, value,
                keyCacheBytesMax, checkpointJournalFill, checkpointIntervalMs, hooks,
                nodeBucketsEnd, nodeBucketSource, replayCheck, holdAllocation, salvagedTrees, preRead);
    }

    public EngineOptions withAllowJournalTruncation(boolean value) {
        return new EngineOptions(readOnly, value, nodeCacheBytesMax,
                keyCacheBytesMax, checkpointJournalFill, checkpointIntervalMs, hooks,
                nodeBucketsEnd, nodeBucketSource, replayCheck, holdAllocation, salvagedTrees, preRead);
    }

    public EngineOptions withNodeBucketsEnd(long value) {
        return new EngineOptions(readOnly, allowJournalTruncation, nodeCacheBytesMax,
                keyCacheBytesMax, checkpointJournalFill, checkpointIntervalMs, hooks, value,
                nodeBucketSource, replayCheck, holdAllocation, salvagedTrees, preRead);
    }

    /** Managed mode with this source, or unmanaged with null. */
    public EngineOptions withReplayCheck(ReplayCheck value) {
        return new EngineOptions(readOnly, allowJournalTruncation, nodeCacheBytesMax,
                keyCacheBytesMax, checkpointJournalFill, checkpointIntervalMs, hooks,
                nodeBucketsEnd, nodeBucketSource, value, holdAllocation, salvagedTrees, preRead);
    }

    public EngineOptions withNodeBucketSource(NodeBucketSource value) {
        return new EngineOptions(readOnly, allowJournalTruncation, nodeCacheBytesMax,
                keyCacheBytesMax, checkpointJournalFill, checkpointIntervalMs, hooks,
                nodeBucketsEnd, value, replayCheck, holdAllocation, salvagedTrees, preRead);
    }

    public EngineOptions withHoldAllocation(boolean value) {
        return new EngineOptions(readOnly, allowJournalTruncation, nodeCacheBytesMax,
                keyCacheBytesMax, checkpointJournalFill, checkpointIntervalMs, hooks,
                nodeBucketsEnd, nodeBucketSource, replayCheck, value, salvagedTrees, preRead);
    }

    public EngineOptions withSalvagedTrees(
            Map<BtreeId, TreeSalvage> value) {
        return new EngineOptions(readOnly, allowJournalTruncation, nodeCacheBytesMax,
                keyCacheBytesMax, checkpointJournalFill, checkpointIntervalMs, hooks,
                nodeBucketsEnd, nodeBucketSource, replayCheck, holdAllocation, value, preRead);
    }

    public EngineOptions withPreRead(PreRead value) {
        return new EngineOptions(readOnly, allowJournalTruncation, nodeCacheBytesMax,
                keyCacheBytesMax, checkpointJournalFill, checkpointIntervalMs, hooks,
                nodeBucketsEnd, nodeBucketSource, replayCheck, holdAllocation, salvagedTrees,
                value);
    }

    public boolean isManaged() {
        return nodeBucketSource != null;
    }
}
