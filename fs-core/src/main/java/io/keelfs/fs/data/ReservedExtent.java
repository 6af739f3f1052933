package io.keelfs.fs.data;

import io.keelfs.error.InconsistentException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.KeyType;
import java.nio.ByteBuffer;

/**
 * A fallocated, unwritten range (bcachefs {@code KEY_TYPE_reservation}): file bytes
 * {@code [startBytes, startBytes + lengthBytes)} of inode {@code ino} have space set aside in
 * the filesystem-wide reserved total ({@link ReservedSpace}) but no data; they read as zeros.
 * A write into the range takes its space out of the reservation and cuts the key; a punch,
 * truncate or unlink cuts it and gives the space back.
 *
 * <p>Key: EXTENTS at {@code Bpos(ino, endBytes, 0)}, type {@link KeyType#RESERVATION} (keyed
 * by end offset like {@link Extent}; the two never overlap within a file).
 *
 * <p>Value format, {@link #VALUE_BYTES} bytes, big-endian:
 * <pre>
 * offset size field        unit / meaning
 *  0     u8   version      {@link #VERSION}; anything else is refused
 *  1     u8   blockShift   log2 of the block size in bytes; must match the filesystem
 *  2     u16  reserved     0
 *  4     u32  reserved     0
 *  8     u64  lengthBytes  length in bytes, a positive multiple of the block size
 * </pre>
 *
 * <p>Thread-safety: immutable.
 */
record ReservedExtent(long ino, long startBytes, long lengthBytes, int blockSizeBytes) {
    static final int VERSION = 1;
    static final int VALUE_BYTES = 16;

    ReservedExtent {
        if (startBytes < 0 || lengthBytes <= 0 || startBytes % blockSizeBytes != 0
                || lengthBytes % blockSizeBytes != 0) {
            throw new IllegalArgumentException(String.format(
                    "bad reservation: inode %d [%d, +%d), block %d", ino, startBytes,
                    lengthBytes, blockSizeBytes));
        }
    }

    long endBytes() {
        return startBytes + lengthBytes;
    }

    Bpos pos() {
        return Bpos.of(ino, endBytes());
    }

    /** The piece covering file bytes {@code [from, to)}, block aligned, inside this range. */
    ReservedExtent slice(long from, long to) {
        if (from < startBytes || to > endBytes() || from >= to) {
            throw new IllegalArgumentException(String.format(
                    "slice [%d, %d) of reservation [%d, %d)", from, to, startBytes, endBytes()));
        }
        return new ReservedExtent(ino, from, to - from, blockSizeBytes);
    }

    Bkey toKey() {
        ByteBuffer out = ByteBuffer.allocate(VALUE_BYTES);
        out.put((byte) VERSION).put((byte) Integer.numberOfTrailingZeros(blockSizeBytes))
                .putShort((short) 0).putInt(0).putLong(lengthBytes);
        return new Bkey(pos(), KeyType.RESERVATION, out.array());
    }

    /** Decodes a RESERVATION key; anything malformed is an {@link InconsistentException}. */
    static ReservedExtent decode(Bkey k, int blockSizeBytes) throws InconsistentException {
        byte[] v = k.value();
        if (k.type() != KeyType.RESERVATION || v.length != VALUE_BYTES) {
            throw bad(k, "type " + k.type() + " with " + v.length + " value bytes, expected "
                    + KeyType.RESERVATION + " with " + VALUE_BYTES);
        }
        ByteBuffer in = ByteBuffer.wrap(v);
        int version = in.get() & 0xff;
        int shift = in.get() & 0xff;
        in.getShort();
        in.getInt();
        long length = in.getLong();
        if (version != VERSION) {
            throw bad(k, "version " + version + ", expected " + VERSION);
        }
        if (shift >= 31 || (1 << shift) != blockSizeBytes) {
            throw bad(k, "block shift " + shift + ", the filesystem's block is "
                    + blockSizeBytes + " bytes");
        }
        long end = k.pos().offset();
        if (length <= 0 || length % blockSizeBytes != 0 || end < length
                || end % blockSizeBytes != 0 || k.pos().inode() <= 0) {
            throw bad(k, "length " + length + " ending at " + end);
        }
        return new ReservedExtent(k.pos().inode(), end - length, length, blockSizeBytes);
    }

    private static InconsistentException bad(Bkey k, String what) {
        return new InconsistentException("reservation key at " + k.pos() + " is invalid: "
                + what + "; run keelfs fsck");
    }

    @Override
    public String toString() {
        return "reservation inode " + ino + " [" + startBytes + ", " + endBytes() + ")";
    }
}
