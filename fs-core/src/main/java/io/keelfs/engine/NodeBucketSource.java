package io.keelfs.engine;

import io.keelfs.error.KeelException;
import io.keelfs.txn.Transaction;
import java.util.List;

/**
 * Where a managed engine's btree node buckets come from: implemented by the layer that owns
 * the device's buckets (the bucket allocator), so the engine needs no compile-time knowledge
 * of alloc records. Given in {@link EngineOptions#nodeBucketSource}; without one the engine
 * keeps every bucket between the journal and the last bucket for nodes.
 *
 * <p>Calls and locks: {@link #nodeBuckets} runs once at open, inside the engine, on a
 * read-only transaction over the replayed trees. {@link #claimBucket} and
 * {@link #returnBucket} run on the thread about to checkpoint (or just after one), with no
 * engine lock held, and may run engine transactions; they never run under the exclusive lock.
 *
 * <p>Thread-safety: implementations must be thread-safe.
 */
public interface NodeBucketSource {
    /** The buckets whose alloc record, as replayed, says they hold btree nodes. */
    List<Long> nodeBuckets(Transaction txn) throws KeelException;

    /**
     * Takes one free bucket for btree nodes and commits the transaction that records it so
     * (a crash then replays it); returns its index. {@link io.keelfs.error.NoSpaceException}
     * when there is none.
     */
    long claimBucket(Engine engine) throws KeelException;

    /**
     * Gives back a bucket the node store emptied and stopped using, in a committed
     * transaction.
     */
    void returnBucket(Engine engine, long bucket) throws KeelException;

    /** Empty node buckets the engine keeps as spare instead of returning them. */
    default int spareBucketsMax() {
        return 2;
    }
}
