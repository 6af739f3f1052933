package io.keelfs.format;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** CRC32C over byte ranges (hardware accelerated in the JDK), the checksum of every structure. */
public final class Crc32c {
    private Crc32c() {}

    /** Checksum of {@code buf}'s bytes in [from, to), leaving the buffer's position alone. */
    public static int of(ByteBuffer buf, int from, int to) {
        CRC32C crc = new CRC32C();
        ByteBuffer view = buf.duplicate();
        view.limit(to).position(from);
        crc.update(view);
        return (int) crc.getValue();
    }

    public static int of(byte[] bytes, int from, int to) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, from, to - from);
        return (int) crc.getValue();
    }
}
