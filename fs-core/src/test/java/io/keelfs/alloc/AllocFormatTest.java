package io.keelfs.alloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.FileBlockDevice;
import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.engine.Mkfs;
import io.keelfs.format.Geometry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Formatting for managed mode: the early allocator's node buckets, a record for every bucket,
 * and the time large images take. 2^16 buckets always; 2^20 buckets (a 1 TiB sparse file of
 * 1 MiB buckets) with {@code -Dkeelfs.long=true}.
 */
class AllocFormatTest {
    /** 2^16 buckets format in well under this on a loaded CI machine. */
    private static final long FORMAT_64K_BUCKETS_SECONDS_MAX = 20;
    /** The brief: 2^20 buckets in seconds. */
    private static final long FORMAT_1M_BUCKETS_SECONDS_MAX = 60;

    @Test
    void initialNodeBucketsScaleWithTheDevice() {
        Geometry small = Mkfs.geometry(32L << 20, ManagedTestSupport.mkfs());
        Geometry large = Mkfs.geometry(1L << 40, Mkfs.Options.defaults());
        long smallCount = EarlyNodeBuckets.initialBucketCount(small);
        long largeCount = EarlyNodeBuckets.initialBucketCount(large);
        assertTrue(smallCount >= 1 && smallCount <= small.nodeBucketCount() / 2,
                "small " + smallCount);
        // 2^20 buckets * 320 B of nodes per bucket / 1 MiB buckets: about 320.
        assertTrue(largeCount > 300 && largeCount < 400, "large " + largeCount);
    }

    @Test
    void formatsSixtyFourThousandBucketsQuickly(@TempDir Path dir) throws Exception {
        formatAndCheck(dir.resolve("img"), 1L << 16, 64 << 10, 16 << 10,
                FORMAT_64K_BUCKETS_SECONDS_MAX);
    }

    @Test
    void formatsAMillionBuckets(@TempDir Path dir) throws Exception {
        if (!Boolean.getBoolean("keelfs.long")) {
            return;
        }
        formatAndCheck(dir.resolve("img"), 1L << 20, 1 << 20, 256 << 10,
                FORMAT_1M_BUCKETS_SECONDS_MAX);
    }

    @Test
    void everyBucketOfAFormattedImageHasOneRecord() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(16L << 20, 4096, "fmt");
        AllocFormat.format(dev, ManagedTestSupport.mkfs());
        try (Engine engine = Engine.open(dev, ManagedTestSupport.options().withReadOnly(true))) {
            Geometry g = engine.superblock().geometry();
            Map<DataType, Long> counts = ManagedTestSupport.countsByType(engine);
            assertEquals(g.bucketCount(), counts.values().stream().mapToLong(x -> x).sum());
            // The initial buckets, plus any the formatting checkpoints' top-ups claimed.
            assertTrue(counts.get(DataType.BTREE) >= EarlyNodeBuckets.initialBucketCount(g),
                    counts.toString());
            assertEquals(g.bucketCount() - 2 - g.journalBucketCount()
                    - counts.get(DataType.BTREE), counts.get(DataType.FREE));
        }
    }

    private static void formatAndCheck(Path file, long buckets, int bucketBytes, int nodeBytes,
            long secondsMax) throws Exception {
        long start = System.nanoTime();
        try (FileBlockDevice dev = FileBlockDevice.create(file, buckets * bucketBytes, 4096)) {
            AllocFormat.format(dev, new Mkfs.Options(4096, bucketBytes, nodeBytes, "big"));
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            System.out.printf("AllocFormatTest: %d buckets formatted in %d ms%n", buckets,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            assertTrue(seconds <= secondsMax, buckets + " buckets took " + seconds + " s");
            try (ManagedEngine me = ManagedEngine.open(dev, ManagedTestSupport.options())) {
                Map<DataType, Long> counts = ManagedTestSupport.countsByType(me.engine());
                assertEquals(buckets, counts.values().stream().mapToLong(x -> x).sum());
                ManagedTestSupport.checkNodeBucketsAgree(me.engine(), dev);
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * The early allocator beyond its initial buckets: starting from one, formatting must claim
     * more (from the end of the device down), and each becomes a BTREE record.
     */
    @Test
    void earlyAllocatorClaimsMoreBucketsWhenFormattingNeedsThem() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(16L << 20, 4096, "early");
        AllocFormat.format(dev, ManagedTestSupport.mkfs(), Mkfs.Progress.NONE, 1);
        try (ManagedEngine me = ManagedEngine.open(dev, ManagedTestSupport.options())) {
            Geometry g = me.engine().superblock().geometry();
            var btree = ManagedTestSupport.bucketsOfType(me.engine(), DataType.BTREE);
            assertTrue(btree.contains(g.endNodeBucket() - 1), btree.toString());
            assertEquals(g.bucketCount(), ManagedTestSupport.countsByType(me.engine()).values()
                    .stream().mapToLong(x -> x).sum());
            ManagedTestSupport.checkNodeBucketsAgree(me.engine(), dev);
        }
    }

    /**
     * The early allocator's rule on buckets whose records are written: only a FREE one, and
     * taking it rewrites its record BTREE (and drops its FREESPACE key) in a transaction.
     */
    @Test
    void earlyAllocatorTakesOnlyFreeBucketsAmongWrittenRecords() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(4L << 20, 4096, "early");
        Mkfs.format(dev, ManagedTestSupport.mkfs());
        try (Engine engine = Engine.open(dev, ManagedTestSupport.options())) {
            Geometry g = engine.superblock().geometry();
            AllocInit.initialise(engine, g, 0, g.bucketCount(), Durability.NO_FLUSH);
            long top = g.endNodeBucket() - 1;
            engine.update(txn -> {
                AllocUpdates.set(txn, top, AllocUpdates.get(txn, top)
                        .withData(DataType.USER, 4096, 0));
                return null;
            }, Durability.NO_FLUSH);
            EarlyNodeBuckets early = new EarlyNodeBuckets(g, g.bucketCount(), 1);
            long claimed = early.claimBucket(engine);
            assertEquals(top - 1, claimed, "skips the USER bucket at the top");
            assertEquals(DataType.BTREE, AllocTestSupport.record(engine, claimed).dataType());
            assertEquals(DataType.USER, AllocTestSupport.record(engine, top).dataType());
            assertTrue(!AllocTestSupport.freespaceBuckets(engine).contains(claimed));
            assertEquals(DataType.BTREE, early.typeOf(claimed));
        }
    }
}
