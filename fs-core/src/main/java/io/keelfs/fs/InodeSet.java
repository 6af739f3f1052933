package io.keelfs.fs;

import io.keelfs.error.KeelException;
import io.keelfs.fs.inode.Inode;
import io.keelfs.txn.Transaction;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The inodes one namespace transaction changes, each loaded once and written once, so that two
 * roles naming the same inode (both parents of a rename in one directory) see each other's
 * changes instead of overwriting them.
 *
 * <p>Thread-safety: confined to the transaction's thread.
 */
final class InodeSet {
    private final FsState fs;
    private final Transaction txn;
    private final Map<Long, Inode> changed = new LinkedHashMap<>();

    InodeSet(FsState fs, Transaction txn) {
        this.fs = fs;
        this.txn = txn;
    }

    Inode get(long ino, String what) throws KeelException {
        Inode i = changed.get(ino);
        return i != null ? i : fs.inodes.get(txn, ino, what);
    }

    void set(Inode inode) {
        changed.put(inode.ino(), inode);
    }

    void writeAll() {
        for (Inode i : changed.values()) {
            fs.inodes.put(txn, i);
        }
    }
}
