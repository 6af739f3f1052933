package io.keelfs.txn;

import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;

/**
 * A cursor over the live keys of one committed tree, sitting between two keys like a
 * {@link java.util.ListIterator}: {@link #next} returns the first key at or after the cursor
 * and moves past it; {@link #prev} returns the last key before the cursor and moves before it.
 */
public interface TreeCursor {
    /** Moves the cursor just before {@code pos}. */
    void seek(Bpos pos) throws KeelException;

    /** The key {@link #next} would return, or null at the end; does not move. */
    Bkey peek() throws KeelException;

    /** The first key at or after the cursor, or null at the end. */
    Bkey next() throws KeelException;

    /** The last key before the cursor, or null at the start. */
    Bkey prev() throws KeelException;
}
