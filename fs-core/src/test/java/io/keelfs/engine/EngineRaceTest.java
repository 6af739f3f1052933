package io.keelfs.engine;

import static io.keelfs.engine.EngineTestSupport.blob;
import static io.keelfs.engine.EngineTestSupport.smallMkfs;
import static io.keelfs.engine.EngineTestSupport.testOptions;
import static io.keelfs.engine.EngineTestSupport.valueOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Interleavings forced with {@link EngineHooks}: a committer parked between its journal append
 * and applying its keys. Readers and checkpoints that arrive then must wait for it and must
 * see all of its keys or (had they gone first) none — never half a transaction.
 */
class EngineRaceTest {
    private static final long WAIT_SECONDS = 30;

    @Test
    void readerAndCheckpointNeverSeeHalfATransaction() throws Exception {
        CountDownLatch parked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        EngineHooks hooks = new EngineHooks() {
            @Override
            public void afterJournalAppend(long seq) {
                if (parked.getCount() > 0) {
                    parked.countDown();
                    await(release);
                }
            }
        };
        MemoryBlockDevice device = new MemoryBlockDevice(16L << 20, 4096, "race");
        Mkfs.format(device, smallMkfs());
        try (Engine engine = Engine.open(device, testOptions().withHooks(hooks))) {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> call(() ->
                    engine.update(txn -> {
                        txn.put(BtreeId.TEST0, blob(1, 1, 42));
                        txn.put(BtreeId.INODES, blob(1, 2, 42));
                        return null;
                    }, Durability.FLUSH)));
            assertEquals(true, parked.await(WAIT_SECONDS, TimeUnit.SECONDS), "writer never parked");

            CompletableFuture<long[]> reader = new CompletableFuture<>();
            Thread readerThread = new Thread(() -> call(() -> reader.complete(engine.read(txn -> new long[] {
                    valueOf(txn.get(BtreeId.TEST0, Bpos.of(1, 1))),
                    valueOf(txn.get(BtreeId.INODES, Bpos.of(1, 2)))}))));
            readerThread.start();
            CompletableFuture<Void> checkpoint = CompletableFuture.runAsync(() -> call(() -> {
                engine.checkpoint();
                return null;
            }));
            awaitBlocked(readerThread);
            assertFalse(reader.isDone(), "a reader ran while a commit was half applied");
            assertFalse(checkpoint.isDone(), "a checkpoint ran while a commit was half applied");

            release.countDown();
            writer.get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals(42, reader.get(WAIT_SECONDS, TimeUnit.SECONDS)[0]);
            assertEquals(42, reader.get()[1]);
            checkpoint.get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
        // What the checkpoint wrote holds the whole transaction.
        try (Engine engine = Engine.open(device, testOptions())) {
            assertEquals(42, valueOf(engine.read(t -> t.get(BtreeId.INODES, Bpos.of(1, 2)))));
        }
    }

    /**
     * A checkpoint's node writes run without the engine lock: reads and updates made between
     * its snapshot and its writes (the hook) must work, with a node cache so small that the
     * nodes made clean but not yet written are evicted (they must come from memory, never from
     * their unwritten slots), and everything must survive the checkpoint and a reopen.
     */
    @Test
    void readsAndUpdatesDuringCheckpointWrites() throws Exception {
        int keys = 4000;
        java.util.concurrent.atomic.AtomicReference<Engine> ref =
                new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicInteger during =
                new java.util.concurrent.atomic.AtomicInteger();
        EngineHooks hooks = new EngineHooks() {
            @Override
            public void beforeCheckpointWrites() {
                Engine engine = ref.get();
                if (engine == null || during.get() > 0) {
                    return;
                }
                during.incrementAndGet();
                call(() -> {
                    for (int i = 0; i < keys; i++) {
                        int k = i;
                        long v = valueOf(engine.read(t -> t.get(BtreeId.TEST0, Bpos.of(1, k))));
                        assertEquals(i, v, "key " + i + " read during checkpoint writes");
                    }
                    for (int i = 0; i < keys; i += 7) {
                        int k = i;
                        engine.update(t -> {
                            t.put(BtreeId.TEST0, blob(1, k, k + 1_000_000));
                            t.put(BtreeId.TEST0, blob(2, k, k));
                            return null;
                        }, Durability.NO_FLUSH);
                    }
                    return null;
                });
            }
        };
        MemoryBlockDevice device = new MemoryBlockDevice(64L << 20, 4096, "race");
        Mkfs.format(device, smallMkfs());
        EngineOptions options = testOptions().withHooks(hooks).withNodeCacheBytesMax(16 << 10);
        try (Engine engine = Engine.open(device, options)) {
            for (int i = 0; i < keys; i += 100) {
                int from = i;
                engine.update(t -> {
                    for (int k = from; k < from + 100; k++) {
                        t.put(BtreeId.TEST0, blob(1, k, k));
                    }
                    return null;
                }, Durability.NO_FLUSH);
            }
            ref.set(engine);
            engine.checkpoint();
            assertEquals(1, during.get(), "the hook ran");
            checkDuringKeys(engine, keys);
        }
        try (Engine engine = Engine.open(device, testOptions())) {
            checkDuringKeys(engine, keys);
        }
    }

    private static void checkDuringKeys(Engine engine, int keys) throws Exception {
        for (int i = 0; i < keys; i++) {
            int k = i;
            long v = valueOf(engine.read(t -> t.get(BtreeId.TEST0, Bpos.of(1, k))));
            assertEquals(i % 7 == 0 ? i + 1_000_000 : i, v, "key 1:" + i);
            long other = valueOf(engine.read(t -> t.get(BtreeId.TEST0, Bpos.of(2, k))));
            assertEquals(i % 7 == 0 ? i : -1, other, "key 2:" + i);
        }
    }

    /** Waits (bounded, no sleep) until the thread is parked on a lock or has finished. */
    private static void awaitBlocked(Thread thread) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (thread.getState() != Thread.State.WAITING
                && thread.getState() != Thread.State.TERMINATED) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("reader thread neither blocked nor finished: "
                        + thread.getState());
            }
            Thread.onSpinWait();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("hook never released");
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @FunctionalInterface
    private interface Action {
        Object run() throws Exception;
    }

    private static void call(Action action) {
        try {
            action.run();
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
