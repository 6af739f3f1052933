package io.keelfs.error;

/**
 * A POSIX-level refusal (ENOENT, EEXIST, ENOTEMPTY...), naming the path or inode.
 *
 * <p>No stack trace unless {@code KEELFS_DEBUG} is set: a refusal is an answer, not a bug, and
 * its message names the place. Some are hot: the kernel asks for security.capability before
 * every write through FUSE (ENODATA) and looks up every name a create makes (ENOENT), and
 * filling in the trace was about 5% of the FUSE daemon's CPU per 4 KiB write (issue 5).
 */
public final class FsException extends KeelException {
    /** Whether refusals carry a stack trace (for debugging: who refused). */
    static final boolean STACK_TRACES = System.getenv("KEELFS_DEBUG") != null;

    public FsException(Errno errno, String message) {
        super(errno, message, null, STACK_TRACES);
    }
}
