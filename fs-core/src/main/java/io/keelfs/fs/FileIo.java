package io.keelfs.fs;

import io.keelfs.engine.Durability;
import io.keelfs.error.Errno;
import io.keelfs.error.FsException;
import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import io.keelfs.fs.data.FileData;
import io.keelfs.fs.inode.Inode;
import io.keelfs.txn.Transaction;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.Lock;

/**
 * File contents through {@link FileData}, with the inode kept in step: read (relatime), write,
 * truncate, fallocate and fsync of regular files.
 *
 * <p>A write: take the inode's lock; {@link FileData#prepare} (device I/O, outside any
 * transaction); one transaction commits the extents and sets size, bytes used, mtime and
 * ctime; {@link FileData#finish}. A truncate down: one transaction zeroes the partial last
 * block, sets the new size and {@link Inode#FLAG_SIZE_DIRTY} and records the inode in the
 * orphans btree; then bounded punch transactions remove what lies past it; the last clears
 * the flag (a crash in between is finished by the next mount).
 *
 * <p>fallocate: mode 0 and KEEP_SIZE reserve space for the holes of the range, rounded out
 * to whole blocks ({@link FileData#prepareAllocate}: ENOSPC with nothing changed when free
 * space does not cover it), record them as reserved ranges that read as zeros in bounded
 * transactions that also count them in the inode's bytes used, and (mode 0) extend i_size in
 * the last one. Copy-on-write can not reserve blocks in place: later writes into the range
 * still go to new space, but may use the reserved space for it, so they do not fail with
 * ENOSPC. PUNCH_HOLE|KEEP_SIZE and ZERO_RANGE zero the partial blocks at the edges and punch
 * the whole blocks between, reserved ranges included (ZERO_RANGE without KEEP_SIZE then
 * extends i_size).
 *
 * <p>Thread-safety: per-inode lock for everything that changes contents or size.
 */
final class FileIo {
    /** Transactions one punch may take (each FileData punch step is bounded). */
    static final int PUNCH_TXNS_MAX = 1 << 18;
    /** relatime: atime older than this is refreshed on read. */
    private static final long NS_PER_DAY = 86_400L * 1_000_000_000L;

    private final FsState fs;

    FileIo(FsState fs) {
        this.fs = fs;
    }

    int read(long ino, long offsetBytes, ByteBuffer dst) throws KeelException {
        if (offsetBytes < 0) {
            throw new FsException(Errno.EINVAL, "inode " + ino + ": read at " + offsetBytes);
        }
        Inode inode = fs.engine.read(txn -> fs.inodes.get(txn, ino, "read"));
        int n = 0;
        if (offsetBytes < inode.sizeBytes() && dst.hasRemaining()) {
            n = fs.data.read(ino, offsetBytes, dst, inode.sizeBytes());
        }
        long now = fs.nowNs();
        if (needsAtime(inode, now) && !fs.engine.isReadOnly()) {
            fs.engine.update(txn -> {
                Inode cur = fs.inodes.getOrNull(txn, ino);
                if (cur != null && needsAtime(cur, now)) {
                    fs.inodes.put(txn, cur.withTimes(now, cur.mtimeNs(), cur.ctimeNs()));
                }
                return null;
            }, Durability.NO_FLUSH);
        }
        return n;
    }

    /** relatime: atime moves when older than mtime or ctime, or more than a day old. */
    static boolean needsAtime(Inode inode, long nowNs) {
        return inode.atimeNs() < inode.mtimeNs() || inode.atimeNs() < inode.ctimeNs()
                || nowNs - inode.atimeNs() > NS_PER_DAY;
    }

    int write(long ino, long offsetBytes, ByteBuffer src, boolean append) throws KeelException {
        int length = src.remaining();
        Lock lock = fs.inodeLock(ino);
        lock.lock();
        try {
            Inode inode = fs.engine.read(txn -> fs.inodes.get(txn, ino, "write"));
            long offset = append ? inode.sizeBytes() : offsetBytes;
            if (offset < 0) {
                throw new FsException(Errno.EINVAL, "inode " + ino + ": write at " + offset);
            }
            if (offset + length > FsConstants.FILE_SIZE_MAX || offset + length < 0) {
                throw new FsException(Errno.EFBIG, "inode " + ino + ": write to "
                        + (offset + length) + " beyond " + FsConstants.FILE_SIZE_MAX);
            }
            if (length == 0) {
                return 0;
            }
            long end = offset + length;
            writeLocked(ino, offset, src, (txn, cur) -> cur.withSize(Math.max(cur.sizeBytes(), end))
                    .modified(fs.nowNs()));
            return length;
        } finally {
            lock.unlock();
        }
    }

