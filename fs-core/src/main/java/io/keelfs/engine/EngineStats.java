package io.keelfs.engine;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of the engine's paths (STYLE.md: count each distinct slow or failing path).
 *
 * <p>Thread-safety: written under the engine's exclusive lock, read racily for reports.
 */
public final class EngineStats {
    volatile long commits;
    volatile long commitRestarts;
    volatile long checkpoints;
    volatile long replayedEntries;
    volatile long replayedKeys;
    /** Managed mode: node buckets claimed from and returned to the node bucket source. */
    final AtomicLong nodeBucketsClaimed = new AtomicLong();
    final AtomicLong nodeBucketsReturned = new AtomicLong();
    /** Managed mode: checkpoints that found too few free slots under the lock and retried. */
    final AtomicLong nodeReserveRetries = new AtomicLong();
    /** Managed mode: an update's threshold checkpoint found no node space; it committed. */
    final AtomicLong nodeReserveFailures = new AtomicLong();
    /** Checkpoints skipped under an allocation hold ({@link EngineOptions#holdAllocation}). */
    final AtomicLong checkpointsHeld = new AtomicLong();

    public long checkpointsHeld() {
        return checkpointsHeld.get();
    }

    public long commits() {
        return commits;
    }

    public long commitRestarts() {
        return commitRestarts;
    }

    public long checkpoints() {
        return checkpoints;
    }

    public long replayedEntries() {
        return replayedEntries;
    }

    public long replayedKeys() {
        return replayedKeys;
    }

    public long nodeBucketsClaimed() {
        return nodeBucketsClaimed.get();
    }

    public long nodeBucketsReturned() {
        return nodeBucketsReturned.get();
    }

    public long nodeReserveRetries() {
        return nodeReserveRetries.get();
    }

    public long nodeReserveFailures() {
        return nodeReserveFailures.get();
    }

    @Override
    public String toString() {
        return String.format("commits %d (restarts %d), checkpoints %d, replayed %d entries /"
                + " %d keys, node buckets claimed %d returned %d, reserve retries %d failures %d",
                commits, commitRestarts, checkpoints, replayedEntries, replayedKeys,
                nodeBucketsClaimed.get(), nodeBucketsReturned.get(), nodeReserveRetries.get(),
                nodeReserveFailures.get());
    }
}
