package io.keelfs.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GeometryTest {
    @Test
    void defaultsScaleTheJournalWithTheDevice() {
        Geometry small = Geometry.forDevice(64L << 20, 4096, 1 << 20, 256 << 10);
        assertEquals(64, small.bucketCount());
        assertEquals(Geometry.JOURNAL_BUCKETS_MIN, small.journalBucketCount());
        Geometry large = Geometry.forDevice(64L << 30, 4096, 1 << 20, 256 << 10);
        assertEquals(Geometry.JOURNAL_BUCKETS_MAX, large.journalBucketCount());
        assertEquals(large.firstNodeBucket(), 1 + large.journalBucketCount());
        long[] sb = large.superblockOffsetsBytes();
        assertEquals(4096, sb[0]);
        assertEquals((large.bucketCount() - 1) << 20, sb[1]);
    }

    @Test
    void tooSmallDeviceNamesTheMinimum() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Geometry.forDevice(10L << 20, 4096, 1 << 20, 256 << 10));
        long minimum = Geometry.minimumDeviceBytes(1 << 20);
        assertTrue(e.getMessage().contains("minimum is " + minimum), e.getMessage());
    }

    @Test
    void nodeLargerThanBucketIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Geometry.forDevice(1L << 30, 4096, 64 << 10, 256 << 10));
        assertTrue(e.getMessage().contains("smaller than the node size"), e.getMessage());
    }
}
