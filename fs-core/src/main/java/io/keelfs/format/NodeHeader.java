package io.keelfs.format;

import java.nio.ByteBuffer;

/**
 * The header at the start of every btree node image, and the node size limits.
 *
 * <p>A node image is {@code nodeSizeBytes} long (a power of two in
 * [{@link #NODE_SIZE_BYTES_MIN}, {@link #NODE_SIZE_BYTES_MAX}], fixed per filesystem): this
 * header, then {@code keyCount} keys in ascending position order as {@link Bkey} encodings,
 * then zeros up to the node size. Layout, big-endian, offsets in bytes from the node start:
 *
 * <pre>
 *   0  magic      u64  {@link #MAGIC}
 *   8  crc32c     u32  CRC32C of bytes [{@link #CRC_START_BYTES}, usedBytes)
 *  12  btreeId    u8   {@link BtreeId#id} of the tree the node belongs to
 *  13  level      u8   0 for a leaf; a parent is one level above its children
 *  14  flags      u16  reserved, 0
 *  16  keyCount   u32  number of keys that follow the header
 *  20  usedBytes  u32  header plus keys, in [{@link #HEADER_BYTES}, nodeSizeBytes]
 *  24  seq        u64  write sequence number, unique per node write (also in the pointer)
 *  32  minKey     20   first position the node covers (closed interval, {@link Bpos})
 *  52  maxKey     20   last position the node covers (closed interval)
 *  72  keys            leaf: the tree's keys; interior: one key per child, pos = the
 *                      child's maxKey, type {@link KeyType#BTREE_PTR}, value = the child's
 *                      {@link NodePointer} encoding
 * </pre>
 *
 * <p>The checksum leaves out the magic and itself; the magic is checked on its own, and the
 * zero padding after {@code usedBytes} is not covered (it carries no information).
 *
 * @param magic must equal {@link #MAGIC}
 * @param crc32c checksum of bytes [{@link #CRC_START_BYTES}, usedBytes)
 * @param btreeId raw on-disk btree id (may be unknown when the node is corrupt)
 * @param level raw on-disk level
 * @param flags reserved, 0
 * @param keyCount raw key count
 * @param usedBytes raw used byte count
 * @param seq write sequence number
 * @param minKey first covered position
 * @param maxKey last covered position
 */
public record NodeHeader(
        long magic, int crc32c, int btreeId, int level, int flags, int keyCount, int usedBytes,
        long seq, Bpos minKey, Bpos maxKey) {
    /** "keelNODE" in ASCII. */
    public static final long MAGIC = 0x6b65656c4e4f4445L;
    public static final int CRC_OFFSET_BYTES = 8;
    /** The checksum covers the node from here to {@code usedBytes}. */
    public static final int CRC_START_BYTES = 12;
    public static final int HEADER_BYTES = 32 + 2 * Bpos.ENCODED_BYTES;

    public static final int NODE_SIZE_BYTES_MIN = 4 * 1024;
    public static final int NODE_SIZE_BYTES_MAX = 1024 * 1024;
    /** bcachefs's default (design-facts.md section 1). */
    public static final int NODE_SIZE_BYTES_DEFAULT = 256 * 1024;

    static {
        if (HEADER_BYTES != 72 || CRC_START_BYTES != CRC_OFFSET_BYTES + 4) {
            throw new ExceptionInInitializerError("node header layout constants disagree");
        }
        // A node must hold several of the largest keys the smallest node allows (see Btree).
        if (NODE_SIZE_BYTES_MIN < 8 * (HEADER_BYTES + Bkey.HEADER_BYTES)) {
            throw new ExceptionInInitializerError("NODE_SIZE_BYTES_MIN too small");
        }
    }

    /** Checks that a node size is a power of two in the supported range (a caller mistake). */
    public static void checkNodeSize(int nodeSizeBytes) {
        if (nodeSizeBytes < NODE_SIZE_BYTES_MIN
                || nodeSizeBytes > NODE_SIZE_BYTES_MAX
                || Integer.bitCount(nodeSizeBytes) != 1) {
            throw new IllegalArgumentException(String.format(
                    "node size %d bytes is not a power of two in [%d, %d]",
                    nodeSizeBytes, NODE_SIZE_BYTES_MIN, NODE_SIZE_BYTES_MAX));
        }
    }

    /** Writes the header at absolute offset 0 of {@code out}; the position is left unchanged. */
    public void encodeTo(ByteBuffer out) {
        ByteBuffer b = out.duplicate();
        b.position(0);
        b.putLong(magic).putInt(crc32c);
        b.put((byte) btreeId).put((byte) level).putShort((short) flags);
        b.putInt(keyCount).putInt(usedBytes).putLong(seq);
        minKey.encodeTo(b);
        maxKey.encodeTo(b);
    }

    /**
     * Reads the header at absolute offset 0 of {@code in} without judging it: every field is
     * returned raw, for the reader to check. The position is left unchanged.
     */
    public static NodeHeader decodeFrom(ByteBuffer in) {
        ByteBuffer b = in.duplicate();
        b.position(0);
        long magic = b.getLong();
        int crc = b.getInt();
        int btreeId = b.get() & 0xff;
        int level = b.get() & 0xff;
        int flags = b.getShort() & 0xffff;
        int keyCount = b.getInt();
        int usedBytes = b.getInt();
        long seq = b.getLong();
        Bpos min = Bpos.decodeFrom(b);
        Bpos max = Bpos.decodeFrom(b);
        return new NodeHeader(
                magic, crc, btreeId, level, flags, keyCount, usedBytes, seq, min, max);
    }
}
