package io.keelfs.fs.inode;

import io.keelfs.error.KeyCorruptException;
import io.keelfs.fs.FileMode;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * The on-disk encoding of an {@link Inode} value (key type INODE at (ino, 0, 0)).
 *
 * <p>Version 1, field by field: version u8 (= 1); then unsigned LEB128 varints: mode, uid,
 * gid, nlink, rdev, size (bytes), used (bytes), flags, parent ino; then four big-endian i64:
 * atime, mtime, ctime, btime (ns since the epoch). A typical file takes about 45 bytes.
 * Decoding checks the version, every length, the file type and the flags, and that nothing
 * trails: garbage is a {@link KeyCorruptException} naming the inode, never an unchecked
 * exception.
 *
 * <p>Thread-safety: stateless.
 */
public final class InodeCodec {
    public static final int VERSION = 1;
    /** 1 version + 9 varints of at most 10 bytes + 4 times of 8. */
    public static final int ENCODED_BYTES_MAX = 1 + 9 * 10 + 4 * 8;
    private static final int VARINT_BYTES_MAX = 10;

    private InodeCodec() {}

    public static byte[] encode(Inode inode) {
        ByteBuffer out = ByteBuffer.allocate(ENCODED_BYTES_MAX);
        out.put((byte) VERSION);
        putVarint(out, inode.mode() & 0xffff_ffffL);
        putVarint(out, inode.uid());
        putVarint(out, inode.gid());
        putVarint(out, inode.nlink());
        putVarint(out, inode.rdev());
        putVarint(out, inode.sizeBytes());
        putVarint(out, inode.usedBytes());
        putVarint(out, inode.flags());
        putVarint(out, inode.parentIno());
        out.putLong(inode.atimeNs()).putLong(inode.mtimeNs()).putLong(inode.ctimeNs())
                .putLong(inode.btimeNs());
        byte[] bytes = new byte[out.position()];
        out.flip().get(bytes);
        return bytes;
    }

    public static Inode decode(long ino, byte[] value) throws KeyCorruptException {
        ByteBuffer in = ByteBuffer.wrap(value);
        try {
            int version = in.get() & 0xff;
            if (version != VERSION) {
                throw corrupt(ino, "unknown inode version " + version + ", expected " + VERSION);
            }
            long mode = getVarint(in, ino);
            long uid = getVarint(in, ino);
            long gid = getVarint(in, ino);
            long nlink = getVarint(in, ino);
            long rdev = getVarint(in, ino);
            long size = getVarint(in, ino);
            long used = getVarint(in, ino);
            long flags = getVarint(in, ino);
            long parent = getVarint(in, ino);
            long atime = in.getLong();
            long mtime = in.getLong();
            long ctime = in.getLong();
            long btime = in.getLong();
            if (in.hasRemaining()) {
                throw corrupt(ino, in.remaining() + " trailing bytes after the inode");
            }
            checkFields(ino, mode, nlink, size, used, flags);
            return new Inode(ino, (int) mode, uid, gid, nlink, rdev, size, used, atime, mtime,
                    ctime, btime, flags, parent);
        } catch (BufferUnderflowException e) {
            throw corrupt(ino, "value truncated at " + value.length + " bytes");
        }
    }

    private static void checkFields(long ino, long mode, long nlink, long size, long used,
            long flags) throws KeyCorruptException {
        if (mode > 0xffff || !validType((int) mode)) {
            throw corrupt(ino, "mode " + Long.toOctalString(mode) + " is no file type");
        }
        if (nlink < 0 || size < 0 || used < 0) {
            throw corrupt(ino, "nlink " + nlink + " size " + size + " used " + used
                    + " out of range");
        }
        if ((flags & ~Inode.FLAGS_KNOWN) != 0) {
            throw corrupt(ino, "unknown flags " + Long.toHexString(flags));
        }
    }

    private static boolean validType(int mode) {
        return FileMode.isMknodType(mode) || FileMode.isDirectory(mode)
                || FileMode.isSymlink(mode);
    }

    private static KeyCorruptException corrupt(long ino, String what) {
        return new KeyCorruptException("inodes btree at " + Long.toUnsignedString(ino)
                + ":0:0: " + what + "; run keelfs fsck");
    }

    static void putVarint(ByteBuffer out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.put((byte) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.put((byte) v);
    }

    static long getVarint(ByteBuffer in, long ino) throws KeyCorruptException {
        long v = 0;
        for (int i = 0; i < VARINT_BYTES_MAX; i++) {
            int b = in.get() & 0xff;
            v |= (long) (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw corrupt(ino, "varint longer than " + VARINT_BYTES_MAX + " bytes");
    }
}
