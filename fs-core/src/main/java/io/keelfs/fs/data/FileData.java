package io.keelfs.fs.data;

import io.keelfs.error.KeelException;
import io.keelfs.txn.Transaction;
import java.nio.ByteBuffer;

/**
 * The contents of regular files: the only way {@link io.keelfs.fs} touches extents.
 *
 * <p>A write is two steps so the caller can commit the extents in the same transaction as its
 * inode update (i_size, mtime, blocks): {@link #prepare} allocates space and writes the data
 * to the device outside any transaction; {@link #commit} inserts the extents in the caller's
 * transaction, trimming what they overwrite and freeing emptied space; {@link #finish} (after
 * the transaction returned, or failed) releases what prepare held. Space is never overwritten
 * in place, and freed space is reused only once the freeing commit is durable.
 *
 * <p>Callers serialise writes, truncates and punches of one inode (a per-inode lock);
 * different inodes proceed in parallel. Reads may run alongside writes of the same inode and
 * see either the old or the new data of each block.
 */
public interface FileData extends AutoCloseable {

    /** Data written to the device but not yet in the extents btree. */
    interface PreparedWrite {
        long ino();

        long offsetBytes();

        long lengthBytes();
    }

    /**
     * Writes {@code src} for file {@code ino} at offset to freshly allocated space (partial
     * blocks at the edges are completed from the current contents, which the file of size
     * {@code fileSizeBytes} holds: bytes past that size are written as zeros). Consumes
     * {@code src}, which must hold 1 to {@link #writeBytesMax()} bytes (callers split larger
     * writes: each commit must fit one journal entry). The data is on the device but not
     * flushed ({@link #flushData}). Out of space is a {@link io.keelfs.error.NoSpaceException}
     * (ENOSPC) after copygc was tried, with nothing held.
     */
    PreparedWrite prepare(long ino, long offsetBytes, ByteBuffer src, long fileSizeBytes)
            throws KeelException;

    /**
     * In the caller's transaction, points the range at the prepared data. Returns the change in
     * bytes of space the file uses (for st_blocks). May run again in a fresh transaction when
     * the engine restarts a commit; not after {@link #finish}.
     */
    long commit(Transaction txn, PreparedWrite write) throws KeelException;

    /** Releases what prepare held; call exactly once per prepare, committed or not. */
    void finish(PreparedWrite write);

    /**
     * Reads into {@code dst} from offset, up to the file size; holes read as zeros. Checksums
     * are verified: a mismatch is EIO naming the inode and offset. Returns bytes read.
     */
    int read(long ino, long offsetBytes, ByteBuffer dst, long fileSizeBytes)
            throws KeelException;

    /**
     * In the caller's transaction, removes the extents of the whole blocks inside
     * {@code [startBytes, endBytes)}, splitting those that cross the ends (a partial block at
     * either end is left alone: the caller zeroes it by writing it anew through
     * prepare/commit). Returns the change in bytes used.
     * A range too large for one transaction is done in part: the result says how far it got,
     * and the caller runs another transaction for the rest.
     */
    PunchResult punch(Transaction txn, long ino, long startBytes, long endBytes)
            throws KeelException;

    /** How far a {@link #punch} got and the change in bytes used. */
    record PunchResult(long doneUpToBytes, long usedDeltaBytes) {}

    /**
     * fallocate's space, set aside but not yet recorded: the holes of block-aligned file bytes
     * {@code [startBytes, endBytes)} of {@code ino} come to {@code bytes}.
     */
    interface PreparedAllocation {
        long ino();

        long startBytes();

        long endBytes();

        long bytes();
    }

    /**
     * fallocate, step one (outside any transaction; the caller holds the inode's lock through
     * all three steps): counts the holes of the block-aligned range and sets that much space
     * aside, so that writes elsewhere can not take it. Not enough free space is a
     * {@link io.keelfs.error.NoSpaceException} (ENOSPC) with nothing set aside. The default
     * reserves nothing (a FileData without space accounting).
     */
    default PreparedAllocation prepareAllocate(long ino, long startBytes, long endBytes)
            throws KeelException {
        record Nothing(long ino, long startBytes, long endBytes, long bytes)
                implements PreparedAllocation {}
        return new Nothing(ino, startBytes, endBytes, 0);
    }

    /**
     * fallocate, step two, in the caller's transaction: records the holes from
     * {@code fromBytes} on as reserved ranges, which read as zeros and which later writes
     * fill without needing free space. Bounded per transaction like {@link #punch}: the result
     * says how far it got and the change in bytes used (the reserved bytes count as used).
     */
    default PunchResult commitAllocate(Transaction txn, PreparedAllocation allocation,
            long fromBytes) throws KeelException {
        return new PunchResult(allocation.endBytes(), 0);
    }

    /** fallocate, step three: gives back what prepare set aside and no commit recorded. */
    default void finishAllocate(PreparedAllocation allocation) {}

    /** Frees every extent of a deleted inode (bounded per transaction like punch). */
    default PunchResult removeAll(Transaction txn, long ino) throws KeelException {
        return punch(txn, ino, 0, Long.MAX_VALUE);
    }

    /** The largest write {@link #prepare} takes, in bytes (at least one block). */
    long writeBytesMax();

    /**
     * Makes data written so far by prepare durable on the device. fsync does not need it: its
     * FLUSH commit's device flush covers completed data writes (FileIo#fsync).
     */
    void flushData() throws KeelException;

    /**
     * True when data written by prepare is on the journal's device and complete before the
     * commit that points at it, so the journal's flush after that commit's entry makes it
     * durable and fsync needs no {@link #flushData} of its own.
     */
    default boolean durableWithJournal() {
        return false;
    }

    /**
     * For statfs: bytes used (live file data, space reserved by fallocate, plus whole buckets
     * of btree nodes where they share the space), free ({@link #totalBytes} minus used), and available to file writes (free
     * minus the reserve kept for metadata and copygc).
     */
    long usedBytes();

    long freeBytes();

    /** Bytes of the space that file data and (where shared) btree nodes live in. */
    default long totalBytes() {
        return usedBytes() + freeBytes();
    }

    default long availBytes() {
        return freeBytes();
    }

    /**
     * Stops filling the open buckets (each is released once no prepared write pins it). Call
     * at unmount, after the last write.
     */
    @Override
    void close();
}
