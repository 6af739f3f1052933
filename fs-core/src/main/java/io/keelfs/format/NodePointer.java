package io.keelfs.format;

import java.nio.ByteBuffer;

/**
 * A parent's pointer to a btree node, and a root record's pointer to a root: everything needed
 * to check, on read, that the node found at {@link #offsetBytes} is the node meant.
 *
 * <p>The node's CRC32C is kept here, in the pointer (crash-testing.md lesson 7), so a
 * misdirected or stale write is caught even when the node's own checksum is valid.
 *
 * <p>Encoding ({@link #ENCODED_BYTES} bytes): minKey (20), maxKey (20), offsetBytes u64,
 * seq u64 (the node's write sequence, also in its header), crc32c u32, level u8, 3 pad bytes.
 *
 * @param minKey first position the node covers (closed interval)
 * @param maxKey last position the node covers (closed interval)
 * @param offsetBytes where the node starts on the device
 * @param seq the node's write sequence number, unique per node write
 * @param crc32c checksum of the node's image as written
 * @param level 0 for a leaf
 */
public record NodePointer(
        Bpos minKey, Bpos maxKey, long offsetBytes, long seq, int crc32c, int level) {
    public static final int ENCODED_BYTES = Bpos.ENCODED_BYTES * 2 + 8 + 8 + 4 + 4;
    /** Deepest tree: 4 levels of 256 KiB nodes index far more than any device holds. */
    public static final int LEVEL_MAX = 7;

    public NodePointer {
        if (minKey.compareTo(maxKey) > 0) {
            throw new IllegalArgumentException("node pointer min " + minKey + " > max " + maxKey);
        }
        if (level < 0 || level > LEVEL_MAX) {
            throw new IllegalArgumentException(
                    "node level " + level + " not in [0, " + LEVEL_MAX + "]");
        }
        if (offsetBytes < 0) {
            throw new IllegalArgumentException("negative node offset " + offsetBytes);
        }
    }

    public void encodeTo(ByteBuffer out) {
        minKey.encodeTo(out);
        maxKey.encodeTo(out);
        out.putLong(offsetBytes).putLong(seq).putInt(crc32c);
        out.put((byte) level).put((byte) 0).putShort((short) 0);
    }

    public byte[] encode() {
        ByteBuffer out = ByteBuffer.allocate(ENCODED_BYTES);
        encodeTo(out);
        return out.array();
    }

    /** Decodes a pointer; out-of-range fields are an {@link IllegalArgumentException}. */
    public static NodePointer decodeFrom(ByteBuffer in) {
        Bpos min = Bpos.decodeFrom(in);
        Bpos max = Bpos.decodeFrom(in);
        long offset = in.getLong();
        long seq = in.getLong();
        int crc = in.getInt();
        int level = in.get() & 0xff;
        in.get();
        in.getShort();
        return new NodePointer(min, max, offset, seq, crc, level);
    }

    @Override
    public String toString() {
        return String.format("node@%d[%s..%s level %d seq %d crc %08x]",
                offsetBytes, minKey, maxKey, level, seq, crc32c);
    }
}
