package io.keelfs.fuse;

import io.keelfs.error.Errno;
import io.keelfs.error.FsException;
import io.keelfs.error.KeelException;
import io.keelfs.fs.DirEntry;
import io.keelfs.fs.Filesystem;
import io.keelfs.fs.FsConstants;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The half of the FUSE adapter that knows nothing of jnr-fuse (DESIGN.md 8: a second binding,
 * libfuse3 through FFM, must drop in without touching it): the error boundary (a {@link
 * KeelException} is its {@code -errno}, any other throwable is logged and counted and becomes
 * {@code -EIO}), the conversions of FUSE's values to the {@link Filesystem}'s (timespecs,
 * "unchanged" ids, fallocate modes), the xattr size protocol, and the readdir fill loop. A
 * binding ({@link KeelFuse}) only moves bytes between native structs and these.
 *
 * <p>Thread-safety: thread-safe (a counter is the only state).
 */
final class FuseTranslation {
    private static final Logger LOG = Logger.getLogger(KeelFuse.class.getName());

    /** Entries asked of the filesystem per readdir batch. */
    static final int READDIR_BATCH_ENTRIES = 128;
    /**
     * Batches per readdir callback. A reply buffer of 1 MiB (the kernel's largest READDIR with
     * max_pages 256, see {@link InitReply}) holds up to 1 MiB / 24 bytes (the smallest dirent)
     * = 43,690 entries; 64 batches (8,192 entries) bound one callback, and a reply not full
     * makes the kernel ask again from the last entry's offset.
     */
    static final int READDIR_BATCHES_MAX = 64;
    /** Linux UTIME_NOW and UTIME_OMIT as they arrive in tv_nsec. */
    static final long TV_NSEC_NOW = (1L << 30) - 1;
    static final long TV_NSEC_OMIT = (1L << 30) - 2;
    static final long NS_PER_SECOND = 1_000_000_000L;
    /** (uid_t) -1 seen as an unsigned 32-bit number. */
    static final long ID_UNCHANGED_U32 = 0xffff_ffffL;
    private static final int FALLOCATE_KNOWN_MODES = FsConstants.FALLOC_FL_KEEP_SIZE
            | FsConstants.FALLOC_FL_PUNCH_HOLE | FsConstants.FALLOC_FL_ZERO_RANGE;

    /** Where readdir puts entries; false when the reply buffer is full. */
    @FunctionalInterface
    interface DirSink {
        boolean add(DirEntry entry);
    }

    private final LongAdder internalErrors = new LongAdder();

    /**
     * The one exit for failures: errno of a KeelException, else EIO with a log line naming the
     * operation and path. Never throws, even when logging fails.
     */
    int fail(String op, String path, Throwable t) {
        if (t instanceof KeelException e) {
            if (LOG.isLoggable(Level.FINE)) {
                LOG.fine(op + " " + path + ": " + e.errno() + " " + e.getMessage());
            }
            return -e.errno().value;
        }
        internalErrors.increment();
        try {
            LOG.log(Level.SEVERE, op + " " + path + ": internal error, returning EIO", t);
        } catch (Throwable ignored) {
            // Nothing may escape to native code, not even a failing log handler.
        }
        return -Errno.EIO.value;
    }

    long internalErrorCount() {
        return internalErrors.sum();
    }

    /** A timespec as ns since the epoch, or the filesystem's UTIME_NOW/UTIME_OMIT. */
    static long timeNs(long sec, long nsec) throws FsException {
        if (nsec == TV_NSEC_NOW) {
            return FsConstants.UTIME_NOW;
        }
        if (nsec == TV_NSEC_OMIT) {
            return FsConstants.UTIME_OMIT;
        }
        try {
            return Math.addExact(Math.multiplyExact(sec, NS_PER_SECOND), nsec);
        } catch (ArithmeticException e) {
            throw new FsException(Errno.EOVERFLOW, "time " + sec + "s " + nsec
                    + "ns does not fit in 64-bit ns since the epoch");
        }
    }

    /** (uid_t) -1 arrives as -1 or as 2^32-1 depending on the mapping: both mean unchanged. */
    static long id(long id) {
        return id == -1 || id == ID_UNCHANGED_U32 ? FsConstants.ID_UNCHANGED : id;
    }

    /** Modes beyond KEEP_SIZE, PUNCH_HOLE and ZERO_RANGE are EOPNOTSUPP (so tests skip). */
    static boolean fallocateModeKnown(int mode) {
        return (mode & ~FALLOCATE_KNOWN_MODES) == 0;
    }

    /**
     * getxattr/listxattr's answer for a value of {@code lengthBytes} and a caller's buffer of
     * {@code bufferBytes}: the length when the buffer is 0 (a size query) or big enough (then
     * the binding copies the value), else -ERANGE.
     */
    static int sizeAnswer(int lengthBytes, long bufferBytes) {
        if (bufferBytes != 0 && bufferBytes < lengthBytes) {
            return -Errno.ERANGE.value;
        }
        return lengthBytes;
    }

    /** listxattr's format: each name in UTF-8 followed by a NUL. */
    static byte[] xattrList(List<String> names) {
        StringBuilder list = new StringBuilder();
        for (String name : names) {
            list.append(name).append('\0');
        }
        return list.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Offset mode: each entry goes to the sink carrying the offset that continues after it, so
     * libfuse hands the kernel a cookie per entry and a later call resumes at {@code offset}.
     * Fills until the sink is full or the directory ends.
     */
    static void readdir(Filesystem fs, long handle, long offset, DirSink sink)
            throws KeelException {
        long next = offset;
        for (int batch = 0; batch < READDIR_BATCHES_MAX; batch++) {
            List<DirEntry> entries = fs.readdir(handle, next, READDIR_BATCH_ENTRIES);
            for (DirEntry e : entries) {
                if (!sink.add(e)) {
                    return;
                }
                next = e.nextOffset();
            }
            if (entries.size() < READDIR_BATCH_ENTRIES) {
                return;
            }
        }
    }
}
