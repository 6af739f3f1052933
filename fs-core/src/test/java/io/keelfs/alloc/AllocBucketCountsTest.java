package io.keelfs.alloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.ImageReport;
import io.keelfs.engine.Mkfs;
import io.keelfs.format.Geometry;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Alloc record counts as show-super prints them; an image without records shows none. */
class AllocBucketCountsTest {

    @Test
    void managedImageShowsBucketsByAllocRecord() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(16L << 20, 4096, "counts");
        AllocFormat.format(dev, ManagedTestSupport.mkfs());
        try (ManagedEngine me = ManagedEngine.open(dev, ManagedTestSupport.options())) {
            ManagedTestSupport.insert(me.engine(), 0, 3000, 100);
            AllocTestSupport.allocateAndClaim(me.engine(), me.allocator(), 4096);
        }
        Map<String, Long> counts = AllocBucketCounts.read(dev);
        Geometry g = Mkfs.geometry(dev.sizeBytes(), ManagedTestSupport.mkfs());
        assertEquals(2L, counts.get("superblock"));
        assertEquals((long) g.journalBucketCount(), counts.get("journal"));
        assertEquals(1L, counts.get("user"));
        assertEquals(0L, counts.get("cached"));
        assertEquals(g.bucketCount(), counts.values().stream().mapToLong(x -> x).sum());
        ImageReport report = ImageReport.describe(dev).withAllocRecordCounts(counts);
        StringBuilder text = new StringBuilder();
        report.appendTo(text);
        String out = text.toString();
        assertTrue(out.contains("buckets by alloc record\n"), out);
        assertTrue(out.contains(String.format("%-22s%d%n", "btree:", counts.get("btree"))), out);
        assertTrue(out.contains(String.format("%-22s%d%n", "user:", 1)), out);
        // The walk's count of buckets holding live nodes is at most the BTREE records.
        assertTrue(report.buckets().btree() <= counts.get("btree"), out);
    }

    @Test
    void imageWithoutAllocRecordsHasNoCounts() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(4L << 20, 4096, "plain");
        Mkfs.format(dev, ManagedTestSupport.mkfs());
        assertTrue(AllocBucketCounts.read(dev).isEmpty());
        StringBuilder text = new StringBuilder();
        ImageReport.describe(dev).appendTo(text);
        assertTrue(!text.toString().contains("buckets by alloc record"), text.toString());
    }
}
