package io.keelfs.fs.names;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.common.hash.Hashing;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link SipHash24} against Guava's SipHash-2-4, which defined the on-disk slots: every length
 * from 0 to 80 bytes (all tail lengths, several blocks), random bytes and keys, fixed seed.
 */
class SipHash24Test {
    @Test
    void matchesGuava() {
        Random random = new Random(20261123);
        for (int length = 0; length <= 80; length++) {
            for (int round = 0; round < 50; round++) {
                long k0 = round == 0 ? 0x6b65656c66730001L : random.nextLong();
                long k1 = round == 0 ? 0x6e616d6568617368L : random.nextLong();
                byte[] data = new byte[length];
                random.nextBytes(data);
                assertEquals(Hashing.sipHash24(k0, k1).hashBytes(data).asLong(),
                        SipHash24.hash(k0, k1, data), "length " + length + " round " + round);
            }
        }
    }

    @Test
    void nameHashKeepsItsValues() {
        byte[] name = "some-file.txt".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(Hashing.sipHash24(0x6b65656c66730001L, 0x6e616d6568617368L)
                .hashBytes(name).asLong(), NameHash.SIPHASH.hash(name));
    }
}
