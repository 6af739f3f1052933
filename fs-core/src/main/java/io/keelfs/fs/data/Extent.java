package io.keelfs.fs.data;

import io.keelfs.error.InconsistentException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.KeyType;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One extent: file bytes {@code [startBytes, startBytes + lengthBytes())} of inode {@code ino}
 * live at {@code offsetInBucketBytes} of {@code bucket}, written against bucket generation
 * {@code generation}, with one CRC32C per block (btrfs style, so that a piece cut from an
 * extent keeps exact checksums).
 *
 * <p>Key: EXTENTS at {@code Bpos(ino, endBytes, 0)}, type {@link KeyType#EXTENT}. Keyed by the
 * END offset as bcachefs, so a forward seek from {@code (ino, offset + 1)} meets first the
 * extent covering {@code offset}, if any.
 *
 * <p>Value format, {@code HEADER_BYTES + 4 * blocks} bytes, big-endian:
 * <pre>
 * offset size field               unit / meaning
 *  0     u8   version             {@link #VERSION}; anything else is refused
 *  1     u8   generation          bucket generation the pointer was made against
 *  2     u8   blockShift          log2 of the block size in bytes; must match the filesystem
 *  3     u8   reserved            0
 *  4     u64  bucket              bucket index
 * 12     u32  offsetInBucketBytes where the data starts in the bucket, block aligned
 * 16     u16  blocks              length in blocks, in [1, EXTENT_BLOCKS_MAX]
 * 18     u16  reserved            0
 * 20     u32  crc[blocks]         CRC32C of each block of data, in file order
 * </pre>
 *
 * <p>Thread-safety: immutable (the crc array is never modified after construction).
 */
record Extent(long ino, long startBytes, long bucket, long offsetInBucketBytes, int generation,
        int blockSizeBytes, int[] crcs) {
    static final int VERSION = 1;
    static final int HEADER_BYTES = 20;
    /**
     * Blocks per extent: 128 blocks is a 532-byte value (20 + 4 * 128), an eighth of
     * {@link Bkey#VALUE_BYTES_MAX}, so a 4 KiB test node still holds several, and 512 KiB of
     * data at 4 KiB blocks.
     */
    static final int EXTENT_BLOCKS_MAX = 128;
    private static final long U32_MAX = 0xffff_ffffL;

    static {
        if (HEADER_BYTES + 4 * EXTENT_BLOCKS_MAX > Bkey.VALUE_BYTES_MAX) {
            throw new ExceptionInInitializerError("an extent value can exceed VALUE_BYTES_MAX");
        }
    }

    Extent {
        if (crcs.length < 1 || crcs.length > EXTENT_BLOCKS_MAX) {
            throw new IllegalArgumentException("extent of " + crcs.length + " blocks at inode "
                    + ino + " offset " + startBytes);
        }
        if (startBytes < 0 || startBytes % blockSizeBytes != 0
                || offsetInBucketBytes % blockSizeBytes != 0 || offsetInBucketBytes < 0
                || offsetInBucketBytes > U32_MAX || generation < 0 || generation > 255) {
            throw new IllegalArgumentException(String.format(
                    "bad extent: inode %d start %d, bucket %d +%d gen %d, block %d", ino,
                    startBytes, bucket, offsetInBucketBytes, generation, blockSizeBytes));
        }
    }

    long lengthBytes() {
        return (long) crcs.length * blockSizeBytes;
    }

    long endBytes() {
        return startBytes + lengthBytes();
    }

    Bpos pos() {
        return Bpos.of(ino, endBytes());
    }

    /** True when both name the same data at the same place (the crcs then agree too). */
    boolean samePlace(Extent o) {
        return ino == o.ino && startBytes == o.startBytes && bucket == o.bucket
                && offsetInBucketBytes == o.offsetInBucketBytes && generation == o.generation
                && crcs.length == o.crcs.length;
    }

    /** The piece of this extent covering file bytes {@code [from, to)}, block aligned. */
    Extent slice(long from, long to) {
        if (from < startBytes || to > endBytes() || from >= to || from % blockSizeBytes != 0
                || to % blockSizeBytes != 0) {
            throw new IllegalArgumentException(String.format(
                    "slice [%d, %d) of extent [%d, %d)", from, to, startBytes, endBytes()));
        }
        int first = (int) ((from - startBytes) / blockSizeBytes);
        int end = (int) ((to - startBytes) / blockSizeBytes);
        return new Extent(ino, from, bucket, offsetInBucketBytes + (from - startBytes),
                generation, blockSizeBytes, Arrays.copyOfRange(crcs, first, end));
    }

    Bkey toKey() {
        ByteBuffer out = ByteBuffer.allocate(HEADER_BYTES + 4 * crcs.length);
        out.put((byte) VERSION).put((byte) generation)
                .put((byte) Integer.numberOfTrailingZeros(blockSizeBytes)).put((byte) 0);
        out.putLong(bucket).putInt((int) offsetInBucketBytes).putShort((short) crcs.length)
                .putShort((short) 0);
        for (int crc : crcs) {
            out.putInt(crc);
        }
        return new Bkey(pos(), KeyType.EXTENT, out.array());
    }

    /**
     * Decodes an EXTENTS key; anything malformed (type, length, version, block size, a range
     * before offset 0 or past the bucket) is an {@link InconsistentException} naming the key.
     */
    static Extent decode(Bkey k, int blockSizeBytes, long bucketSizeBytes)
            throws InconsistentException {
        byte[] v = k.value();
        if (k.type() != KeyType.EXTENT) {
            throw bad(k, "type " + k.type() + ", expected " + KeyType.EXTENT);
        }
        if (v.length < HEADER_BYTES || (v.length - HEADER_BYTES) % 4 != 0) {
            throw bad(k, v.length + " value bytes");
        }
        ByteBuffer in = ByteBuffer.wrap(v);
        int version = in.get() & 0xff;
        int generation = in.get() & 0xff;
        int shift = in.get() & 0xff;
        in.get();
        long bucket = in.getLong();
        long offset = in.getInt() & U32_MAX;
        int blocks = in.getShort() & 0xffff;
        in.getShort();
        if (version != VERSION) {
            throw bad(k, "version " + version + ", expected " + VERSION);
        }
        if (shift >= 31 || (1 << shift) != blockSizeBytes) {
            throw bad(k, "block shift " + shift + ", the filesystem's block is "
                    + blockSizeBytes + " bytes");
        }
        if (blocks < 1 || blocks > EXTENT_BLOCKS_MAX || v.length != HEADER_BYTES + 4 * blocks) {
            throw bad(k, blocks + " blocks in " + v.length + " value bytes");
        }
        long length = (long) blocks * blockSizeBytes;
        long end = k.pos().offset();
        if (end < length || end % blockSizeBytes != 0 || offset % blockSizeBytes != 0
                || offset + length > bucketSizeBytes || bucket < 0) {
            throw bad(k, String.format("end %d, %d bytes at bucket %d +%d (bucket %d bytes)",
                    end, length, bucket, offset, bucketSizeBytes));
        }
        int[] crcs = new int[blocks];
        for (int i = 0; i < blocks; i++) {
            crcs[i] = in.getInt();
        }
        return new Extent(k.pos().inode(), end - length, bucket, offset, generation,
                blockSizeBytes, crcs);
    }

    private static InconsistentException bad(Bkey k, String what) {
        return new InconsistentException("extent key at " + k.pos() + " is invalid: " + what
                + "; run keelfs fsck");
    }

    void appendTo(StringBuilder sb) {
        sb.append("extent inode ").append(ino).append(" [").append(startBytes).append(", ")
                .append(endBytes()).append(") at bucket ").append(bucket).append(" +")
                .append(offsetInBucketBytes).append(" gen ").append(generation);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Extent e && samePlace(e) && blockSizeBytes == e.blockSizeBytes
                && Arrays.equals(crcs, e.crcs);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(ino * 31 + startBytes) ^ Long.hashCode(bucket * 17
                + offsetInBucketBytes);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        appendTo(sb);
        return sb.toString();
    }
}
