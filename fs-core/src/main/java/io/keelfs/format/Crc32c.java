package io.keelfs.format;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C (Castagnoli) over byte ranges, the checksum of every keelfs metadata block
 * (java.util.zip.CRC32C is hardware accelerated). Entry points: {@link #of} and
 * {@link #ofSkipping}.
 *
 * <p>Thread-safety: stateless.
 */
public final class Crc32c {
    private Crc32c() {}

    /** The checksum of {@code bytes[offset, offset + length)}. */
    public static int of(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    /**
     * The checksum of {@code bytes[offset, offset + length)} without the {@code skipLength}
     * bytes at {@code skipOffset} (the stored checksum field of a self-checksummed structure).
     */
    public static int ofSkipping(
            byte[] bytes, int offset, int length, int skipOffset, int skipLength) {
        if (skipOffset < offset || skipLength < 0
                || skipOffset + skipLength > offset + length) {
            throw new IllegalArgumentException(String.format(
                    "skipped range [%d, +%d) not inside [%d, +%d)",
                    skipOffset, skipLength, offset, length));
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, skipOffset - offset);
        int after = skipOffset + skipLength;
        crc.update(bytes, after, offset + length - after);
        return (int) crc.getValue();
    }

    /** The checksum of {@code buf}'s bytes at indexes [fromIndex, toIndex); position untouched. */
    public static int ofRange(ByteBuffer buf, int fromIndex, int toIndex) {
        CRC32C crc = new CRC32C();
        ByteBuffer view = buf.duplicate();
        view.limit(toIndex).position(fromIndex);
        crc.update(view);
        return (int) crc.getValue();
    }
}
