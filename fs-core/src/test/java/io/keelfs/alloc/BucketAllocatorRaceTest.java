package io.keelfs.alloc;

import static io.keelfs.alloc.AllocTestSupport.allocator;
import static io.keelfs.alloc.AllocTestSupport.free;
import static io.keelfs.alloc.AllocTestSupport.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Regression tests of the bcachefs early-allocator race (09676639c, generic/113), forced with
 * hooks and latches: thread 1 picks bucket K and is parked before revalidation; thread 2
 * allocates K, claims it (committed) and releases it, so K is no longer open when thread 1
 * resumes. Thread 1 must not receive K. Covered: the claimed case (record no longer FREE) and
 * the claimed-then-freed case (FREE again, generation and changeSeq moved on). Not covered:
 * the early allocator (there is none yet).
 */
class BucketAllocatorRaceTest {
    /** Parks the first thread that picks a candidate, once, until released. */
    private static final class ParkFirstPick implements AllocHooks {
        final CountDownLatch picked = new CountDownLatch(1);
        final CountDownLatch resume = new CountDownLatch(1);
        final AtomicLong pickedBucket = new AtomicLong(-1);
        volatile Thread parked;

        @Override
        public void afterCandidatePicked(long bucket) {
            if (parked != null || !Thread.currentThread().getName().startsWith("thread-1")) {
                return;
            }
            parked = Thread.currentThread();
            pickedBucket.set(bucket);
            picked.countDown();
            try {
                if (!resume.await(30, TimeUnit.SECONDS)) {
                    throw new AssertionError("thread 1 was never resumed");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void bucketAllocatedClaimedAndReleasedMeanwhileIsNotHandedOutAgain() throws Exception {
        OpenBucket got = race(false);
        assertTrue(got != null);
    }

    @Test
    void bucketFreedAgainMeanwhileIsNotHandedOutOnTheStalePick() throws Exception {
        OpenBucket got = race(true);
        assertTrue(got != null);
    }

    /** Runs the interleaving; returns what thread 1 received. */
    private static OpenBucket race(boolean freeAgain) throws Exception {
        ParkFirstPick hooks = new ParkFirstPick();
        ExecutorService pool = Executors.newSingleThreadExecutor(r -> new Thread(r, "thread-1"));
        try (Engine engine = AllocTestSupport.formatAndOpen(AllocTestSupport.device())) {
            BucketAllocator alloc = allocator(engine, 8, hooks);
            Future<OpenBucket> thread1 = pool.submit(() -> alloc.allocate(DataType.USER));
            assertTrue(hooks.picked.await(30, TimeUnit.SECONDS), "thread 1 never picked");
            long k = hooks.pickedBucket.get();

            // Thread 2: allocates K, "writes", commits its claim, releases.
            OpenBucket mine = alloc.allocate(DataType.USER);
            assertEquals(k, mine.bucket(), "thread 2 must race for the same bucket");
            engine.update(txn -> {
                alloc.claim(txn, mine, 4096, DataType.USER);
                return null;
            }, Durability.NO_FLUSH);
            alloc.release(mine);
            if (freeAgain) {
                free(engine, alloc, k, Durability.FLUSH);
                assertEquals(1, alloc.promoteDurable());
                AllocRecord r = record(engine, k);
                assertEquals(DataType.FREE, r.dataType());
                assertEquals(1, r.generation());
                assertEquals(r.genbits(), 0, "same genbits: only changeSeq tells them apart");
            }
            assertEquals(0, alloc.openCount(), "K is not open: the open set alone cannot help");

            hooks.resume.countDown();
            OpenBucket got = thread1.get(30, TimeUnit.SECONDS);
            assertNotEquals(k, got.bucket(), "thread 1 received the bucket thread 2 used");
            AllocCounter expected =
                    freeAgain ? AllocCounter.SKIP_CHANGED : AllocCounter.SKIP_NOT_FREE;
            assertEquals(1, alloc.count(expected), alloc.countersText());
            if (!freeAgain) {
                assertEquals(DataType.USER, record(engine, k).dataType());
            }
            return got;
        } finally {
            hooks.resume.countDown();
            pool.shutdownNow();
        }
    }
}
