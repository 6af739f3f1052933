package io.keelfs.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.format.Crc32c;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The entry codec: round trips, padding, every single-byte corruption caught, and decoding of
 * arbitrary bytes (with and without a forged valid checksum) never throwing.
 *
 * <p>Not covered here: scanning whole buckets (JournalReaderTest). Seeds: each property takes a
 * {@code seed} feeding one Random; jqwik prints the failing seed and replays it.
 */
class JournalEntryCodecTest {

    static JournalEntry randomEntry(Random r) {
        long seq = 1 + (r.nextLong() >>> 2);
        long prev = r.nextBoolean() ? seq - 1 : Math.floorMod(r.nextLong(), seq);
        long last = 1 + Math.floorMod(r.nextLong(), seq);
        int flags = r.nextBoolean() ? JournalEntry.FLAG_FLUSH : 0;
        return new JournalEntry(seq, prev, last, flags,
                JournalTestSupport.txn(r, 1 + r.nextInt(20), 300),
                r.nextBoolean() ? Map.of() : JournalTestSupport.roots(r.nextInt(100)));
    }

    @Property(tries = 300)
    void roundTrip(@ForAll long seed, @ForAll @IntRange(min = 9, max = 13) int blockShift) {
        Random r = new Random(seed);
        int block = 1 << blockShift;
        JournalEntry entry = randomEntry(r);
        byte[] bytes = JournalEntryCodec.encode(entry, block);
        assertEquals(0, bytes.length % block);
        assertEquals(JournalEntryCodec.encodedBytes(entry, block), bytes.length);
        assertTrue(bytes.length - entry.unpaddedBytes() < block, "padding below one block");
        JournalEntryCodec.Decoded d = JournalEntryCodec.decode(bytes, 0, bytes.length, block);
        JournalEntryCodec.Decoded.Valid v =
                assertInstanceOf(JournalEntryCodec.Decoded.Valid.class, d);
        assertEquals(entry, v.entry());
        assertEquals(bytes.length, v.sizeBytes());
    }

    @Test
    void emptyEntryIsOneBlock() {
        JournalEntry entry =
                new JournalEntry(1, 0, 1, JournalEntry.FLAG_FLUSH, List.of(), Map.of());
        assertEquals(512, JournalEntryCodec.encode(entry, 512).length);
    }

    /** CRC32C catches every burst of up to 32 bits, so every changed byte must be caught. */
    @Property(tries = 30)
    void everySingleByteCorruptionIsCaught(@ForAll long seed) {
        Random r = new Random(seed);
        JournalEntry entry = randomEntry(r);
        byte[] good = JournalEntryCodec.encode(entry, 512);
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= (byte) (1 + r.nextInt(255));
            JournalEntryCodec.Decoded d = JournalEntryCodec.decode(bad, 0, bad.length, 512);
            if (d instanceof JournalEntryCodec.Decoded.Valid v) {
                throw new AssertionError("byte " + i + " changed, still valid: " + v.entry());
            }
        }
    }

    @Property(tries = 500)
    void randomBytesNeverThrow(@ForAll long seed) {
        Random r = new Random(seed);
        byte[] bytes = new byte[512 * (1 + r.nextInt(8))];
        r.nextBytes(bytes);
        if (r.nextBoolean()) {
            ByteBuffer.wrap(bytes).putLong(0, JournalEntryCodec.MAGIC);
        }
        JournalEntryCodec.Decoded d = JournalEntryCodec.decode(bytes, 0, bytes.length, 512);
        assertTrue(!(d instanceof JournalEntryCodec.Decoded.Valid), "random bytes decoded");
    }

    /**
     * Forges the magic, a plausible length and a valid checksum over random fields and records,
     * so that the field and record decoders see garbage: they must answer, never throw.
     */
    @Property(tries = 2000)
    void forgedChecksumOverGarbageNeverThrows(@ForAll long seed) {
        Random r = new Random(seed);
        int blocks = 1 + r.nextInt(4);
        byte[] bytes = new byte[512 * blocks];
        r.nextBytes(bytes);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        b.putLong(0, JournalEntryCodec.MAGIC);
        if (r.nextBoolean()) {
            b.putLong(12, 1 + r.nextInt(1000)).putLong(20, 0).putLong(28, 1).putInt(36, 0);
            b.putInt(44, r.nextInt(40));
            if (r.nextBoolean()) {
                // A plausible record stream: record types and btree ids mostly valid.
                for (int p = 48; p + 2 < bytes.length; p += 2 + r.nextInt(90)) {
                    bytes[p] = (byte) (1 + r.nextInt(2));
                    bytes[p + 1] = (byte) (r.nextBoolean() ? 14 : r.nextInt(20));
                }
            }
        }
        b.putInt(JournalEntryCodec.TOTAL_BYTES_OFFSET, bytes.length);
        b.putInt(JournalEntryCodec.CRC_OFFSET, Crc32c.ofSkipping(bytes, 0, bytes.length, 8, 4));
        JournalEntryCodec.Decoded d = JournalEntryCodec.decode(bytes, 0, bytes.length, 512);
        if (d instanceof JournalEntryCodec.Decoded.Valid v) {
            // Possible for well-formed garbage; it must then re-encode to the same entry.
            byte[] again = JournalEntryCodec.encode(v.entry(), 512);
            JournalEntryCodec.Decoded d2 = JournalEntryCodec.decode(again, 0, again.length, 512);
            assertEquals(v.entry(),
                    assertInstanceOf(JournalEntryCodec.Decoded.Valid.class, d2).entry());
        }
    }

    @Test
    void lengthPastTheBucketIsDamaged() {
        JournalEntry entry = new JournalEntry(5, 4, 1, 0,
                JournalTestSupport.txn(new Random(1), 30, 200), Map.of());
        byte[] bytes = JournalEntryCodec.encode(entry, 512);
        JournalEntryCodec.Decoded d =
                JournalEntryCodec.decode(bytes, 0, bytes.length - 512, 512);
        JournalEntryCodec.Decoded.Damaged damaged =
                assertInstanceOf(JournalEntryCodec.Decoded.Damaged.class, d);
        assertEquals(5, damaged.headerSeq());
    }

    @Test
    void entryFieldsAreChecked() {
        assertThrows(IllegalArgumentException.class,
                () -> new JournalEntry(0, 0, 1, 0, List.of(), Map.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new JournalEntry(5, 5, 1, 0, List.of(), Map.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new JournalEntry(5, 4, 6, 0, List.of(), Map.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new JournalEntry(5, 4, 1, 2, List.of(), Map.of()));
    }
}
