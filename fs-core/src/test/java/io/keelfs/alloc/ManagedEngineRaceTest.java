package io.keelfs.alloc;

import static io.keelfs.alloc.ManagedTestSupport.checkNodeBucketsAgree;
import static io.keelfs.alloc.ManagedTestSupport.countKeys;
import static io.keelfs.alloc.ManagedTestSupport.mkfs;
import static io.keelfs.alloc.ManagedTestSupport.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.format.BtreeId;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Nodes and data share the device: writer threads allocate USER buckets from the same
 * allocator and fill them with a pattern naming bucket and owner while another thread grows,
 * shrinks and checkpoints a tree, so node buckets are claimed and returned throughout. Checks:
 * no pattern is ever overwritten (a node written into a data bucket), every key reads back
 * (a node's checksum would catch data written over it), node and data buckets are disjoint,
 * and the records agree with the node store. Interleavings come from the threads themselves
 * and the background reclaimer (no hooks); the seed picks the writers' free/keep choices ({@code -Dkeelfs.seed=N}).
 */
class ManagedEngineRaceTest {
    private static final int WRITERS = 3;
    private static final int BUCKETS_PER_WRITER = 60;
    /** A writer keeps at most this many buckets, freeing the oldest beyond it. */
    private static final int KEPT_PER_WRITER_MAX = 20;
    private static final int INSERT_ROUNDS = 12;
    private static final int KEYS_PER_ROUND = 1500;
    private static final long TIMEOUT_SECONDS = 120;
    private static final long RECLAIM_INTERVAL_MS = 5;

    @Test
    void dataAndNodesNeverShareABucket() throws Exception {
        long seed = Long.getLong("keelfs.seed", System.nanoTime());
        MemoryBlockDevice dev = new MemoryBlockDevice(32L << 20, 4096, "race");
        AllocFormat.format(dev, mkfs());
        Map<Long, Long> patterns = new ConcurrentHashMap<>();
        long keys;
        // The background reclaimer checkpoints too: a third source of concurrent top-ups.
        try (ManagedEngine me = ManagedEngine.open(dev, options()
                .withCheckpointIntervalMs(RECLAIM_INTERVAL_MS))) {
            ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 1);
            CyclicBarrier start = new CyclicBarrier(WRITERS + 1);
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                Random random = new Random(seed + w);
                int writer = w;
                futures.add(pool.submit(() -> {
                    start.await();
                    writeData(me, dev, writer, random, patterns);
                    return null;
                }));
            }
            futures.add(pool.submit(() -> {
                start.await();
                growAndShrink(me.engine());
                return null;
            }));
            pool.shutdown();
            try {
                for (Future<?> f : futures) {
                    f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                throw new AssertionError("seed " + seed, e);
            }
            keys = countKeys(me.engine(), BtreeId.TEST0);
            checkPatterns(dev, patterns, seed);
            Set<Long> nodeBuckets = new HashSet<>(me.engine().managedNodeStore().ownedBuckets());
            nodeBuckets.retainAll(patterns.keySet());
            assertTrue(nodeBuckets.isEmpty(), "seed " + seed + ": node and data buckets "
                    + nodeBuckets);
            assertTrue(me.engine().stats().nodeBucketsClaimed() > 0);
            assertTrue(me.engine().stats().nodeBucketsReturned() > 0);
            checkNodeBucketsAgree(me.engine(), dev);
        }
        try (ManagedEngine me = ManagedEngine.open(dev, options())) {
            assertEquals(keys, countKeys(me.engine(), BtreeId.TEST0));
            checkPatterns(dev, patterns, seed);
            checkNodeBucketsAgree(me.engine(), dev);
        }
    }

    /** Allocates USER buckets, fills each with its pattern, frees old ones, checks its own. */
    private static void writeData(ManagedEngine me, MemoryBlockDevice dev, int writer,
            Random random, Map<Long, Long> patterns) throws Exception {
        Engine engine = me.engine();
        BucketAllocator alloc = me.allocator();
        List<Long> kept = new ArrayList<>();
        for (int i = 0; i < BUCKETS_PER_WRITER; i++) {
            OpenBucket ob = alloc.allocate(DataType.USER);
            long pattern = (ob.bucket() << 32) | ((long) writer << 24) | i;
            dev.write(ob.bucket() * ManagedTestSupport.BUCKET, fill(pattern), false);
            try {
                engine.update(txn -> {
                    alloc.claim(txn, ob, ManagedTestSupport.BUCKET, DataType.USER);
                    return null;
                }, Durability.NO_FLUSH);
            } finally {
                alloc.release(ob);
            }
            patterns.put(ob.bucket(), pattern);
            kept.add(ob.bucket());
            if (kept.size() > KEPT_PER_WRITER_MAX || random.nextInt(4) == 0) {
                long old = kept.remove(random.nextInt(kept.size()));
                check(dev, old, patterns.remove(old));
                AllocTestSupport.free(engine, alloc, old, Durability.NO_FLUSH);
            }
        }
    }

    /** Grows the tree, deletes most of it, checkpointing every round. */
    private static void growAndShrink(Engine engine) throws Exception {
        for (int round = 0; round < INSERT_ROUNDS; round++) {
            long base = (long) round * KEYS_PER_ROUND;
            ManagedTestSupport.insert(engine, base, base + KEYS_PER_ROUND, 100);
            engine.checkpoint();
            if (round % 3 == 2) {
                for (long k = 0; k < base; k += 200) {
                    long from = k;
                    engine.update(txn -> {
                        for (long j = from; j < from + 200 && j < base; j++) {
                            txn.delete(BtreeId.TEST0, io.keelfs.format.Bpos.of(1, j));
                        }
                        return null;
                    }, Durability.NO_FLUSH);
                }
                engine.checkpoint();
                engine.checkpoint();
            }
        }
    }

    private static ByteBuffer fill(long pattern) {
        ByteBuffer b = ByteBuffer.allocate(ManagedTestSupport.BUCKET);
        while (b.hasRemaining()) {
            b.putLong(pattern);
        }
        return b.flip();
    }

    private static void check(MemoryBlockDevice dev, long bucket, long pattern) {
        ByteBuffer b = ByteBuffer.allocate(ManagedTestSupport.BUCKET);
        dev.read(bucket * ManagedTestSupport.BUCKET, b);
        b.flip();
        for (int i = 0; b.hasRemaining(); i += 8) {
            long got = b.getLong();
            if (got != pattern) {
                throw new AssertionError(String.format("data bucket %d overwritten at byte %d:"
                        + " %x, expected %x", bucket, i, got, pattern));
            }
        }
    }

    private static void checkPatterns(MemoryBlockDevice dev, Map<Long, Long> patterns,
            long seed) {
        try {
            patterns.forEach((bucket, pattern) -> check(dev, bucket, pattern));
        } catch (AssertionError e) {
            throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
        }
    }
}
