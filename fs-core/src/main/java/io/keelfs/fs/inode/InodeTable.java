package io.keelfs.fs.inode;

import io.keelfs.error.Errno;
import io.keelfs.error.FsException;
import io.keelfs.error.KeelException;
import io.keelfs.error.KeyCorruptException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.txn.Transaction;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Inodes in {@link BtreeId#INODES} (a key-cached btree): reads, writes, creation with a fresh
 * number, deletion, and the inode count kept in a counters key at (0, 0, 0).
 *
 * <p>Inode numbers: a counter set at mount from the highest inode key (one backward step of an
 * iterator, so bounded), then only increasing: no number is reused within one mount. A number
 * taken by a transaction that then fails is skipped, never handed out twice.
 *
 * <p>Thread-safety: the counter is atomic; everything else runs in the caller's transaction.
 */
public final class InodeTable {
    /** Inode numbers stop here (numbers are u64 on disk; FUSE and stat take them signed). */
    public static final long INO_MAX = Long.MAX_VALUE - 1;
    private static final Bpos COUNTERS_POS = Bpos.of(0, 0);

    private final AtomicLong lastIno;

    private InodeTable(long lastIno) {
        this.lastIno = new AtomicLong(lastIno);
    }

    /** Reads the highest inode number in use (at least {@code rootIno}). */
    public static InodeTable load(Transaction txn, long rootIno) throws KeelException {
        Bkey last = txn.iterator(BtreeId.INODES, Bpos.MAX).prev();
        long highest = last == null ? 0 : last.pos().inode();
        if (highest < 0 || highest > INO_MAX) {
            throw new KeyCorruptException("inodes btree: highest key " + last.pos()
                    + " beyond inode numbers in use; run keelfs fsck");
        }
        return new InodeTable(Math.max(rootIno, highest));
    }

    /** The next unused inode number; ENOSPC when the numbers ran out. */
    public long allocate() throws FsException {
        long ino = lastIno.incrementAndGet();
        if (ino > INO_MAX) {
            throw new FsException(Errno.ENOSPC, "inode numbers exhausted at " + ino);
        }
        return ino;
    }

    public long lastAllocated() {
        return lastIno.get();
    }

    public Inode getOrNull(Transaction txn, long ino) throws KeelException {
        Bkey k = txn.get(BtreeId.INODES, Bpos.of(ino, 0));
        if (k == null) {
            return null;
        }
        if (k.type() != KeyType.INODE) {
            throw new KeyCorruptException("inodes btree at " + k.pos() + ": key type "
                    + k.type() + ", expected INODE; run keelfs fsck");
        }
        return InodeCodec.decode(ino, k.value());
    }

    /** The inode, or ENOENT naming {@code what} (a path or handle). */
    public Inode get(Transaction txn, long ino, String what) throws KeelException {
        Inode inode = getOrNull(txn, ino);
        if (inode == null) {
            throw new FsException(Errno.ENOENT, what + ": inode " + ino + " does not exist");
        }
        return inode;
    }

    public void put(Transaction txn, Inode inode) {
        txn.put(BtreeId.INODES, new Bkey(Bpos.of(inode.ino(), 0), KeyType.INODE,
                InodeCodec.encode(inode)));
    }

    /** Writes a new inode and counts it. */
    public void insertNew(Transaction txn, Inode inode) throws KeelException {
        put(txn, inode);
        setCount(txn, count(txn) + 1);
    }

    /** Deletes an inode key and uncounts it (its data and xattrs are the caller's). */
    public void delete(Transaction txn, long ino) throws KeelException {
        txn.delete(BtreeId.INODES, Bpos.of(ino, 0));
        setCount(txn, Math.max(0, count(txn) - 1));
    }

    /** How many inodes exist. */
    public long count(Transaction txn) throws KeelException {
        Bkey k = txn.get(BtreeId.INODES, COUNTERS_POS);
        if (k == null) {
            return 0;
        }
        if (k.type() != KeyType.FS_COUNTERS || k.value().length != 8) {
            throw new KeyCorruptException("inodes btree at " + COUNTERS_POS + ": not a "
                    + "counters key (type " + k.type() + ", " + k.value().length + " bytes)");
        }
        return ByteBuffer.wrap(k.value()).getLong();
    }

    private static void setCount(Transaction txn, long count) {
        txn.put(BtreeId.INODES, new Bkey(COUNTERS_POS, KeyType.FS_COUNTERS,
                ByteBuffer.allocate(8).putLong(count).array()));
    }
}
