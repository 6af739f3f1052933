package io.keelfs.engine;

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

    @Override
    public String toString() {
        return String.format("commits %d (restarts %d), checkpoints %d, replayed %d entries /"
                + " %d keys", commits, commitRestarts, checkpoints, replayedEntries, replayedKeys);
    }
}
