package io.keelfs.bench;

import io.keelfs.error.KeelException;
import java.io.IOException;

/**
 * One side of {@code keelfs bench engine}: a key-value store that takes batches of
 * {@link BenchKeys}, looks keys up and scans them all. Implemented by
 * {@link EngineKeyWorkload} (keelfs) and {@link LmdbKeyWorkload} (the peer).
 *
 * <p>Lifecycle: {@link #open} (creates the store, untimed) -> {@link #insertBatch}* ->
 * {@link #lookup}* / {@link #scanAll}* -> {@link #close} (untimed). The bench deletes the
 * store's files after close.
 *
 * <p>Thread-safety: {@link #insertBatch} may be called from several threads at once only when
 * {@link #concurrentInserts()} is true; everything else from one thread.
 */
interface KeyWorkload extends AutoCloseable {
    /** What the table calls this side in this mode, e.g. "lmdb MDB_NOSYNC". */
    String name();

    /** True when {@link #insertBatch} may run on several threads at once. */
    boolean concurrentInserts();

    /** Creates the empty store. */
    void open() throws IOException, KeelException;

    /** Inserts keys {@code from} (inclusive) to {@code to} (exclusive) in ONE transaction. */
    void insertBatch(BenchKeys keys, int from, int to) throws KeelException;

    /**
     * Looks up keys {@code order[from..to)} in ONE read transaction, checking each value.
     *
     * @return how many were found with the right value
     */
    long lookup(BenchKeys keys, int[] order, int from, int to) throws KeelException;

    /** Visits every key in key order in one read transaction; returns how many there were. */
    long scanAll() throws KeelException;

    @Override
    void close() throws IOException, KeelException;
}
