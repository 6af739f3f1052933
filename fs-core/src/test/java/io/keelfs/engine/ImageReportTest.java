package io.keelfs.engine;

import static io.keelfs.engine.EngineTestSupport.blob;
import static io.keelfs.engine.EngineTestSupport.formatAndOpen;
import static io.keelfs.engine.EngineTestSupport.smallMkfs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.error.JournalCorruptException;
import io.keelfs.format.BtreeId;
import io.keelfs.format.Geometry;
import io.keelfs.format.Superblock;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link ImageReport#describe} on images in memory: a fresh image, one with data, and one
 * failure per step (a damaged tree, a destroyed journal, a truncated image). Covers what the
 * report finds and {@link ImageReport#errors}; show-super's printing is covered in the cli.
 */
class ImageReportTest {
    private static final long SIZE = 32L << 20;
    /** A journal entry of the test's 64 KiB buckets holds about 1900 such keys. */
    private static final int KEYS_PER_COMMIT = 500;
    private final MemoryBlockDevice device = new MemoryBlockDevice(SIZE, 4096, "report-test");

    @Test
    void freshImageHasEmptyTreesAndOnlySuperblockAndJournalBuckets() throws Exception {
        Superblock sb = Mkfs.format(device, smallMkfs());
        ImageReport report = ImageReport.describe(device);
        assertEquals(sb, report.superblock().superblock());
        assertFalse(report.superblock().fellBack());
        ImageReport.JournalState.Read journal =
                assertInstanceOf(ImageReport.JournalState.Read.class, report.journal());
        assertEquals(1, journal.headSeq());
        assertEquals(1, journal.lastSeq());
        assertEquals(1, journal.entriesToReplay());
        for (BtreeId id : BtreeId.values()) {
            assertInstanceOf(ImageReport.TreeState.Empty.class, report.trees().get(id));
        }
        Geometry g = sb.geometry();
        ImageReport.BucketCounts buckets = report.buckets();
        assertEquals(2, buckets.superblock());
        assertEquals(g.journalBucketCount(), buckets.journal());
        assertEquals(0, buckets.btree());
        assertEquals(g.bucketCount() - 2 - g.journalBucketCount(), buckets.free());
        assertTrue(buckets.btreeComplete());
        assertEquals(List.of(), report.errors());
    }

    @Test
    void imageWithDataCountsNodesAndTheirBuckets() throws Exception {
        fill(3000, 5);
        ImageReport report = ImageReport.describe(device);
        assertEquals(List.of(), report.errors());
        ImageReport.TreeState.Walked test0 = assertInstanceOf(
                ImageReport.TreeState.Walked.class, report.trees().get(BtreeId.TEST0));
        assertTrue(test0.root().level() >= 1, "3000 keys in 8 KiB nodes need an interior root");
        assertTrue(test0.nodeCount() > 1, test0.toString());
        long nodes = 0;
        for (ImageReport.TreeState state : report.trees().values()) {
            // A checkpoint writes every tree, so none is without a root after a close.
            nodes += assertInstanceOf(ImageReport.TreeState.Walked.class, state).nodeCount();
        }
        ImageReport.BucketCounts buckets = report.buckets();
        int nodesPerBucket = EngineTestSupport.BUCKET / EngineTestSupport.NODE;
        long bucketsMin = (nodes + nodesPerBucket - 1) / nodesPerBucket;
        assertTrue(buckets.btree() >= bucketsMin, buckets.toString());
        assertTrue(buckets.btree() <= nodes, buckets.toString());
        String text = text(report);
        assertTrue(text.contains("test0:                root at offset "), text);
    }

    @Test
    void damagedTreeIsReportedAndTheOthersAreStillWalked() throws Exception {
        fill(3000, 5);
        ImageReport before = ImageReport.describe(device);
        ImageReport.TreeState.Walked test0 = (ImageReport.TreeState.Walked)
                before.trees().get(BtreeId.TEST0);
        flipByte(test0.root().offsetBytes() + 200);

        ImageReport report = ImageReport.describe(device);
        ImageReport.TreeState.Damaged damaged = assertInstanceOf(
                ImageReport.TreeState.Damaged.class, report.trees().get(BtreeId.TEST0));
        assertEquals(test0.root(), damaged.root());
        assertInstanceOf(ImageReport.TreeState.Walked.class, report.trees().get(BtreeId.TEST1));
        assertEquals(1, report.errors().size(), report.errors().toString());
        assertTrue(report.errors().get(0).startsWith("btree test0: "), report.errors().get(0));
        assertFalse(report.buckets().btreeComplete());
        String text = text(report);
        assertTrue(text.contains("DAMAGED"), text);
        assertTrue(text.contains("(at least: not every tree was walked)"), text);
    }

    @Test
    void destroyedJournalIsAnErrorAndTheTreesAreNotKnown() throws Exception {
        Superblock sb = Mkfs.format(device, smallMkfs());
        Geometry g = sb.geometry();
        device.write(g.bucketOffsetBytes(g.firstJournalBucket()),
                ByteBuffer.allocate((int) g.journalBytes()), false);

        ImageReport report = ImageReport.describe(device);
        ImageReport.JournalState.Unreadable journal =
                assertInstanceOf(ImageReport.JournalState.Unreadable.class, report.journal());
        assertInstanceOf(JournalCorruptException.class, journal.error());
        assertTrue(report.trees().isEmpty());
        assertEquals(1, report.errors().size(), report.errors().toString());
        assertTrue(report.errors().get(0).startsWith("journal: JournalCorruptException: "),
                report.errors().get(0));
    }

    @Test
    void truncatedImageIsADeviceErrorAndTheJournalIsSkipped() throws Exception {
        Mkfs.format(device, smallMkfs());
        MemoryBlockDevice truncated = new MemoryBlockDevice(SIZE / 2, 4096, "truncated");
        ByteBuffer half = ByteBuffer.allocate((int) (SIZE / 2));
        device.read(0, half);
        truncated.write(0, half.flip(), false);

        ImageReport report = ImageReport.describe(truncated);
        assertEquals(1, report.deviceErrors().size());
        String error = report.deviceErrors().get(0);
        assertTrue(error.contains("truncated"), error);
        assertInstanceOf(ImageReport.JournalState.Skipped.class, report.journal());
        assertEquals(report.deviceErrors(), report.errors());
    }

    /** Formats, puts {@code test0Keys} keys in TEST0 and some in TEST1, closes cleanly. */
    private void fill(int test0Keys, int test1Keys) throws Exception {
        try (Engine engine = formatAndOpen(device)) {
            for (int start = 0; start < test0Keys; start += KEYS_PER_COMMIT) {
                int from = start;
                engine.update(txn -> {
                    for (int i = from; i < Math.min(test0Keys, from + KEYS_PER_COMMIT); i++) {
                        txn.put(BtreeId.TEST0, blob(1, i, i));
                    }
                    return null;
                }, Durability.NO_FLUSH);
            }
            engine.update(txn -> {
                for (int i = 0; i < test1Keys; i++) {
                    txn.put(BtreeId.TEST1, blob(2, i, i));
                }
                return null;
            }, Durability.FLUSH);
        }
    }

    private static String text(ImageReport report) {
        StringBuilder text = new StringBuilder();
        report.appendTo(text);
        return text.toString();
    }

    private void flipByte(long offsetBytes) throws Exception {
        long block = offsetBytes - offsetBytes % 4096;
        ByteBuffer buf = ByteBuffer.allocate(4096);
        device.read(block, buf);
        int i = (int) (offsetBytes - block);
        buf.put(i, (byte) (buf.get(i) ^ 0xff));
        device.write(block, buf.clear(), false);
    }
}
