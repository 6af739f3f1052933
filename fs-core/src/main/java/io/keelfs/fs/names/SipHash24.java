package io.keelfs.fs.names;

/**
 * SipHash-2-4 (Aumasson and Bernstein) of a byte array with a 128-bit key, written out over
 * the array: the same values as Guava's {@code Hashing.sipHash24(k0, k1)}, which the on-disk
 * dirent and xattr slots were defined with, without its per-call hasher, buffer and result
 * objects. Every dirent lookup and every fsck dirent check hashes a name (at 100k files a
 * tenth of a cold fsck -n was spent in Guava's hasher).
 *
 * <p>Thread-safety: stateless.
 */
final class SipHash24 {
    private SipHash24() {}

    static long hash(long k0, long k1, byte[] data) {
        State s = new State(k0, k1);
        int n = data.length;
        int end = n & ~7;
        for (int i = 0; i < end; i += 8) {
            s.compress(littleEndian(data, i, 8));
        }
        s.compress(((long) n << 56) | littleEndian(data, end, n - end));
        s.v2 ^= 0xff;
        s.rounds(4);
        return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
    }

    /** The four state words (a local object: the compiler keeps them in registers). */
    private static final class State {
        long v0;
        long v1;
        long v2;
        long v3;

        State(long k0, long k1) {
            v0 = 0x736f6d6570736575L ^ k0;
            v1 = 0x646f72616e646f6dL ^ k1;
            v2 = 0x6c7967656e657261L ^ k0;
            v3 = 0x7465646279746573L ^ k1;
        }

        /** One message word through two rounds (the "2" of SipHash-2-4). */
        void compress(long m) {
            v3 ^= m;
            rounds(2);
            v0 ^= m;
        }

        void rounds(int count) {
            for (int r = 0; r < count; r++) {
                v0 += v1;
                v2 += v3;
                v1 = Long.rotateLeft(v1, 13);
                v3 = Long.rotateLeft(v3, 16);
                v1 ^= v0;
                v3 ^= v2;
                v0 = Long.rotateLeft(v0, 32);
                v2 += v1;
                v0 += v3;
                v1 = Long.rotateLeft(v1, 17);
                v3 = Long.rotateLeft(v3, 21);
                v1 ^= v2;
                v3 ^= v0;
                v2 = Long.rotateLeft(v2, 32);
            }
        }
    }

    /** {@code count} (0..8) bytes from {@code from}, least significant first. */
    private static long littleEndian(byte[] data, int from, int count) {
        long m = 0;
        for (int i = count - 1; i >= 0; i--) {
            m = (m << 8) | (data[from + i] & 0xffL);
        }
        return m;
    }
}
