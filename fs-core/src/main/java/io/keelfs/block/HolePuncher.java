package io.keelfs.block;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;
import jnr.ffi.annotations.SaveError;

/**
 * Frees the space of a discarded range of an image file with
 * {@code fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length)}, and
 * passes readahead hints ({@link #adviseWillNeed}) through the same descriptor.
 *
 * <p>Entry points: {@link #open}, {@link #punch}, {@link #close}. The JDK exposes neither
 * fallocate nor a channel's descriptor, so this opens the image a second time with libc's
 * {@code open(2)} (libc is loaded through jnr-ffi once, on first use) and keeps that descriptor
 * until {@link #close}. Close it only after the image's write lock is released: closing any
 * descriptor of a file drops the process's POSIX locks on it (see {@link ImageLockTable}).
 *
 * <p>Lifecycle of {@link #state()}: UNTRIED, then WORKS after the first hole, or UNSUPPORTED
 * for good once fallocate answers EOPNOTSUPP or ENOSYS, libc cannot be loaded, the OS is not
 * Linux, or the second open fails. UNSUPPORTED makes {@link #punch} a no-op that returns
 * false; that is allowed, since a discarded range may read as its old contents.
 *
 * <p>Thread-safety: safe for concurrent use. Punches share a read lock and {@link #close}
 * takes the write lock, so no punch ever runs on a closed descriptor number, which the OS may
 * already have given to an unrelated file.
 */
final class HolePuncher implements Closeable {
    /** Linux values from {@code <linux/falloc.h>}, {@code <fcntl.h>} and {@code <errno.h>}. */
    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    /** {@code <fcntl.h>}: the range will be accessed soon (the kernel starts reading it). */
    static final int POSIX_FADV_WILLNEED = 3;
    private static final int O_RDWR = 02;
    private static final int O_CLOEXEC = 02000000;
    private static final int EINTR = 4;
    private static final int ENOSYS = 38;
    private static final int EOPNOTSUPP = 95;
    /** fallocate interrupted by a signal is retried at most this often in a row. */
    static final int EINTR_RETRIES_MAX = 16;

    private static final System.Logger LOG = System.getLogger(HolePuncher.class.getName());

    /** Whether holes can be punched in this image. */
    enum State { UNTRIED, WORKS, UNSUPPORTED }

    /** The libc functions used here; jnr-ffi binds them. Public only because jnr-ffi must be. */
    public interface LibC {
        @SaveError
        int open(CharSequence path, int flags);

        @SaveError
        int close(int fd);

        @SaveError
        int fallocate(int fd, int mode, long offsetBytes, long lengthBytes);

        /** Returns 0 or the error number itself (posix_fadvise does not set errno). */
        int posix_fadvise(int fd, long offsetBytes, long lengthBytes, int advice);
    }

    private static final Object LIBC_LOCK = new Object();
    @GuardedBy("LIBC_LOCK")
    private static LibC libc;
    /** Why libc could not be loaded; null until a load failed. */
    @GuardedBy("LIBC_LOCK")
    private static String libcUnavailableReason;

    private final String device;
    /** libc, or null when unsupported from the start. */
    private final LibC c;
    private final ReadWriteLock fdLock = new ReentrantReadWriteLock();
    /** The second descriptor, or -1 when unsupported or closed. */
    @GuardedBy("fdLock")
    private int fd;
    private final AtomicReference<State> state;
    private volatile String unsupportedReason;

    private HolePuncher(String device, LibC c, int fd, String unsupportedReason) {
        this.device = device;
        this.c = c;
        this.fd = fd;
        this.state = new AtomicReference<>(fd < 0 ? State.UNSUPPORTED : State.UNTRIED);
        this.unsupportedReason = unsupportedReason;
    }

    /** Opens {@code path} a second time for punching; never fails, but may be UNSUPPORTED. */
    static HolePuncher open(Path path) {
        String device = path.toString();
        LibC c = libc();
        if (c == null) {
            return new HolePuncher(device, null, -1, libcUnavailableReason());
        }
        int fd = c.open(path.toAbsolutePath().toString(), O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            int errno = LastError.getLastError(jnr.ffi.Runtime.getRuntime(c));
            String reason = "open(2) for hole punching failed with " + errnoName(errno);
            LOG.log(Level.WARNING, "{0}: {1}; discards will not free space", device, reason);
            return new HolePuncher(device, c, -1, reason);
        }
        return new HolePuncher(device, c, fd, null);
    }

    State state() {
        return state.get();
    }

    /** Why punching is unsupported, or null while it is not known to be. */
    String unsupportedReason() {
        return unsupportedReason;
    }

