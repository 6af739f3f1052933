package io.keelfs.txn;

import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;

/** The committed state a transaction reads: live keys only, deletions already applied. */
public interface TreeReader {
    /** The live key at pos, or null. */
    Bkey get(BtreeId btree, Bpos pos) throws KeelException;

    /** A cursor positioned just before {@code start}. */
    TreeCursor cursor(BtreeId btree, Bpos start) throws KeelException;
}
