package io.keelfs.format;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A key: position, type and value bytes. Type {@link KeyType#DELETED} is a deletion (whiteout)
 * and carries no value.
 *
 * <p>Encoding ({@link #encodedBytes()} bytes): pos (20), type u8, value length u16, value.
 * Values are immutable by convention: never modify the array after construction.
 */
public record Bkey(Bpos pos, int type, byte[] value) implements Comparable<Bkey> {
    /** Largest value: bounds node fan-out (a node must hold at least a few keys). */
    public static final int VALUE_BYTES_MAX = 4096;
    public static final int HEADER_BYTES = Bpos.ENCODED_BYTES + 1 + 2;
    private static final byte[] EMPTY = new byte[0];

    public Bkey {
        if (type < 0 || type > 255) {
            throw new IllegalArgumentException("key type " + type + " not in [0, 255] at " + pos);
        }
        if (value == null) {
            value = EMPTY;
        }
        if (value.length > VALUE_BYTES_MAX) {
            throw new IllegalArgumentException(String.format(
                    "value of %d bytes at %s exceeds %d", value.length, pos, VALUE_BYTES_MAX));
        }
    }

    public static Bkey deleted(Bpos pos) {
        return new Bkey(pos, KeyType.DELETED, EMPTY);
    }

    public boolean isDeleted() {
        return type == KeyType.DELETED;
    }

    public int encodedBytes() {
        return HEADER_BYTES + value.length;
    }

    public void encodeTo(ByteBuffer out) {
        pos.encodeTo(out);
        out.put((byte) type);
        out.putShort((short) value.length);
        out.put(value);
    }

    /**
     * Decodes a key, checking the length field against what remains; a bad length is a
     * {@link java.nio.BufferUnderflowException} or {@link IllegalArgumentException}, which
     * callers reading disk data turn into a typed corruption error.
     */
    public static Bkey decodeFrom(ByteBuffer in) {
        Bpos pos = Bpos.decodeFrom(in);
        int type = in.get() & 0xff;
        int length = in.getShort() & 0xffff;
        if (length > VALUE_BYTES_MAX || length > in.remaining()) {
            throw new IllegalArgumentException(String.format(
                    "key at %s claims a %d-byte value, %d bytes remain",
                    pos, length, in.remaining()));
        }
        byte[] value = new byte[length];
        in.get(value);
        return new Bkey(pos, type, value);
    }

    @Override
    public int compareTo(Bkey other) {
        return pos.compareTo(other.pos);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Bkey k && pos.equals(k.pos) && type == k.type
                && Arrays.equals(value, k.value);
    }

    @Override
    public int hashCode() {
        return pos.hashCode() * 31 + type * 17 + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "Bkey[" + pos + " type " + type + ", " + value.length + " value bytes]";
    }
}