    /** How a write's transaction changes the inode (and may add keys of its own). */
    @FunctionalInterface
    private interface InodeChange {
        Inode apply(Transaction txn, Inode inode);
    }

    /**
     * Writes {@code src} in pieces of at most {@link FileData#writeBytesMax} (each commit must
     * fit one journal entry): per piece prepare, one transaction that commits the extents with
     * {@code change} applied to the inode, finish. A crash between pieces leaves a prefix
     * written, as a crash during write(2) may. Lock held.
     */
    private void writeLocked(long ino, long offset, ByteBuffer src, InodeChange change)
            throws KeelException {
        long pieceMax = fs.data.writeBytesMax();
        long at = offset;
        while (src.hasRemaining()) {
            ByteBuffer piece = src.slice();
            piece.limit((int) Math.min(piece.remaining(), pieceMax));
            src.position(src.position() + piece.remaining());
            writePiece(ino, at, piece, change);
            at += piece.limit();
        }
    }

    private void writePiece(long ino, long offset, ByteBuffer src, InodeChange change)
            throws KeelException {
        long size = fs.engine.read(txn -> fs.inodes.get(txn, ino, "write").sizeBytes());
        FileData.PreparedWrite pw = fs.data.prepare(ino, offset, src, size);
        try {
            fs.engine.update(txn -> {
                Inode cur = fs.inodes.get(txn, ino, "write");
                long delta = fs.data.commit(txn, pw);
                fs.inodes.put(txn, change.apply(txn, cur.withUsedDelta(delta)));
                return null;
            }, Durability.NO_FLUSH);
        } finally {
            fs.data.finish(pw);
        }
    }

    void truncate(long ino, long sizeBytes, String what) throws KeelException {
        if (sizeBytes < 0) {
            throw new FsException(Errno.EINVAL, what + ": truncate to " + sizeBytes);
        }
        if (sizeBytes > FsConstants.FILE_SIZE_MAX) {
            throw new FsException(Errno.EFBIG, what + ": truncate to " + sizeBytes
                    + " beyond " + FsConstants.FILE_SIZE_MAX);
        }
        Lock lock = fs.inodeLock(ino);
        lock.lock();
        try {
            Inode inode = fs.engine.read(txn -> fs.inodes.get(txn, ino, what));
            checkRegular(inode, what);
            long now = fs.nowNs();
            if (sizeBytes >= inode.sizeBytes()) {
                fs.engine.update(txn -> {
                    Inode cur = fs.inodes.get(txn, ino, what);
                    fs.inodes.put(txn, cur.withSize(sizeBytes).modified(now));
                    return null;
                }, Durability.NO_FLUSH);
                return;
            }
            // One transaction: the zeroed partial block, the new size, the flag, the orphan key.
            InodeChange shrink = (txn, cur) -> {
                Orphans.add(txn, ino);
                return cur.withSize(sizeBytes).modified(now)
                        .withFlags(cur.flags() | Inode.FLAG_SIZE_DIRTY);
            };
            long end = Math.min(inode.sizeBytes(), roundUp(sizeBytes));
            if (sizeBytes % fs.blockSizeBytes != 0 && end > sizeBytes) {
                writeLocked(ino, sizeBytes, ByteBuffer.allocate((int) (end - sizeBytes)), shrink);
            } else {
                fs.engine.update(txn -> {
                    fs.inodes.put(txn, shrink.apply(txn, fs.inodes.get(txn, ino, what)));
                    return null;
                }, Durability.NO_FLUSH);
            }
            finishTruncateLocked(ino);
        } finally {
            lock.unlock();
        }
    }

    /** Finishes a truncate a crash cut short (mount time). */
    void finishTruncate(long ino) throws KeelException {
        Lock lock = fs.inodeLock(ino);
        lock.lock();
        try {
            finishTruncateLocked(ino);
        } finally {
            lock.unlock();
        }
    }

