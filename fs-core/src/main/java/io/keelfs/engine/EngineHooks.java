package io.keelfs.engine;

/**
 * Points where tests park threads or inject damage to force rare interleavings; the production
 * instance does nothing (STYLE.md section 7, race tests with hooks).
 */
public interface EngineHooks {
    EngineHooks NONE = new EngineHooks() {};

    /** Under the exclusive lock, just before dirty key-cache entries are written back. */
    default void beforeKeyCacheFlush() {}

    /**
     * Managed mode: a checkpoint topped up the node store and is about to take the exclusive
     * lock (no engine lock held): updates run here are the ones the recheck must catch.
     */
    default void afterNodeTopUp() {}

    /**
     * A checkpoint took its snapshot and is about to write the node images (no engine lock
     * held, only the checkpoint lock): reads and updates run here meet nodes that are clean
     * in memory but not yet on the device.
     */
    default void beforeCheckpointWrites() {}

    /** Under the exclusive lock, after a transaction's journal append and before it is applied. */
    default void afterJournalAppend(long seq) {}
}
