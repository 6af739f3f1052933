package io.keelfs.error;

/** A POSIX-level refusal (ENOENT, EEXIST, ENOTEMPTY...), naming the path or inode. */
public final class FsException extends KeelException {
    public FsException(Errno errno, String message) {
        super(errno, message, null);
    }
}
