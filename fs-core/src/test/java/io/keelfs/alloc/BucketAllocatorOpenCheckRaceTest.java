package io.keelfs.alloc;

import static io.keelfs.alloc.AllocTestSupport.allocator;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.error.NoSpaceException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The double allocation BucketAllocatorStressTest found: walker 1 picked bucket K, then
 * re-read its record (FREE) while writer 2 had K open; writer 2 claimed and released K; the
 * walker's "not open" check, made after its read, passed and K was handed out on the stale
 * FREE record. Forced here with a one-bucket allocator: the walker is parked after picking K,
 * writer 2 opens K, the walker resumes and would be parked again after re-reading K's record
 * while writer 2 claims and releases it. The walker must not read K's record while K is open,
 * and must not receive K (with K taken, it gets ENOSPC).
 */
class BucketAllocatorOpenCheckRaceTest {
    private static final long WAIT_SECONDS = 30;

    @Test
    void bucketOpenByAnotherWriterIsNeitherReadNorHandedOutAgain() throws Exception {
        CountDownLatch picked = new CountDownLatch(1);
        CountDownLatch resumeAfterPick = new CountDownLatch(1);
        CountDownLatch readWhileOpen = new CountDownLatch(1);
        CountDownLatch resumeAfterRead = new CountDownLatch(1);
        CountDownLatch walkerReadOrDone = new CountDownLatch(1);
        boolean[] writerHoldsK = {false};
        AllocHooks hooks = new AllocHooks() {
            @Override
            public void afterCandidatePicked(long bucket) {
                if (isWalker() && picked.getCount() > 0) {
                    picked.countDown();
                    await(resumeAfterPick);
                }
            }

            @Override
            public void afterRecordReread(long bucket) {
                if (isWalker() && writerHoldsK[0]) {
                    readWhileOpen.countDown();
                    walkerReadOrDone.countDown();
                    await(resumeAfterRead);
                }
            }
        };
        ExecutorService pool = Executors.newSingleThreadExecutor(r -> new Thread(r, "walker-1"));
        try (Engine engine = AllocTestSupport.formatAndOpen(AllocTestSupport.device())) {
            BucketAllocator alloc = allocator(engine, 1, hooks);
            Future<OpenBucket> walker = pool.submit(() -> {
                try {
                    return alloc.allocate(DataType.USER);
                } finally {
                    walkerReadOrDone.countDown();
                }
            });
            assertTrue(picked.await(WAIT_SECONDS, TimeUnit.SECONDS), "walker never picked K");

            OpenBucket mine = alloc.allocate(DataType.USER); // writer 2 opens K
            writerHoldsK[0] = true;
            resumeAfterPick.countDown();
            // The walker now either skips K (fixed) or reads it and parks (the old order).
            assertTrue(walkerReadOrDone.await(WAIT_SECONDS, TimeUnit.SECONDS), "walker stuck");
            boolean walkerRead = readWhileOpen.getCount() == 0;
            engine.update(txn -> {
                alloc.claim(txn, mine, 4096, DataType.USER);
                return null;
            }, Durability.NO_FLUSH);
            alloc.release(mine);
            writerHoldsK[0] = false;
            resumeAfterRead.countDown();

            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> walker.get(WAIT_SECONDS, TimeUnit.SECONDS), "K handed out twice");
            assertTrue(e.getCause() instanceof NoSpaceException, e.getCause().toString());
            assertEquals(false, walkerRead, "the walker read K's record while K was open");
        } finally {
            resumeAfterPick.countDown();
            resumeAfterRead.countDown();
            pool.shutdownNow();
        }
    }

    private static boolean isWalker() {
        return Thread.currentThread().getName().equals("walker-1");
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
