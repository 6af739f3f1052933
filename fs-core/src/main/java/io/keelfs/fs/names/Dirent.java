package io.keelfs.fs.names;

import io.keelfs.error.KeyCorruptException;
import io.keelfs.format.Bkey;
import io.keelfs.fs.FsConstants;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One directory entry: a name in directory {@code dirIno} at its slot, pointing at
 * {@code childIno} of file type {@code typeBits} (the S_IFMT bits of the child's mode).
 *
 * <p>Value encoding (key type DIRENT at (dirIno, slot, 0)): child ino i64, type u8 (S_IFMT
 * bits >> 12), then the name's UTF-8 bytes (1..255) to the end.
 */
public record Dirent(long dirIno, long offset, long childIno, int typeBits, byte[] name) {
    static final int FIXED_BYTES = 8 + 1;

    public String nameString() {
        return new String(name, StandardCharsets.UTF_8);
    }

    public byte[] encodeValue() {
        return ByteBuffer.allocate(FIXED_BYTES + name.length).putLong(childIno)
                .put((byte) (typeBits >>> 12)).put(name).array();
    }

    public static Dirent decode(Bkey key) throws KeyCorruptException {
        byte[] v = key.value();
        int nameBytes = v.length - FIXED_BYTES;
        if (nameBytes < 1 || nameBytes > FsConstants.NAME_LENGTH_MAX) {
            throw new KeyCorruptException("dirents btree at " + key.pos() + ": value of "
                    + v.length + " bytes holds no valid name; run keelfs fsck");
        }
        ByteBuffer in = ByteBuffer.wrap(v);
        long child = in.getLong();
        int type = (in.get() & 0xff) << 12;
        byte[] name = new byte[nameBytes];
        in.get(name);
        if (child <= 0) {
            throw new KeyCorruptException("dirents btree at " + key.pos() + ": child inode "
                    + child + "; run keelfs fsck");
        }
        return new Dirent(key.pos().inode(), key.pos().offset(), child, type, name);
    }

    /** The name bytes of an encoded dirent (for probing), checked like {@link #decode}. */
    static byte[] nameOf(Bkey key) throws KeyCorruptException {
        return decode(key).name();
    }
}
