package io.keelfs.alloc;

import static io.keelfs.alloc.ManagedTestSupport.bucketsOfType;
import static io.keelfs.alloc.ManagedTestSupport.checkNodeBucketsAgree;
import static io.keelfs.alloc.ManagedTestSupport.countKeys;
import static io.keelfs.alloc.ManagedTestSupport.countsByType;
import static io.keelfs.alloc.ManagedTestSupport.insert;
import static io.keelfs.alloc.ManagedTestSupport.mkfs;
import static io.keelfs.alloc.ManagedTestSupport.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.engine.EngineHooks;
import io.keelfs.format.Bkey;
import io.keelfs.format.KeyType;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.Geometry;
import java.util.Map;
import java.util.SortedSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Managed mode end to end on small images: formatting writes a record for every bucket,
 * nodes grow into newly claimed BTREE buckets, records and reachable nodes agree across
 * reopen, and emptied node buckets go back to the allocator. Not covered here: races
 * (ManagedEngineRaceTest), crashes (ManagedEngineCrashTest), running out of space
 * (ManagedEngineNoSpaceTest).
 */
class ManagedEngineTest {

    @Test
    void formatWritesARecordForEveryBucket() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(32L << 20, 4096, "managed");
        AllocFormat.format(dev, mkfs());
        try (ManagedEngine me = ManagedEngine.open(dev, options())) {
            Geometry g = me.engine().superblock().geometry();
            Map<DataType, Long> counts = countsByType(me.engine());
            assertEquals(2L, counts.get(DataType.SUPERBLOCK));
            assertEquals((long) g.journalBucketCount(), counts.get(DataType.JOURNAL));
            long btree = counts.getOrDefault(DataType.BTREE, 0L);
            assertTrue(btree >= 1, "btree buckets " + counts);
            assertEquals(g.bucketCount(), counts.values().stream().mapToLong(x -> x).sum());
            assertEquals(counts.get(DataType.FREE),
                    (long) AllocTestSupport.freespaceBuckets(me.engine()).size());
            checkNodeBucketsAgree(me.engine(), dev);
        }
    }

    @Test
    void treeGrowsIntoNewBtreeBucketsAndAgreesAfterReopen() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(32L << 20, 4096, "managed");
        AllocFormat.format(dev, mkfs());
        SortedSet<Long> before;
        long keys = 6000;
        try (ManagedEngine me = ManagedEngine.open(dev, options())) {
            before = bucketsOfType(me.engine(), DataType.BTREE);
            for (long k = 0; k < keys; k += 1000) {
                insert(me.engine(), k, k + 1000, 100);
                me.engine().checkpoint();
            }
            SortedSet<Long> after = bucketsOfType(me.engine(), DataType.BTREE);
            assertTrue(after.size() > before.size() + 4, before + " -> " + after);
            assertTrue(me.engine().stats().nodeBucketsClaimed() > 0);
            checkNodeBucketsAgree(me.engine(), dev);
        }
        try (ManagedEngine me = ManagedEngine.open(dev, options())) {
            assertEquals(keys, countKeys(me.engine(), BtreeId.TEST0));
            checkNodeBucketsAgree(me.engine(), dev);
        }
    }

    @Test
    void emptiedNodeBucketsAreReturned() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(32L << 20, 4096, "managed");
        AllocFormat.format(dev, mkfs());
        try (ManagedEngine me = ManagedEngine.open(dev, options())) {
            insert(me.engine(), 0, 8000, 100);
            me.engine().checkpoint();
            int grown = bucketsOfType(me.engine(), DataType.BTREE).size();
            for (long start = 0; start < 8000; start += 500) {
                long s = start;
                me.engine().update(txn -> {
                    for (long k = s; k < s + 500; k++) {
                        txn.delete(BtreeId.TEST0, Bpos.of(1, k));
                    }
                    return null;
                }, Durability.NO_FLUSH);
            }
            // The first checkpoint writes the shrunken tree and frees the old slots; they are
            // released once its roots are durable, and the next checkpoint returns the buckets.
            me.engine().checkpoint();
            me.engine().checkpoint();
            int shrunk = bucketsOfType(me.engine(), DataType.BTREE).size();
            assertTrue(shrunk < grown - 8, grown + " -> " + shrunk);
            assertTrue(me.engine().stats().nodeBucketsReturned() >= grown - shrunk);
            assertTrue(me.engine().managedNodeStore().emptyBucketCount() <= 2);
            assertTrue(!bucketsOfType(me.engine(), DataType.NEED_DISCARD).isEmpty()
                    || me.allocator().count(AllocCounter.PROMOTED) > 0);
            checkNodeBucketsAgree(me.engine(), dev);
        }
    }

    /**
     * Overwrites of existing keys in a cached btree stay in the key cache, so the estimate
     * before the lock misses the leaves they dirty when flushed: the recheck under the lock
     * finds too few slots, releases the lock, tops up with the exact count and retries.
     */
    @Test
    void keyCacheFlushBeyondTheEstimateRetriesTheReserve() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(32L << 20, 4096, "managed");
        AllocFormat.format(dev, mkfs());
        int keys = 3000;
        try (ManagedEngine me = ManagedEngine.open(dev, options())) {
            Engine engine = me.engine();
            putTest1(engine, keys, 1);
            engine.checkpoint();
            engine.checkpoint();
            putTest1(engine, keys, 2);
            engine.checkpoint();
            assertTrue(engine.stats().nodeReserveRetries() > 0, engine.stats().toString());
            checkNodeBucketsAgree(engine, dev);
        }
        try (ManagedEngine me = ManagedEngine.open(dev, options())) {
            assertEquals((long) keys, countKeys(me.engine(), BtreeId.TEST1));
            long bad = me.engine().read(txn -> {
                long n = 0;
                for (long k = 0; k < keys; k++) {
                    n += txn.get(BtreeId.TEST1, Bpos.of(1, k)).value()[0] == 2 ? 0 : 1;
                }
                return n;
            });
            assertEquals(0, bad);
        }
    }

    private static void putTest1(Engine engine, int keys, int value) throws Exception {
        for (int start = 0; start < keys; start += 100) {
            int s = start;
            engine.update(txn -> {
                for (long k = s; k < s + 100; k++) {
                    byte[] v = new byte[100];
                    v[0] = (byte) value;
                    txn.put(BtreeId.TEST1, new Bkey(Bpos.of(1, k), KeyType.BLOB, v));
                }
                return null;
            }, Durability.NO_FLUSH);
        }
    }

    /**
     * The race the recheck under the lock exists for, forced with a hook: between a
     * checkpoint's top-up and its lock, another update dirties far more nodes than the margin.
     * The checkpoint must notice, release the lock, top up again and succeed.
     */
    @Test
    void updatesBetweenTopUpAndLockAreCaughtByTheRecheck() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(32L << 20, 4096, "managed");
        AllocFormat.format(dev, mkfs());
        AtomicReference<Engine> engineRef = new AtomicReference<>();
        AtomicBoolean fired = new AtomicBoolean();
        EngineHooks hooks = new EngineHooks() {
            @Override
            public void afterNodeTopUp() {
                Engine engine = engineRef.get();
                if (engine != null && fired.compareAndSet(false, true)) {
                    try {
                        insert(engine, 100_000, 104_000, 100);
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }
            }
        };
        try (ManagedEngine me = ManagedEngine.open(dev, options().withHooks(hooks))) {
            Engine engine = me.engine();
            insert(engine, 0, 100, 100);
            engineRef.set(engine);
            engine.checkpoint();
            assertTrue(fired.get());
            assertTrue(engine.stats().nodeReserveRetries() > 0, engine.stats().toString());
            assertTrue(!engine.managedNodeStore().ownedBuckets().isEmpty());
            checkNodeBucketsAgree(engine, dev);
        }
        try (ManagedEngine me = ManagedEngine.open(dev, options())) {
            assertEquals(4100L, countKeys(me.engine(), BtreeId.TEST0));
        }
    }
}
