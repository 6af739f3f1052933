package io.keelfs.error;

/** A write to a filesystem that is read-only (mounted so, or gone emergency read-only). */
public final class ReadOnlyException extends KeelException {
    public ReadOnlyException(String message) {
        super(Errno.EROFS, message, null);
    }
}