    private void finishTruncateLocked(long ino) throws KeelException {
        Inode inode = fs.engine.read(txn -> fs.inodes.getOrNull(txn, ino));
        if (inode != null && inode.isRegular()) {
            punchLocked(ino, roundUp(inode.sizeBytes()), Long.MAX_VALUE);
        }
        fs.engine.update(txn -> {
            Inode cur = fs.inodes.getOrNull(txn, ino);
            if (cur == null) {
                Orphans.drop(txn, ino);
                return null;
            }
            if ((cur.flags() & Inode.FLAG_SIZE_DIRTY) != 0) {
                fs.inodes.put(txn, cur.withFlags(cur.flags() & ~Inode.FLAG_SIZE_DIRTY));
            }
            if (cur.nlink() > 0) {
                Orphans.drop(txn, ino);
            }
            return null;
        }, Durability.NO_FLUSH);
    }

    /** Punches [start, end) in bounded transactions, keeping bytes used in step. Lock held. */
    private void punchLocked(long ino, long startBytes, long endBytes) throws KeelException {
        long at = startBytes;
        for (int i = 0; i < PUNCH_TXNS_MAX && at < endBytes; i++) {
            long from = at;
            long done = fs.engine.update(txn -> {
                Inode cur = fs.inodes.get(txn, ino, "punch");
                FileData.PunchResult r = fs.data.punch(txn, ino, from, endBytes);
                if (r.usedDeltaBytes() != 0) {
                    fs.inodes.put(txn, cur.withUsedDelta(r.usedDeltaBytes()));
                }
                return r.doneUpToBytes();
            }, Durability.NO_FLUSH);
            if (done <= from) {
                throw new InconsistentException("punch of inode " + ino + " from " + from
                        + " made no progress (done up to " + done + ")");
            }
            at = done;
        }
        if (at < endBytes) {
            throw new InconsistentException("punch of inode " + ino + " [" + startBytes + ", "
                    + endBytes + ") took more than " + PUNCH_TXNS_MAX + " transactions");
        }
    }

