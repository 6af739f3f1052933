package io.keelfs.btree;

/**
 * A {@link NodeStore} with an in-memory slot bitmap and deferred frees: what the engine needs
 * besides reading and writing nodes. Implemented by {@link SlotNodeStore} (fixed byte ranges)
 * and {@link BucketNodeStore} (buckets handed to it one by one).
 *
 * <p>Deferred frees: {@link #free} only puts a slot on a pending list; the engine calls
 * {@link #releasePending(long)} with the {@link #freedCount()} it read right after a
 * checkpoint, once the journal entry carrying that checkpoint's roots is durable.
 *
 * <p>Thread-safety: implementations are thread-safe.
 */
public interface SlotStore extends NodeStore {
    /** How many frees have happened since construction: the ticket for releasePending. */
    long freedCount();

    /** Makes the slots of the first {@code freedCountAtCheckpoint} frees allocatable. */
    void releasePending(long freedCountAtCheckpoint);

    /** Slots allocated or freed but not yet released. */
    int usedCount();

    /** Checks the counts against the bitmaps (tests, fsck); IllegalStateException if wrong. */
    void verify();

    void appendTo(StringBuilder out);
}
