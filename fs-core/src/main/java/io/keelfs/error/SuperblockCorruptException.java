package io.keelfs.error;

/** No valid superblock copy, or a copy whose fields contradict the device. */
public final class SuperblockCorruptException extends CorruptException {
    public SuperblockCorruptException(String message, long offsetBytes) {
        super(message, offsetBytes);
    }
}
