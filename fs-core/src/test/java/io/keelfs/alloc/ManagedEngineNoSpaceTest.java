package io.keelfs.alloc;

import static io.keelfs.alloc.ManagedTestSupport.checkNodeBucketsAgree;
import static io.keelfs.alloc.ManagedTestSupport.countKeys;
import static io.keelfs.alloc.ManagedTestSupport.mkfs;
import static io.keelfs.alloc.ManagedTestSupport.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.error.InconsistentException;
import io.keelfs.error.NoSpaceException;
import io.keelfs.format.BtreeId;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Managed mode at the edges: a device whose buckets all hold data gives NoSpaceException to
 * the tree that needs another node bucket, and nothing is lost or corrupted (freeing data lets
 * it go on; reopen holds every committed key); an image whose reachable nodes lie outside its
 * BTREE buckets refuses a writable open and still opens read-only; writable opens must
 * match the superblock's ALLOC_RECORDS feature.
 */
class ManagedEngineNoSpaceTest {
    /** Batches inserted before the test gives up waiting for ENOSPC (2 MiB of keys). */
    private static final int BATCHES_MAX = 400;

    @Test
    void fullDeviceGivesNoSpaceAndRecoversWhenDataIsFreed() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(4L << 20, 4096, "nospace");
        AllocFormat.format(dev, mkfs());
        long committed = 0;
        try (ManagedEngine me = ManagedEngine.open(dev, options())) {
            Engine engine = me.engine();
            List<Long> user = fillWithUserData(engine, me.allocator());
            NoSpaceException failure = null;
            for (int batch = 0; batch < BATCHES_MAX && failure == null; batch++) {
                try {
                    ManagedTestSupport.insert(engine, committed, committed + 50, 100);
                    committed += 50;
                    if (batch % 10 == 9) {
                        engine.checkpoint();
                    }
                } catch (NoSpaceException e) {
                    failure = e;
                }
            }
            assertTrue(failure != null, "no ENOSPC after " + committed + " keys");
            assertFalse(engine.isReadOnly(), engine.emergencyReason());
            // Partial batches: count what is there; every key up to committed must be.
            long present = countKeys(engine, BtreeId.TEST0);
            assertTrue(present >= committed, present + " < " + committed);
            committed = present;
            for (long bucket : user.subList(0, 8)) {
                AllocTestSupport.free(engine, me.allocator(), bucket, Durability.FLUSH);
            }
            engine.checkpoint();
            checkNodeBucketsAgree(engine, dev);
        }
        try (ManagedEngine me = ManagedEngine.open(dev, options())) {
            assertEquals(committed, countKeys(me.engine(), BtreeId.TEST0));
            checkNodeBucketsAgree(me.engine(), dev);
        }
    }

    /**
     * Watermarks on the shared allocator: file data (NORMAL) stops at the normal reserve,
     * copygc at its own, btree node claims take the rest; a checkpointing key workload then
     * runs on the reserve, and the allocator's per-type counts equal a recount of the records
     * after the mixed node and data workload (and after a reopen).
     */
    @Test
    void watermarksLeaveTheReserveToBtreeNodesAndCountsMatchARecount() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(4L << 20, 4096, "watermarks");
        AllocFormat.format(dev, mkfs());
        try (ManagedEngine me = ManagedEngine.open(dev, options())) {
            Engine engine = me.engine();
            BucketAllocator alloc = me.allocator();
            assertTrue(alloc.servesNodeBuckets());
            alloc.setReserves(4, 2);
            List<Long> user = fillWithUserData(engine, alloc);
            assertEquals(4, alloc.availableBuckets(), "NORMAL stops at its reserve");
            assertEquals(List.of(), alloc.verifyCounts());
            OpenBucket c1 = alloc.allocate(DataType.USER, Watermark.COPYGC);
            OpenBucket c2 = alloc.allocate(DataType.USER, Watermark.COPYGC);
            assertThrows(NoSpaceException.class,
                    () -> alloc.allocate(DataType.USER, Watermark.COPYGC));
            OpenBucket b = alloc.allocate(DataType.BTREE, Watermark.BTREE);
            assertEquals(1, alloc.availableBuckets());
            for (OpenBucket ob : List.of(c1, c2, b)) {
                alloc.release(ob);
            }
            assertEquals(4, alloc.availableBuckets());
            long btreeBefore = alloc.bucketCount(DataType.BTREE);
            for (int batch = 0; batch < 8; batch++) {
                ManagedTestSupport.insert(engine, batch * 50L, batch * 50L + 50, 100);
                engine.checkpoint();
            }
            assertEquals(List.of(), alloc.verifyCounts());
            for (long bucket : user.subList(0, 4)) {
                AllocTestSupport.free(engine, alloc, bucket, Durability.NO_FLUSH);
            }
            engine.checkpoint();
            assertEquals(List.of(), alloc.verifyCounts());
            assertEquals(alloc.rangeBuckets(), alloc.bucketCount(DataType.FREE)
                    + alloc.bucketCount(DataType.NEED_DISCARD) + alloc.bucketCount(DataType.USER)
                    + alloc.bucketCount(DataType.BTREE));
            System.out.printf("watermarks: btree buckets %d -> %d, %d available%n",
                    btreeBefore, alloc.bucketCount(DataType.BTREE), alloc.availableBuckets());
            checkNodeBucketsAgree(engine, dev);
        }
        try (ManagedEngine me = ManagedEngine.open(dev, options())) {
            assertEquals(List.of(), me.allocator().verifyCounts());
            assertEquals(400, countKeys(me.engine(), BtreeId.TEST0));
        }
    }

    /** Claims every FREE bucket as USER; returns them. */
    private static List<Long> fillWithUserData(Engine engine, BucketAllocator alloc)
            throws Exception {
        List<Long> user = new ArrayList<>();
        while (true) {
            try {
                user.add(AllocTestSupport.allocateAndClaim(engine, alloc, 4096).bucket());
            } catch (NoSpaceException e) {
                return user;
            }
        }
    }

    @Test
    void nodesOutsideBtreeBucketsRefuseAWritableOpen() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(4L << 20, 4096, "foreign");
        AllocFormat.format(dev, mkfs());
        long bucket;
        try (ManagedEngine me = ManagedEngine.open(dev, options())) {
            ManagedTestSupport.insert(me.engine(), 0, 2000, 100);
            me.engine().checkpoint();
            bucket = me.engine().managedNodeStore().ownedBuckets().get(0);
            // Relabel a bucket holding nodes as USER, as a bug or bad repair might.
            me.engine().update(txn -> {
                AllocRecord r = AllocUpdates.get(txn, bucket);
                AllocUpdates.set(txn, bucket, r.withData(DataType.USER, 4096, 0));
                return null;
            }, Durability.FLUSH);
            // The engine still believes it owns the bucket; stop it writing there again.
            me.engine().managedNodeStore().verify();
        } catch (InconsistentException e) {
            throw new AssertionError("close failed", e);
        }
        InconsistentException e = assertThrows(InconsistentException.class,
                () -> ManagedEngine.open(dev, options()));
        assertTrue(e.getMessage().contains("in bucket " + bucket), e.getMessage());
        assertTrue(e.getMessage().contains("btree "), e.getMessage());
        try (ManagedEngine ro = ManagedEngine.open(dev, options().withReadOnly(true))) {
            assertEquals(2000, countKeys(ro.engine(), BtreeId.TEST0));
        }
    }

    @Test
    void aBtreeRecordOnAJournalBucketRefusesAWritableOpen() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(4L << 20, 4096, "journal-btree");
        AllocFormat.format(dev, mkfs());
        try (ManagedEngine me = ManagedEngine.open(dev, options())) {
            me.engine().update(txn -> {
                AllocUpdates.set(txn, 1, AllocUpdates.get(txn, 1)
                        .withData(DataType.BTREE, 0, 0));
                return null;
            }, Durability.FLUSH);
        }
        InconsistentException e = assertThrows(InconsistentException.class,
                () -> ManagedEngine.open(dev, options()));
        assertTrue(e.getMessage().contains("bucket 1 as a btree bucket but it lies outside"),
                e.getMessage());
    }

    /** The superblock's ALLOC_RECORDS feature decides which writable opens are allowed. */
    @Test
    void writableOpensMustMatchTheImagesNodePlacement() throws Exception {
        MemoryBlockDevice managed = new MemoryBlockDevice(4L << 20, 4096, "managed");
        AllocFormat.format(managed, mkfs());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Engine.open(managed, options()));
        assertTrue(e.getMessage().contains("open it writable in managed mode"), e.getMessage());
        Engine.open(managed, options().withReadOnly(true)).close();
        MemoryBlockDevice plain = new MemoryBlockDevice(4L << 20, 4096, "plain");
        io.keelfs.engine.Mkfs.format(plain, mkfs());
        e = assertThrows(IllegalArgumentException.class, () -> ManagedEngine.open(plain,
                options()));
        assertTrue(e.getMessage().contains("has no alloc records"), e.getMessage());
    }
}