    /** Makes every later {@link #punch} a no-op, as an EOPNOTSUPP answer would. */
    void disable(String reason) {
        unsupportedReason = reason;
        state.set(State.UNSUPPORTED);
    }

    /**
     * Punches a hole over the range; the caller has checked it against the device geometry.
     *
     * @return true if the range now reads as zeros, false if punching is unsupported
     * @throws BlockIOException if fallocate fails for another reason (EIO, for one)
     */
    boolean punch(long offsetBytes, long lengthBytes) throws BlockIOException {
        fdLock.readLock().lock();
        try {
            if (state.get() == State.UNSUPPORTED) {
                return false;
            }
            if (fd < 0) {
                throw new IllegalStateException(device + " is closed");
            }
            return punchLocked(offsetBytes, lengthBytes);
        } finally {
            fdLock.readLock().unlock();
        }
    }

    @GuardedBy("fdLock")
    private boolean punchLocked(long offsetBytes, long lengthBytes) throws BlockIOException {
        int mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
        int errno = 0;
        for (int attempt = 0; attempt <= EINTR_RETRIES_MAX; attempt++) {
            if (c.fallocate(fd, mode, offsetBytes, lengthBytes) == 0) {
                state.compareAndSet(State.UNTRIED, State.WORKS);
                return true;
            }
            errno = LastError.getLastError(jnr.ffi.Runtime.getRuntime(c));
            if (errno == EOPNOTSUPP || errno == ENOSYS) {
                disable("fallocate(PUNCH_HOLE) answered " + errnoName(errno));
                return false;
            }
            if (errno != EINTR) {
                break;
            }
        }
        throw new BlockIOException(device, offsetBytes, String.format(
                "punching a hole of %d bytes failed with %s", lengthBytes, errnoName(errno)),
                null);
    }

    /**
     * Readahead through the same second descriptor (the page cache is the file's, whichever
     * descriptor fills it): {@code posix_fadvise(WILLNEED)} makes the kernel start reading
     * the range in the background, with no copy to user space. A hint: failures and a
     * missing libc are ignored; works whatever the punching state.
     */
    void adviseWillNeed(long offsetBytes, long lengthBytes) {
        if (c == null) {
            return;
        }
        fdLock.readLock().lock();
        try {
            if (fd >= 0) {
                c.posix_fadvise(fd, offsetBytes, lengthBytes, POSIX_FADV_WILLNEED);
            }
        } finally {
            fdLock.readLock().unlock();
        }
    }

    /** Closes the second descriptor; idempotent. Waits for punches in flight. */
    @Override
    public void close() throws IOException {
        fdLock.writeLock().lock();
        try {
            if (fd < 0) {
                return;
            }
            int closing = fd;
            fd = -1;
            if (c.close(closing) != 0) {
                int errno = LastError.getLastError(jnr.ffi.Runtime.getRuntime(c));
                throw new IOException(String.format(
                        "close(2) of the hole-punching descriptor of %s failed with %s",
                        device, errnoName(errno)));
            }
        } finally {
            fdLock.writeLock().unlock();
        }
    }

    /** libc, loaded on first call; null (and a reason) where it cannot be. */
    private static LibC libc() {
        synchronized (LIBC_LOCK) {
            if (libc != null || libcUnavailableReason != null) {
                return libc;
            }
            if (Platform.getNativePlatform().getOS() != Platform.OS.LINUX) {
                libcUnavailableReason = "hole punching is implemented for Linux only, not "
                        + Platform.getNativePlatform().getOS();
                return null;
            }
            try {
                libc = LibraryLoader.create(LibC.class).load("c");
            } catch (LinkageError | RuntimeException e) {
                libcUnavailableReason = "cannot load libc through jnr-ffi: " + e;
                LOG.log(Level.WARNING, "{0}; discards will not free space", libcUnavailableReason);
            }
            return libc;
        }
    }

    private static String libcUnavailableReason() {
        synchronized (LIBC_LOCK) {
            return libcUnavailableReason;
        }
    }

    private static String errnoName(int errno) {
        String name = switch (errno) {
            case 1 -> "EPERM";
            case 4 -> "EINTR";
            case 5 -> "EIO";
            case 9 -> "EBADF";
            case 13 -> "EACCES";
            case 22 -> "EINVAL";
            case 24 -> "EMFILE";
            case 28 -> "ENOSPC";
            case 38 -> "ENOSYS";
            case 95 -> "EOPNOTSUPP";
            default -> "errno";
        };
        return name + " (" + errno + ")";
    }
}
