package io.keelfs.btree;

import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.NodeHeader;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A leaf: the tree's keys as sorted parallel arrays (struct of arrays), searched by binary
 * search and changed with {@link System#arraycopy}.
 *
 * <p>Why columns: a {@code Bkey} object with its {@code Bpos} costs about 70 heap bytes before
 * the value; the columns cost 28 bytes per key plus the value array. Values are shared with the
 * {@link Bkey}s put and returned, never copied (they are immutable by convention).
 *
 * <p>Two key columns: {@code inodes}, dense, for the binary search (its last probes share a
 * cache line), and {@code tails}, the rest of each key in two adjacent longs (offset, then
 * snapshot u32 shifted left by 8 with the type in the low byte), so that the final compare and
 * reading the key touch one more cache line, not three (a lookup on a warm cache is bound by
 * cache misses: see {@link Btree#get}).
 *
 * <p>Deleted keys are never stored: a deletion removes the entry.
 *
 * <p>Not thread-safe (see {@link Node}).
 */
final class LeafNode extends Node {
    private static final byte[] EMPTY = new byte[0];
    /** Heap bytes per key in the columns: inode 8, tail 16, value ref 4. */
    private static final int COLUMN_HEAP_BYTES = 28;
    /** Longs per key in {@link #tails}. */
    private static final int TAIL_LONGS = 2;
    private static final int TYPE_BITS = 8;
    private static final long TYPE_MASK = (1L << TYPE_BITS) - 1;

    private long[] inodes;
    /** tails[2i] = offset; tails[2i + 1] = snapshot (u32) << 8 | type (see the class comment). */
    private long[] tails;
    private byte[][] values;
    private int count;
    /** Sum of value lengths, so usedBytes() and heapBytes() are O(1). */
    private long valueBytes;

    LeafNode(BtreeId btreeId, Bpos minKey, Bpos maxKey, int capacity) {
        super(btreeId, 0, minKey, maxKey);
        inodes = new long[capacity];
        tails = new long[capacity * TAIL_LONGS];
        values = new byte[capacity][];
    }

    @Override
    int count() {
        return count;
    }

    @Override
    int usedBytes() {
        return NodeHeader.HEADER_BYTES + count * Bkey.HEADER_BYTES + (int) valueBytes;
    }

    @Override
    long heapBytes() {
        long capacity = inodes.length;
        return OBJECT_HEAP_BYTES + 3L * ARRAY_HEAP_BYTES + capacity * COLUMN_HEAP_BYTES
                + count * (long) (ARRAY_HEAP_BYTES + 4) + valueBytes;
    }

    /** The first index whose key is at or after {@code pos}; {@link #count()} if none. */
    int lowerBound(Bpos pos) {
        int lo = 0;
        int hi = count;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (compareAt(mid, pos) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Compares the key at {@code i} with {@code pos}, in {@link Bpos} order. */
    int compareAt(int i, Bpos pos) {
        int c = Long.compareUnsigned(inodes[i], pos.inode());
        if (c != 0) {
            return c;
        }
        c = Long.compareUnsigned(tails[i * TAIL_LONGS], pos.offset());
        if (c != 0) {
            return c;
        }
        return Integer.compareUnsigned(snapshot(i), pos.snapshot());
    }

    Bpos pos(int i) {
        return new Bpos(inodes[i], tails[i * TAIL_LONGS], snapshot(i));
    }

    private int snapshot(int i) {
        return (int) (tails[i * TAIL_LONGS + 1] >>> TYPE_BITS);
    }

    int type(int i) {
        return (int) (tails[i * TAIL_LONGS + 1] & TYPE_MASK);
    }

    byte[] value(int i) {
        return values[i];
    }

    Bkey key(int i) {
        return new Bkey(pos(i), type(i), values[i]);
    }

    /** Encoded bytes of the key at {@code i}. */
    int keyBytes(int i) {
        return Bkey.HEADER_BYTES + values[i].length;
    }

    /** Whether the key at {@code i} has {@code key}'s type and value (positions assumed equal). */
    boolean sameContent(int i, Bkey key) {
        return type(i) == key.type() && Arrays.equals(values[i], key.value());
    }

    /** Inserts {@code key} at index {@code i}, which must keep the keys sorted. */
    void insert(int i, Bkey key) {
        ensureCapacity(count + 1);
        shift(i, i + 1, count - i);
        count++;
        Bpos pos = key.pos();
        set(i, pos.inode(), pos.offset(), pos.snapshot(), key.type(), key.value());
    }

    /** Replaces the type and value at index {@code i} (same position). */
    void replace(int i, Bkey key) {
        valueBytes -= values[i].length;
        set(i, inodes[i], tails[i * TAIL_LONGS], snapshot(i), key.type(), key.value());
    }

    void remove(int i) {
        valueBytes -= values[i].length;
        shift(i + 1, i, count - i - 1);
        count--;
        values[count] = null;
    }

    /** Appends a key after the last one (decoding); the caller checks the order. */
    void append(long inode, long offset, int snapshot, int type, byte[] value) {
        ensureCapacity(count + 1);
        count++;
        set(count - 1, inode, offset, snapshot, type, value);
    }

    private void set(int i, long inode, long offset, int snapshot, int type, byte[] value) {
        byte[] v = value.length == 0 ? EMPTY : value;
        inodes[i] = inode;
        tails[i * TAIL_LONGS] = offset;
        tails[i * TAIL_LONGS + 1] = (snapshot & 0xffff_ffffL) << TYPE_BITS | (type & TYPE_MASK);
        values[i] = v;
        valueBytes += v.length;
    }

    private void shift(int from, int to, int n) {
        System.arraycopy(inodes, from, inodes, to, n);
        System.arraycopy(tails, from * TAIL_LONGS, tails, to * TAIL_LONGS, n * TAIL_LONGS);
        System.arraycopy(values, from, values, to, n);
    }

    private void ensureCapacity(int needed) {
        if (needed > inodes.length) {
            resize(grownCapacity(inodes.length, needed));
        }
    }

    private void resize(int capacity) {
        inodes = Arrays.copyOf(inodes, capacity);
        tails = Arrays.copyOf(tails, capacity * TAIL_LONGS);
        values = Arrays.copyOf(values, capacity);
    }

    /**
     * Drops spare capacity beyond what growing would have left, for nodes about to become
     * clean and cached. Spare from growth alone (at most a third of the capacity) stays: with
     * random keys most leaves are written at every checkpoint and dirtied again soon after, and
     * trimming them would copy every column twice per checkpoint (down, then grown back up).
     */
    void trim() {
        if (inodes.length - count > grownCapacity(count, count) - count) {
            resize(count);
        }
    }

    /**
     * Moves {@code n} keys starting at {@code srcFrom} of {@code src} to index {@code dstAt} of
     * {@code dst}. The caller keeps both nodes sorted and fixes their ranges.
     */
    static void moveKeys(LeafNode src, int srcFrom, LeafNode dst, int dstAt, int n) {
        dst.ensureCapacity(dst.count + n);
        dst.shift(dstAt, dstAt + n, dst.count - dstAt);
        System.arraycopy(src.inodes, srcFrom, dst.inodes, dstAt, n);
        System.arraycopy(src.tails, srcFrom * TAIL_LONGS, dst.tails, dstAt * TAIL_LONGS,
                n * TAIL_LONGS);
        System.arraycopy(src.values, srcFrom, dst.values, dstAt, n);
        long moved = 0;
        for (int i = srcFrom; i < srcFrom + n; i++) {
            moved += src.values[i].length;
        }
        dst.count += n;
        dst.valueBytes += moved;
        src.shift(srcFrom + n, srcFrom, src.count - srcFrom - n);
        Arrays.fill(src.values, src.count - n, src.count, null);
        src.count -= n;
        src.valueBytes -= moved;
    }

    /**
     * The split index for a leaf that should keep about {@code leftKeysBytes} of key bytes:
     * the first index whose prefix reaches it, kept within [1, count - 1].
     */
    int splitIndex(long leftKeysBytes) {
        long prefix = 0;
        int i = 0;
        while (i < count && prefix < leftKeysBytes) {
            prefix += keyBytes(i);
            i++;
        }
        return Math.max(1, Math.min(count - 1, i));
    }

    @Override
    void encodeKeysTo(ByteBuffer out) {
        for (int i = 0; i < count; i++) {
            out.putLong(inodes[i]).putLong(tails[i * TAIL_LONGS]).putInt(snapshot(i));
            out.put((byte) type(i));
            out.putShort((short) values[i].length);
            out.put(values[i]);
        }
    }
}
