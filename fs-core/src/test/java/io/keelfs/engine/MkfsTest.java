package io.keelfs.engine;

import static io.keelfs.engine.EngineTestSupport.testOptions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.format.Superblock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Mkfs}: option checks, the size check before anything is written, progress, and
 * formatting over an earlier filesystem. The layout itself is covered by the engine tests.
 */
class MkfsTest {
    private static final long SIZE = 8L << 20;

    @Test
    void optionsRejectBadSizesAndLabels() {
        Mkfs.Options ok = Mkfs.Options.defaults();
        assertThrows(IllegalArgumentException.class, () -> ok.withBucketSizeBytes(3000));
        assertThrows(IllegalArgumentException.class, () -> ok.withNodeSizeBytes(2 << 20));
        assertThrows(IllegalArgumentException.class, () -> ok.withBlockSizeBytes(256));
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> ok.withLabel("x".repeat(Superblock.LABEL_BYTES_MAX + 1)));
        assertTrue(tooLong.getMessage().contains("at most 32"), tooLong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ok.withLabel("a\0b"));
        assertEquals("é".repeat(16), ok.withLabel("é".repeat(16)).label());
    }

    @Test
    void tooSmallDeviceNamesTheMinimumAndWritesNothing() {
        MemoryBlockDevice device = new MemoryBlockDevice(1L << 20, 4096);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Mkfs.format(device, Mkfs.Options.defaults()));
        assertTrue(e.getMessage().contains("the minimum is " + (26L << 20) + " bytes"),
                e.getMessage());
        assertEquals(0, device.allocatedBytes());
    }

    @Test
    void progressCountsEveryJournalBucket() throws Exception {
        MemoryBlockDevice device = new MemoryBlockDevice(SIZE, 4096);
        List<Integer> done = new ArrayList<>();
        List<Integer> totals = new ArrayList<>();
        Superblock sb = Mkfs.format(device, EngineTestSupport.smallMkfs(), (d, total) -> {
            done.add(d);
            totals.add(total);
        });
        int buckets = sb.geometry().journalBucketCount();
        assertTrue(totals.stream().allMatch(t -> t == buckets), totals.toString());
        assertEquals(buckets, done.size());
        assertEquals(buckets, done.get(buckets - 1));
    }

    /**
     * An earlier filesystem with smaller buckets keeps its copy B where a reader looks for the
     * copy of a 16 KiB-bucket image, with a higher seq than the new superblock's 1: mkfs must
     * erase it, or the old superblock would be read instead of the new one.
     */
    @Test
    void formatOverAnEarlierFilesystemWithOtherBucketsLeavesNoOldSuperblock() throws Exception {
        MemoryBlockDevice device = new MemoryBlockDevice(SIZE, 4096);
        Mkfs.format(device, new Mkfs.Options(4096, 16 << 10, 4096, "old"));
        for (int i = 0; i < 2; i++) {
            Engine.open(device, testOptions()).close(); // each open and close bumps the seq
        }
        assertTrue(SuperblockIo.read(device).superblock().seq() > 1);

        Superblock fresh = Mkfs.format(device, new Mkfs.Options(4096, 64 << 10, 8192, "new"));
        SuperblockIo.ReadResult read = SuperblockIo.read(device);
        assertEquals(fresh, read.superblock());
        assertFalse(read.fellBack(), read.problems().toString());
        try (Engine engine = Engine.open(device, testOptions())) {
            assertEquals("new", engine.superblock().label());
        }
    }
}
