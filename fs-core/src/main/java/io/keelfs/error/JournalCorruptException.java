package io.keelfs.error;

/** The journal cannot be replayed as it is; the message names the sequence and bucket. */
public final class JournalCorruptException extends CorruptException {
    public JournalCorruptException(String message, long offsetBytes) {
        super(message, offsetBytes);
    }
}
