package io.keelfs.error;

/** Stored and computed CRC32C differ: torn, rotted or misdirected bytes. */
public final class ChecksumException extends CorruptException {
    public ChecksumException(String what, long offsetBytes, int expectedCrc, int actualCrc) {
        super(String.format("checksum mismatch in %s at offset %d: expected %08x, computed %08x",
                what, offsetBytes, expectedCrc, actualCrc), offsetBytes);
    }
}