    void fallocate(long ino, int mode, long offsetBytes, long lengthBytes) throws KeelException {
        String what = "inode " + ino;
        if (offsetBytes < 0 || lengthBytes <= 0) {
            throw new FsException(Errno.EINVAL, what + ": fallocate offset " + offsetBytes
                    + " length " + lengthBytes);
        }
        long end = offsetBytes + lengthBytes;
        if (end > FsConstants.FILE_SIZE_MAX || end < 0) {
            throw new FsException(Errno.EFBIG, what + ": fallocate to " + end);
        }
        boolean keepSize = (mode & FsConstants.FALLOC_FL_KEEP_SIZE) != 0;
        int kind = mode & ~FsConstants.FALLOC_FL_KEEP_SIZE;
        boolean punch = kind == FsConstants.FALLOC_FL_PUNCH_HOLE && keepSize;
        boolean zero = kind == FsConstants.FALLOC_FL_ZERO_RANGE;
        if (kind != 0 && !punch && !zero) {
            throw new FsException(Errno.EOPNOTSUPP, what + ": fallocate mode 0x"
                    + Integer.toHexString(mode) + " not supported");
        }
        Lock lock = fs.inodeLock(ino);
        lock.lock();
        try {
            Inode inode = fs.engine.read(txn -> fs.inodes.get(txn, ino, what));
            checkRegular(inode, what);
            if (punch || zero) {
                zeroRangeLocked(ino, offsetBytes, end, inode.sizeBytes());
            } else {
                allocateLocked(ino, offsetBytes, end, keepSize);
                return;
            }
            if (!keepSize) {
                long now = fs.nowNs();
                fs.engine.update(txn -> {
                    Inode cur = fs.inodes.get(txn, ino, what);
                    if (end > cur.sizeBytes()) {
                        fs.inodes.put(txn, cur.withSize(end).modified(now));
                    }
                    return null;
                }, Durability.NO_FLUSH);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * fallocate mode 0 / KEEP_SIZE: reserves the holes of [start, end) rounded out to blocks,
     * in bounded transactions; the last also extends i_size unless {@code keepSize}. A crash
     * in between leaves part of the range reserved and i_size unchanged. Lock held.
     */
    private void allocateLocked(long ino, long start, long end, boolean keepSize)
            throws KeelException {
        long from = start - start % fs.blockSizeBytes;
        long to = roundUp(end);
        FileData.PreparedAllocation a = fs.data.prepareAllocate(ino, from, to);
        try {
            long at = from;
            for (int i = 0; i < PUNCH_TXNS_MAX && at < to; i++) {
                long stepFrom = at;
                at = fs.engine.update(txn -> {
                    Inode cur = fs.inodes.get(txn, ino, "fallocate");
                    FileData.PunchResult r = fs.data.commitAllocate(txn, a, stepFrom);
                    boolean grow = r.doneUpToBytes() >= to && !keepSize
                            && end > cur.sizeBytes();
                    if (r.usedDeltaBytes() != 0 || grow) {
                        Inode next = cur.withUsedDelta(r.usedDeltaBytes());
                        fs.inodes.put(txn, grow ? next.withSize(end).modified(fs.nowNs())
                                : next);
                    }
                    return r.doneUpToBytes();
                }, Durability.NO_FLUSH);
                if (at <= stepFrom) {
                    throw new InconsistentException("fallocate of inode " + ino + " from "
                            + stepFrom + " made no progress");
                }
            }
            if (at < to) {
                throw new InconsistentException("fallocate of inode " + ino + " [" + from
                        + ", " + to + ") took more than " + PUNCH_TXNS_MAX + " transactions");
            }
        } finally {
            fs.data.finishAllocate(a);
        }
    }

    /** Zeroes [start, end): partial edge blocks by writing zeros, whole blocks by punching. */
    private void zeroRangeLocked(long ino, long start, long end, long sizeBytes)
            throws KeelException {
        long now = fs.nowNs();
        InodeChange touch = (txn, cur) -> cur.modified(now);
        long innerStart = roundUp(start);
        long innerEnd = end - end % fs.blockSizeBytes;
        if (innerStart >= innerEnd) {
            zeroWithin(ino, start, end, sizeBytes, touch);
            return;
        }
        zeroWithin(ino, start, innerStart, sizeBytes, touch);
        zeroWithin(ino, innerEnd, end, sizeBytes, touch);
        punchLocked(ino, innerStart, innerEnd);
        fs.engine.update(txn -> {
            fs.inodes.put(txn, fs.inodes.get(txn, ino, "punch").modified(now));
            return null;
        }, Durability.NO_FLUSH);
    }

    /** Writes zeros over [start, end) clipped to the file size (no data past EOF). */
    private void zeroWithin(long ino, long start, long end, long sizeBytes,
            InodeChange change) throws KeelException {
        long clippedEnd = Math.min(end, sizeBytes);
        if (clippedEnd > start) {
            writeLocked(ino, start, ByteBuffer.allocate((int) (clippedEnd - start)), change);
        }
    }

    /**
     * fsync and fdatasync: makes the file's data, size and inode (and every commit before)
     * durable with one device flush at most.
     *
     * <p>Why no inode rewrite, for either: every write, truncate and attribute change commits
     * the inode (size, timestamps) in the same transaction as its extents, so nothing of the
     * file lives only in memory; waiting for the newest commit's journal entry to be durable
     * suffices (and needs no flush when it already is). Why no separate data flush: the data
     * was written (the write returned) before the commit that points at it, and the journal
     * writer issues its flush after writing that entry; by the device contract a flush makes
     * durable every write completed before it, so the journal's one flush covers the data too
     * ({@link FileData#durableWithJournal}). A FileData that keeps data elsewhere is flushed
     * first.
     */
    void fsync(long ino, boolean dataOnly) throws KeelException {
        if (!fs.data.durableWithJournal()) {
            fs.data.flushData();
        }
        fs.engine.flushJournal();
    }

    private static void checkRegular(Inode inode, String what) throws FsException {
        if (inode.isDirectory()) {
            throw new FsException(Errno.EISDIR, what + ": is a directory");
        }
        if (!inode.isRegular()) {
            throw new FsException(Errno.EINVAL, what + ": not a regular file");
        }
    }

    private long roundUp(long bytes) {
        long b = fs.blockSizeBytes;
        return (bytes + b - 1) / b * b;
    }
}
