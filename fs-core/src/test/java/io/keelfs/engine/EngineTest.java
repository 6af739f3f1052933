package io.keelfs.engine;

import static io.keelfs.engine.EngineTestSupport.blob;
import static io.keelfs.engine.EngineTestSupport.formatAndOpen;
import static io.keelfs.engine.EngineTestSupport.testOptions;
import static io.keelfs.engine.EngineTestSupport.valueOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.error.Errno;
import io.keelfs.error.InconsistentException;
import io.keelfs.error.ReadOnlyException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.txn.TransactionIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EngineTest {
    private final MemoryBlockDevice device = new MemoryBlockDevice(32L << 20, 4096, "engine-test");

    @Test
    void updatesSurviveCleanCloseAndReopen() throws Exception {
        try (Engine engine = formatAndOpen(device)) {
            engine.update(txn -> {
                for (int i = 0; i < 500; i++) {
                    txn.put(BtreeId.TEST0, blob(1, i, i * 10L));
                }
                return null;
            }, Durability.FLUSH);
        }
        try (Engine engine = Engine.open(device, testOptions())) {
            assertTrue(engine.superblock().isClean() == false, "open marks the superblock in use");
            long sum = engine.read(txn -> {
                long s = 0;
                TransactionIterator it = txn.iterator(BtreeId.TEST0, Bpos.MIN);
                for (Bkey k = it.next(); k != null; k = it.next()) {
                    s += valueOf(k);
                }
                return s;
            });
            assertEquals(10L * 499 * 500 / 2, sum);
            assertEquals(0, engine.stats().replayedKeys(), "a clean close leaves nothing to replay");
        }
    }

    @Test
    void flushedCommitsSurviveACrashThroughReplay() throws Exception {
        Engine engine = formatAndOpen(device);
        engine.update(txn -> {
            txn.put(BtreeId.TEST0, blob(2, 1, 111));
            txn.put(BtreeId.TEST1, blob(2, 2, 222));
            return null;
        }, Durability.FLUSH);
        // No close: the process dies. Reopen a copy of the device as it is.
        MemoryBlockDevice afterCrash = device.snapshot();
        engine.close();
        try (Engine reopened = Engine.open(afterCrash, testOptions())) {
            assertEquals(111, valueOf(reopened.read(t -> t.get(BtreeId.TEST0, Bpos.of(2, 1)))));
            assertEquals(222, valueOf(reopened.read(t -> t.get(BtreeId.TEST1, Bpos.of(2, 2)))));
            assertTrue(reopened.stats().replayedKeys() >= 2, reopened.stats().toString());
        }
    }

    @Test
    void bodyFailureCommitsNothing() throws Exception {
        try (Engine engine = formatAndOpen(device)) {
            assertThrows(IllegalStateException.class, () -> engine.update(txn -> {
                txn.put(BtreeId.TEST0, blob(3, 1, 1));
                throw new IllegalStateException("body gives up");
            }, Durability.NO_FLUSH));
            assertNull(engine.read(t -> t.get(BtreeId.TEST0, Bpos.of(3, 1))));
        }
    }

    /** Many threads doing read-modify-write on a few counters: no update is lost. */
    @Test
    void concurrentReadModifyWriteLosesNoUpdate() throws Exception {
        int threads = 8;
        int incrementsPerThread = 300;
        try (Engine engine = formatAndOpen(device)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < incrementsPerThread; i++) {
                        long counter = (thread + i) % 3;
                        engine.update(txn -> {
                            Bkey k = txn.get(BtreeId.TEST1, Bpos.of(9, counter));
                            txn.put(BtreeId.TEST1, blob(9, counter, valueOf(k) + 1));
                            return null;
                        }, i % 10 == 0 ? Durability.FLUSH : Durability.NO_FLUSH);
                        if (i % 100 == 50) {
                            engine.checkpoint();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            long total = engine.read(txn -> {
                long s = 0;
                for (long c = 0; c < 3; c++) {
                    s += valueOf(txn.get(BtreeId.TEST1, Bpos.of(9, c))) + 1;
                }
                return s;
            });
            assertEquals((long) threads * incrementsPerThread, total);
        }
    }

    /**
     * The coherency rule of the key cache, forced broken: a dirty cached inode whose btree key
     * was deleted behind the cache's back. The checkpoint must return the typed error, the
     * engine must go read-only (EROFS on writes, reads still served) and say to run fsck.
     */
    @Test
    void keyCacheCoherencyViolationGoesReadOnlyWithoutEscaping() throws Exception {
        try (Engine engine = formatAndOpen(device)) {
            Bpos inode = Bpos.of(4096, 0);
            engine.update(t -> { t.put(BtreeId.INODES, new Bkey(inode, KeyType.INODE, new byte[] {1}));
                return null; }, Durability.NO_FLUSH);
            engine.update(t -> { t.put(BtreeId.INODES, new Bkey(inode, KeyType.INODE, new byte[] {2}));
                return null; }, Durability.NO_FLUSH);
            engine.btreeForTest(BtreeId.INODES).put(Bkey.deleted(inode)); // corrupt under the cache

            InconsistentException e = assertThrows(InconsistentException.class, engine::checkpoint);
            assertTrue(e.getMessage().contains("INODES") && e.getMessage().contains("run keelfs fsck"),
                    e.getMessage());
            assertTrue(engine.isReadOnly());
            assertTrue(engine.emergencyReason().contains("coherency"), engine.emergencyReason());

            ReadOnlyException ro = assertThrows(ReadOnlyException.class, () -> engine.update(t -> {
                t.put(BtreeId.TEST0, blob(1, 1, 1));
                return null;
            }, Durability.NO_FLUSH));
            assertEquals(Errno.EROFS, ro.errno());
            assertTrue(ro.getMessage().contains("coherency"), ro.getMessage());
            // Reads keep working: the dirty cached value is still what readers see.
            assertEquals(2, engine.read(t -> t.get(BtreeId.INODES, inode)).value()[0]);
        }
        // The journal still holds both updates: a reopen replays them and is writable again.
        try (Engine engine = Engine.open(device, testOptions())) {
            assertFalse(engine.isReadOnly());
            assertEquals(2, engine.read(t -> t.get(BtreeId.INODES, Bpos.of(4096, 0))).value()[0]);
        }
    }
}
