package io.keelfs.alloc;

import static io.keelfs.alloc.AllocTestSupport.FIRST;
import static io.keelfs.alloc.AllocTestSupport.allocator;
import static io.keelfs.alloc.AllocTestSupport.flushJournal;
import static io.keelfs.alloc.AllocTestSupport.freespaceBuckets;
import static io.keelfs.alloc.AllocTestSupport.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.error.NoSpaceException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Many writers at once: 8 threads allocate, claim, release and free buckets of a small range
 * (so they collide and hit ENOSPC) for a fixed number of iterations. The test tracks which
 * writer holds each bucket from allocation until its free commits: no bucket may ever be
 * handed to a second writer meanwhile. Then a full recount: every alloc record agrees with
 * the model (type, bytes, generation = frees mod 256) and FREESPACE holds exactly the FREE
 * buckets. One seed drives every thread's Random; it is printed. Not covered: crashes.
 */
class BucketAllocatorStressTest {
    private static final int THREADS = 8;
    private static final int ITERATIONS = 150;
    private static final int BUCKETS = 40;

    @Test
    void noBucketIsEverHandedToTwoWritersAndTheRecountMatches() throws Exception {
        long seed = System.nanoTime();
        System.out.println("BucketAllocatorStressTest seed " + seed);
        ConcurrentHashMap<Long, Long> holder = new ConcurrentHashMap<>(); // bucket -> bytes
        AtomicIntegerArray frees = new AtomicIntegerArray(BUCKETS);
        AtomicLong enospc = new AtomicLong();
        long started = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try (Engine engine = AllocTestSupport.formatAndOpen(AllocTestSupport.device())) {
            BucketAllocator alloc = allocator(engine, BUCKETS, AllocHooks.NONE);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                Random random = new Random(seed + t);
                futures.add(pool.submit(() -> {
                    writer(engine, alloc, random, holder, frees, enospc);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(120, TimeUnit.SECONDS);
            }
            flushJournal(engine);
            alloc.promoteDurable();
            recount(engine, holder, frees);
            assertEquals(java.util.List.of(), alloc.verifyCounts(), "per-type counts");
            System.out.printf("BucketAllocatorStressTest: %d allocations, %d ENOSPC, %.0f ms;"
                    + " %s%n", alloc.count(AllocCounter.ALLOCATED), enospc.get(),
                    (System.nanoTime() - started) / 1e6, alloc.countersText());
            assertEquals(0, alloc.openCount());
            assertEquals(0, alloc.emptiedCount());
            assertTrue(alloc.count(AllocCounter.ALLOCATED) > THREADS * ITERATIONS / 4);
        } finally {
            pool.shutdownNow();
        }
    }

    private static void writer(Engine engine, BucketAllocator alloc, Random random,
            ConcurrentHashMap<Long, Long> holder, AtomicIntegerArray frees, AtomicLong enospc)
            throws Exception {
        List<Long> mine = new ArrayList<>();
        for (int i = 0; i < ITERATIONS; i++) {
            if (!mine.isEmpty() && (random.nextInt(2) == 0 || mine.size() > 3)) {
                long bucket = mine.remove(random.nextInt(mine.size()));
                engine.update(txn -> {
                    alloc.free(txn, bucket);
                    // Before the free is visible to anyone: the model drops the holder.
                    txn.onCommit(seq -> holder.remove(bucket));
                    return null;
                }, random.nextInt(4) == 0 ? Durability.FLUSH : Durability.NO_FLUSH);
                frees.incrementAndGet((int) (bucket - FIRST));
                continue;
            }
            OpenBucket ob;
            try {
                ob = alloc.allocate(DataType.USER);
            } catch (NoSpaceException e) {
                enospc.incrementAndGet();
                flushJournal(engine);
                continue;
            }
            long bytes = 1 + random.nextInt(AllocTestSupport.BUCKET);
            Long previous = holder.putIfAbsent(ob.bucket(), bytes);
            if (previous != null) {
                throw new AssertionError("bucket " + ob.bucket() + " handed to a second writer"
                        + " while another holds it: " + alloc.countersText());
            }
            engine.update(txn -> {
                alloc.claim(txn, ob, bytes, DataType.USER);
                return null;
            }, random.nextInt(8) == 0 ? Durability.FLUSH : Durability.NO_FLUSH);
            alloc.release(ob);
            mine.add(ob.bucket());
        }
    }

    private static void recount(Engine engine, ConcurrentHashMap<Long, Long> holder,
            AtomicIntegerArray frees) throws Exception {
        TreeSet<Long> expectedFree = new TreeSet<>();
        for (long b = FIRST; b < FIRST + BUCKETS; b++) {
            AllocRecord r = record(engine, b);
            int gen = frees.get((int) (b - FIRST)) & AllocRecord.GENERATION_MAX;
            assertEquals(gen, r.generation(), "generation of bucket " + b);
            Long bytes = holder.get(b);
            if (bytes != null) {
                assertEquals(DataType.USER, r.dataType(), "bucket " + b);
                assertEquals((long) bytes, r.dirtyBytes(), "bucket " + b);
            } else {
                assertEquals(DataType.FREE, r.dataType(), "bucket " + b);
                assertEquals(0, r.dirtyBytes());
                assertTrue(r.journalSeqEmpty() <= engine.durableJournalSeq());
                expectedFree.add(b);
            }
        }
        assertEquals(expectedFree, freespaceBuckets(engine));
    }
}
