package io.keelfs.alloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.error.InconsistentException;
import org.junit.jupiter.api.Test;

/** The alloc record codec: round trips, field ranges, and refusal of bad bytes. */
class AllocRecordTest {
    @Test
    void roundTripsEveryTypeAndExtremeValues() throws Exception {
        for (DataType t : DataType.values()) {
            AllocRecord r = new AllocRecord(255, t, AllocRecord.BYTES_MAX, 7, -1L, Long.MAX_VALUE);
            byte[] bytes = r.encode();
            assertEquals(AllocRecord.ENCODED_BYTES, bytes.length);
            assertEquals(r, AllocRecord.decode(3, bytes));
        }
    }

    @Test
    void emptiedWrapsTheGenerationAndBumpsChangeSeq() {
        AllocRecord r = new AllocRecord(255, DataType.USER, 100, 0, 9, 0);
        AllocRecord e = r.emptied(DataType.NEED_DISCARD, 0);
        assertEquals(0, e.generation());
        assertEquals(10, e.changeSeq());
        assertEquals(0, e.dirtyBytes());
        assertEquals(DataType.NEED_DISCARD, e.dataType());
        assertEquals(15, new AllocRecord(250, DataType.FREE, 0, 0, 0, 0).genbits());
        AllocRecord claimed = AllocRecord.free().withData(DataType.USER, 4096, 0);
        assertEquals(1, claimed.changeSeq());
        assertEquals(0, claimed.generation());
    }

    @Test
    void badBytesAreInconsistentNamingTheBucket() {
        byte[] good = AllocRecord.free().encode();
        byte[] shortValue = new byte[good.length - 1];
        InconsistentException e = assertThrows(InconsistentException.class,
                () -> AllocRecord.decode(42, shortValue));
        assertTrue(e.getMessage().contains("bucket 42"), e.getMessage());
        byte[] badVersion = good.clone();
        badVersion[0] = 7;
        assertThrows(InconsistentException.class, () -> AllocRecord.decode(1, badVersion));
        byte[] badType = good.clone();
        badType[2] = 6;
        e = assertThrows(InconsistentException.class, () -> AllocRecord.decode(1, badType));
        assertTrue(e.getMessage().contains("data type 6"), e.getMessage());
    }

    @Test
    void constructorRefusesOutOfRangeFields() {
        assertThrows(IllegalArgumentException.class,
                () -> new AllocRecord(256, DataType.FREE, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new AllocRecord(0, DataType.FREE, -1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new AllocRecord(0, DataType.FREE, 0, AllocRecord.BYTES_MAX + 1, 0, 0));
    }
}
