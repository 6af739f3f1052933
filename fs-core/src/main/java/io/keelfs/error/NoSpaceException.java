package io.keelfs.error;

/** No free bucket, node slot or journal space within the bounded wait. */
public final class NoSpaceException extends KeelException {
    public NoSpaceException(String message) {
        super(Errno.ENOSPC, message, null);
    }
}
