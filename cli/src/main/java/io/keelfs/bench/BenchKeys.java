package io.keelfs.bench;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * The keys of {@code keelfs bench engine}: {@link #count()} random 16-byte keys (two random
 * longs: {@code Bpos(inode, offset)} on the keelfs side, the same 16 bytes big-endian on the
 * LMDB side, so both sort them alike), each with a {@link #VALUE_BYTES}-byte value derived
 * from the key, so a lookup can check it found the right one.
 *
 * <p>Value layout: inode (8 bytes), offset (8), then a fixed filler pattern; both sides store
 * exactly these bytes.
 *
 * <p>Thread-safety: immutable after construction; safe to share between committer threads.
 */
final class BenchKeys {
    static final int KEY_BYTES = 16;
    static final int VALUE_BYTES = 64;
    /** The keys and an int[] lookup order take 20 bytes per key: 10M keys are 200 MB. */
    static final int COUNT_MAX = 10_000_000;
    private static final byte[] FILLER = filler();

    private final long[] inodes;
    private final long[] offsets;

    private BenchKeys(long[] inodes, long[] offsets) {
        this.inodes = inodes;
        this.offsets = offsets;
    }

    /**
     * {@code count} keys from {@code seed}. Random 128-bit keys collide with probability about
     * count^2 / 2^129 (1e-26 for 10M keys); a collision would show as a scan count mismatch.
     */
    static BenchKeys random(int count, long seed) {
        if (count < 1 || count > COUNT_MAX) {
            throw new IllegalArgumentException(
                    "key count " + count + " not in [1, " + COUNT_MAX + "]");
        }
        SplittableRandom random = new SplittableRandom(seed);
        long[] inodes = new long[count];
        long[] offsets = new long[count];
        for (int i = 0; i < count; i++) {
            inodes[i] = random.nextLong();
            offsets[i] = random.nextLong();
        }
        return new BenchKeys(inodes, offsets);
    }

    int count() {
        return inodes.length;
    }

    long inode(int i) {
        return inodes[i];
    }

    long offset(int i) {
        return offsets[i];
    }

    /** A fresh value array for key {@code i}: keelfs keeps the array it is given. */
    byte[] newValue(int i) {
        byte[] value = new byte[VALUE_BYTES];
        ByteBuffer.wrap(value).putLong(inodes[i]).putLong(offsets[i]).put(FILLER);
        return value;
    }

    /** Writes key {@code i} into {@code out} and flips it. */
    void keyInto(int i, ByteBuffer out) {
        out.clear();
        out.putLong(inodes[i]).putLong(offsets[i]).flip();
    }

    /** Writes value {@code i} into {@code out} and flips it. */
    void valueInto(int i, ByteBuffer out) {
        out.clear();
        out.putLong(inodes[i]).putLong(offsets[i]).put(FILLER).flip();
    }

    /** True when {@code value} (from its position) is the value of key {@code i}. */
    boolean isValueOf(int i, ByteBuffer value) {
        int at = value.position();
        return value.remaining() == VALUE_BYTES
                && value.getLong(at) == inodes[i]
                && value.getLong(at + 8) == offsets[i];
    }

    /** The indexes 0..count-1 in a random order (Fisher-Yates): the lookup order. */
    int[] shuffledOrder(long seed) {
        int[] order = new int[count()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }

    private static byte[] filler() {
        byte[] bytes = new byte[VALUE_BYTES - 2 * Long.BYTES];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (0xa5 ^ i);
        }
        return bytes;
    }
}
