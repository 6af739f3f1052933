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

    /** Under the exclusive lock, after a transaction's journal append and before it is applied. */
    default void afterJournalAppend(long seq) {}
}
