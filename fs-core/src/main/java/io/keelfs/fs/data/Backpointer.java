package io.keelfs.fs.data;

import io.keelfs.error.InconsistentException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.KeyType;
import java.nio.ByteBuffer;

/**
 * What lives at one place in a data bucket: the reverse of an {@link Extent}, kept in step with
 * it in the same transaction, so copygc and fsck find a bucket's extents without a scan.
 *
 * <p>Key: BACKPOINTERS at {@code Bpos(bucket, offsetInBucketBytes, 0)}, type
 * {@link KeyType#BACKPOINTER}. Value, {@link #ENCODED_BYTES} bytes, big-endian:
 * <pre>
 * offset size field           unit / meaning
 *  0     u8   version         {@link #VERSION}
 *  1     u64  ino             inode of the extent
 *  9     u64  fileOffsetBytes start of the extent in the file
 * 17     u32  lengthBytes     length of the extent
 * </pre>
 *
 * <p>Thread-safety: immutable.
 */
record Backpointer(long bucket, long offsetInBucketBytes, long ino, long fileOffsetBytes,
        long lengthBytes) {
    static final int VERSION = 1;
    static final int ENCODED_BYTES = 21;

    static Backpointer of(Extent e) {
        return new Backpointer(e.bucket(), e.offsetInBucketBytes(), e.ino(), e.startBytes(),
                e.lengthBytes());
    }

    static Bpos pos(long bucket, long offsetInBucketBytes) {
        return Bpos.of(bucket, offsetInBucketBytes);
    }

    Bpos pos() {
        return pos(bucket, offsetInBucketBytes);
    }

    /** The EXTENTS position of the extent this points back to. */
    Bpos extentPos() {
        return Bpos.of(ino, fileOffsetBytes + lengthBytes);
    }

    Bkey toKey() {
        ByteBuffer out = ByteBuffer.allocate(ENCODED_BYTES);
        out.put((byte) VERSION).putLong(ino).putLong(fileOffsetBytes).putInt((int) lengthBytes);
        return new Bkey(pos(), KeyType.BACKPOINTER, out.array());
    }

    static Backpointer decode(Bkey k) throws InconsistentException {
        byte[] v = k.value();
        if (k.type() != KeyType.BACKPOINTER || v.length != ENCODED_BYTES
                || v[0] != VERSION) {
            throw new InconsistentException(String.format("backpointer key at %s is invalid:"
                    + " type %d, %d value bytes, version %d; run keelfs fsck", k.pos(), k.type(),
                    v.length, v.length == 0 ? -1 : v[0]));
        }
        ByteBuffer in = ByteBuffer.wrap(v, 1, ENCODED_BYTES - 1);
        long ino = in.getLong();
        long fileOffset = in.getLong();
        long length = in.getInt() & 0xffff_ffffL;
        if (fileOffset < 0 || length == 0) {
            throw new InconsistentException("backpointer key at " + k.pos()
                    + " is invalid: file offset " + fileOffset + ", length " + length
                    + "; run keelfs fsck");
        }
        return new Backpointer(k.pos().inode(), k.pos().offset(), ino, fileOffset, length);
    }

    /** True when {@code e} is exactly the extent this backpointer names. */
    boolean matches(Extent e) {
        return e.bucket() == bucket && e.offsetInBucketBytes() == offsetInBucketBytes
                && e.ino() == ino && e.startBytes() == fileOffsetBytes
                && e.lengthBytes() == lengthBytes;
    }
}
