package io.keelfs.fuse;

/**
 * A mount could not start, for a reason the user can act on: the message is one line naming
 * what is wrong (the mountpoint, /dev/fuse, libfuse, the image). When it is thrown nothing is
 * mounted and the filesystem is closed.
 *
 * <p>Thread-safety: immutable.
 */
public final class MountFailure extends Exception {
    public MountFailure(String message) {
        super(message);
    }

    public MountFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
