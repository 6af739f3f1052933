package io.keelfs.format;

import java.nio.ByteBuffer;

/**
 * A key position: (inode u64, offset u64, snapshot u32), ordered as one unsigned 160-bit number,
 * most significant field first (as bcachefs {@code bpos}).
 *
 * <p>Encoding: {@link #ENCODED_BYTES} bytes, big-endian inode, offset, snapshot, so that the
 * unsigned byte order of encodings equals the key order.
 */
public record Bpos(long inode, long offset, int snapshot) implements Comparable<Bpos> {
    public static final int ENCODED_BYTES = 8 + 8 + 4;
    public static final Bpos MIN = new Bpos(0, 0, 0);
    public static final Bpos MAX = new Bpos(-1L, -1L, -1);

    public static Bpos of(long inode, long offset) {
        return new Bpos(inode, offset, 0);
    }

    @Override
    public int compareTo(Bpos other) {
        int c = Long.compareUnsigned(inode, other.inode);
        if (c != 0) {
            return c;
        }
        c = Long.compareUnsigned(offset, other.offset);
        if (c != 0) {
            return c;
        }
        return Integer.compareUnsigned(snapshot, other.snapshot);
    }

    /**
     * Field by field, not the record's generated equals: positions are hash keys of the key
     * caches and are compared on every iterator step; the generated method goes through an
     * invokedynamic bootstrap that is slow until compiled (a cold fsck spent a tenth of its
     * samples there).
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof Bpos p && inode == p.inode && offset == p.offset
                && snapshot == p.snapshot;
    }

    @Override
    public int hashCode() {
        long h = inode * 0x9e3779b97f4a7c15L + offset;
        h = h * 0x9e3779b97f4a7c15L + snapshot;
        return (int) (h ^ (h >>> 32));
    }

    public boolean isMax() {
        // Field by field: this is on every iterator step, and record equals is slower.
        return inode == -1L && offset == -1L && snapshot == -1;
    }

    /** The next position in key order; {@link #MAX} has none. */
    public Bpos successor() {
        if (snapshot != -1) {
            return new Bpos(inode, offset, snapshot + 1);
        }
        if (offset != -1L) {
            return new Bpos(inode, offset + 1, 0);
        }
        if (inode != -1L) {
            return new Bpos(inode + 1, 0, 0);
        }
        throw new IllegalStateException("Bpos.MAX has no successor");
    }

    /** The previous position in key order; {@link #MIN} has none. */
    public Bpos predecessor() {
        if (snapshot != 0) {
            return new Bpos(inode, offset, snapshot - 1);
        }
        if (offset != 0) {
            return new Bpos(inode, offset - 1, -1);
        }
        if (inode != 0) {
            return new Bpos(inode - 1, -1L, -1);
        }
        throw new IllegalStateException("Bpos.MIN has no predecessor");
    }

    public void encodeTo(ByteBuffer out) {
        out.putLong(inode).putLong(offset).putInt(snapshot);
    }

    public static Bpos decodeFrom(ByteBuffer in) {
        return new Bpos(in.getLong(), in.getLong(), in.getInt());
    }

    @Override
    public String toString() {
        return Long.toUnsignedString(inode) + ":" + Long.toUnsignedString(offset)
                + ":" + Integer.toUnsignedString(snapshot);
    }
}
