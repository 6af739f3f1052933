package io.keelfs.error;

/**
 * An expected failure as a typed value: an errno plus a message naming the place.
 *
 * <p>Subtypes say what kind of failure it was so callers can switch on it: corruption found on
 * read ({@link CorruptException} and its kinds), an invariant broken in memory
 * ({@link InconsistentException}), no space, read-only, a failed device I/O, or a POSIX-level
 * refusal ({@link FsException}).
 */
public abstract sealed class KeelException extends Exception
        permits CorruptException, InconsistentException, NoSpaceException, ReadOnlyException,
                DeviceIoException, FsException {
    private final Errno errno;

    protected KeelException(Errno errno, String message, Throwable cause) {
        super(message, cause);
        this.errno = errno;
    }

    /** {@code stackTrace} false: none is filled in (for refusals that are hot and expected). */
    protected KeelException(Errno errno, String message, Throwable cause, boolean stackTrace) {
        super(message, cause, true, stackTrace);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
