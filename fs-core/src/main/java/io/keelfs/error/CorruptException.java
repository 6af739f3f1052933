package io.keelfs.error;

/**
 * Metadata read from the device is not what it must be: a bad checksum, a header that does not
 * match the pointer that led to it, a journal out of order. fsck can find and often fix these.
 */
public abstract sealed class CorruptException extends KeelException
        permits ChecksumException, TopologyException, JournalCorruptException,
                SuperblockCorruptException,
                KeyCorruptException {
    private final long offsetBytes;

    protected CorruptException(String message, long offsetBytes) {
        super(Errno.EIO, message, null);
        this.offsetBytes = offsetBytes;
    }

    /** Where on the device the bad bytes are, or -1 when not known. */
    public long offsetBytes() {
        return offsetBytes;
    }
}
