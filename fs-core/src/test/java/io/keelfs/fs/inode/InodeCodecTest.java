package io.keelfs.fs.inode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.error.KeyCorruptException;
import io.keelfs.fs.FileMode;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The inode encoding: round trips, and every kind of garbage is a typed error. */
class InodeCodecTest {
    private static final Inode SAMPLE = new Inode(42, FileMode.S_IFREG | 0644, 1000, 100, 3,
            0, 123_456_789L, 4096 * 30, 1, 2, 3, 4, Inode.FLAG_SIZE_DIRTY, 7);

    @Test
    void roundTrip() throws Exception {
        assertEquals(SAMPLE, InodeCodec.decode(42, InodeCodec.encode(SAMPLE)));
        Inode big = new Inode(Long.MAX_VALUE - 1, FileMode.S_IFCHR | 07777, 0xffff_ffffL,
                0xffff_ffffL, 65_000, -1L, Long.MAX_VALUE, Long.MAX_VALUE, Long.MIN_VALUE,
                -1, Long.MAX_VALUE, 0, 0, Long.MAX_VALUE);
        byte[] enc = InodeCodec.encode(big);
        assertEquals(big, InodeCodec.decode(big.ino(), enc));
        assertTrue(enc.length <= InodeCodec.ENCODED_BYTES_MAX);
    }

    @Test
    void garbageIsTyped() {
        byte[] good = InodeCodec.encode(SAMPLE);
        byte[] badVersion = good.clone();
        badVersion[0] = 9;
        assertThrows(KeyCorruptException.class, () -> InodeCodec.decode(42, badVersion));
        for (int len = 0; len < good.length; len++) {
            byte[] cut = Arrays.copyOf(good, len);
            assertThrows(KeyCorruptException.class, () -> InodeCodec.decode(42, cut));
        }
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        assertThrows(KeyCorruptException.class, () -> InodeCodec.decode(42, trailing));
        byte[] noType = InodeCodec.encode(SAMPLE.withMode(0644));
        assertThrows(KeyCorruptException.class, () -> InodeCodec.decode(42, noType));
        byte[] flags = InodeCodec.encode(SAMPLE.withFlags(0x80));
        assertThrows(KeyCorruptException.class, () -> InodeCodec.decode(42, flags));
        byte[] longVarint = new byte[40];
        longVarint[0] = 1;
        Arrays.fill(longVarint, 1, 40, (byte) 0xff);
        assertThrows(KeyCorruptException.class, () -> InodeCodec.decode(42, longVarint));
        Random random = new Random(1);
        for (int i = 0; i < 10_000; i++) {
            byte[] junk = new byte[random.nextInt(80)];
            random.nextBytes(junk);
            try {
                InodeCodec.decode(42, junk);
            } catch (KeyCorruptException expected) {
                // typed: fine
            }
        }
    }
}
