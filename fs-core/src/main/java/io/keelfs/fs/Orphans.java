package io.keelfs.fs;

import io.keelfs.engine.Durability;
import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.fs.data.FileData;
import io.keelfs.fs.inode.Inode;
import io.keelfs.fs.xattr.Xattrs;
import io.keelfs.txn.Transaction;
import io.keelfs.txn.TransactionIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Lock;

/**
 * Inodes with work left that must survive a crash, kept in {@link BtreeId#ORPHANS} at
 * (ino, 0, 0):
 * <ol>
 *   <li>nlink reached 0 (the key is added in the same transaction): the inode lives on while a
 *       handle has it open; on the last release, or at the next mount, {@link #reap} frees its
 *       data, xattrs and the inode, in bounded transactions, then drops the key;
 *   <li>a truncate set i_size and {@link Inode#FLAG_SIZE_DIRTY} but has not punched everything
 *       past it yet: {@link FileIo} finishes and drops the key; after a crash the mount does.
 * </ol>
 *
 * <p>Entry points: {@link #add}, {@link #drop}, {@link #reapIfUnused}, {@link #recover}.
 *
 * <p>Thread-safety: reaping takes the inode's lock; keys change inside transactions.
 */
final class Orphans {
    /** Transactions one reap may take: a 16 TiB file in batches of at least 64 MiB. */
    static final int REAP_TXNS_MAX = 1 << 18;
    /** Orphan keys handled per mount-time scan step. */
    static final int RECOVER_BATCH = 256;
    /** Mount-time scan steps: 2^16 * 256 = 16M orphans. */
    static final int RECOVER_STEPS_MAX = 1 << 16;

    private final FsState fs;

    Orphans(FsState fs) {
        this.fs = fs;
    }

    static void add(Transaction txn, long ino) {
        txn.put(BtreeId.ORPHANS, new Bkey(Bpos.of(ino, 0), KeyType.ORPHAN, null));
    }

    static void drop(Transaction txn, long ino) {
        txn.delete(BtreeId.ORPHANS, Bpos.of(ino, 0));
    }

    /** Frees {@code ino} if its nlink is 0 and no handle has it open. */
    void reapIfUnused(long ino) throws KeelException {
        Lock lock = fs.inodeLock(ino);
        lock.lock();
        try {
            reapLocked(ino);
        } finally {
            lock.unlock();
        }
    }

    private void reapLocked(long ino) throws KeelException {
        for (int i = 0; i < REAP_TXNS_MAX; i++) {
            boolean done = fs.engine.update(txn -> reapStep(txn, ino), Durability.NO_FLUSH);
            if (done) {
                return;
            }
        }
        throw new InconsistentException("freeing inode " + ino + " took more than "
                + REAP_TXNS_MAX + " transactions");
    }

    /** One bounded step of freeing an inode; true when nothing (more) is to be done. */
    boolean reapStep(Transaction txn, long ino) throws KeelException {
        Inode inode = fs.inodes.getOrNull(txn, ino);
        if (inode == null) {
            drop(txn, ino);
            return true;
        }
        // Recheck under the engine lock: a link or an open may have come in meanwhile.
        if (inode.nlink() > 0 || fs.handles.isOpen(ino)) {
            return true;
        }
        if (inode.isRegular()) {
            FileData.PunchResult r = fs.data.removeAll(txn, ino);
            if (r.doneUpToBytes() < Long.MAX_VALUE) {
                fs.inodes.put(txn, inode.withUsedDelta(r.usedDeltaBytes()));
                return false;
            }
        }
        if (!Xattrs.removeSome(txn, ino)) {
            return false;
        }
        fs.inodes.delete(txn, ino);
        drop(txn, ino);
        return true;
    }

    /**
     * At mount: frees every orphan inode with nlink 0 (no handle can be open yet) and finishes
     * every truncate a crash cut short.
     */
    void recover(FileIo io) throws KeelException {
        Bpos from = Bpos.MIN;
        for (int step = 0; step < RECOVER_STEPS_MAX; step++) {
            List<Long> batch = scan(from);
            if (batch.isEmpty()) {
                return;
            }
            for (long ino : batch) {
                Inode inode = fs.engine.read(txn -> fs.inodes.getOrNull(txn, ino));
                if (inode != null && inode.nlink() > 0) {
                    io.finishTruncate(ino);
                } else {
                    reapIfUnused(ino);
                }
            }
            from = Bpos.of(batch.get(batch.size() - 1) + 1, 0);
        }
        throw new InconsistentException("orphans btree holds more than "
                + (long) RECOVER_STEPS_MAX * RECOVER_BATCH + " inodes");
    }

    private List<Long> scan(Bpos from) throws KeelException {
        return fs.engine.read(txn -> {
            List<Long> out = new ArrayList<>();
            TransactionIterator it = txn.iterator(BtreeId.ORPHANS, from);
            for (Bkey k = it.next(); k != null && out.size() < RECOVER_BATCH; k = it.next()) {
                out.add(k.pos().inode());
            }
            return out;
        });
    }

    /** How many orphan keys exist (tests and fsck). */
    long count() throws KeelException {
        return fs.engine.read(txn -> {
            long n = 0;
            TransactionIterator it = txn.iterator(BtreeId.ORPHANS, Bpos.MIN);
            while (it.next() != null) {
                n++;
            }
            return n;
        });
    }
}
