package io.keelfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link ByteSizes}: suffixes, case, overflow, bad input, and format/parse round trips. */
class ByteSizesTest {

    @Test
    void parsesPlainBytesAndBinarySuffixes() {
        assertEquals(0L, ByteSizes.parse("0"));
        assertEquals(4096L, ByteSizes.parse("4096"));
        assertEquals(4096L, ByteSizes.parse("4K"));
        assertEquals(64L << 20, ByteSizes.parse("64M"));
        assertEquals(1L << 30, ByteSizes.parse("1G"));
        assertEquals(2L << 40, ByteSizes.parse("2T"));
    }

    @Test
    void suffixesIgnoreCaseAndAcceptIB() {
        assertEquals(1L << 30, ByteSizes.parse("1g"));
        assertEquals(1L << 30, ByteSizes.parse("1GiB"));
        assertEquals(3L << 10, ByteSizes.parse("3kib"));
        assertEquals(5L << 20, ByteSizes.parse(" 5M "));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "1.5G", "-1M", "1X", "1 G", "G", "1GB", "0x10", "1KK"})
    void badInputNamesTheText(String text) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse(text));
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("K, M, G or T"), e.getMessage());
    }

    @Test
    void tooLargeNamesTheText() {
        for (String text : new String[] {"8388608T", "99999999999999999999"}) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse(text));
            assertTrue(e.getMessage().contains("'" + text + "' is too large"), e.getMessage());
        }
        assertEquals(8388607L << 40, ByteSizes.parse("8388607T"));
    }

    @Test
    void formatsWithTheLargestExactUnit() {
        assertEquals("0", ByteSizes.format(0));
        assertEquals("1536", ByteSizes.format(1536));
        assertEquals("1500K", ByteSizes.format(1_536_000));
        assertEquals("3M", ByteSizes.format(3L << 20));
        assertEquals("1G", ByteSizes.format(1L << 30));
        assertEquals("1024T", ByteSizes.format(1L << 50));
    }

    @Property(tries = 500)
    void formatThenParseIsIdentity(
            @ForAll @LongRange(min = 0, max = 1L << 40) long number,
            @ForAll @IntRange(min = 0, max = 2) int shiftUnits) {
        long sizeBytes = number << (10 * shiftUnits);
        assertEquals(sizeBytes, ByteSizes.parse(ByteSizes.format(sizeBytes)));
    }
}
