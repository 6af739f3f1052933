package io.keelfs.engine;

import static io.keelfs.engine.EngineTestSupport.blob;
import static io.keelfs.engine.EngineTestSupport.testOptions;
import static io.keelfs.engine.EngineTestSupport.valueOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A journal far smaller than the work written through it (8 buckets of 16 KiB): commits must
 * reclaim (checkpoint) and proceed, never fail with ENOSPC and never lose or mangle a key —
 * first with reclaim driven only by committers, then with the background reclaimer and
 * several committer threads.
 */
class EngineJournalFullTest {
    private static final Mkfs.Options TINY_JOURNAL = new Mkfs.Options(4096, 16 << 10, 8 << 10, "");

    @Test
    void committersReclaimATinyJournalThemselves() throws Exception {
        MemoryBlockDevice device = new MemoryBlockDevice(8L << 20, 4096, "tiny-journal");
        Mkfs.format(device, TINY_JOURNAL);
        int commits = 4000;
        try (Engine engine = Engine.open(device, testOptions())) {
            for (int c = 0; c < commits; c++) {
                int id = c;
                engine.update(txn -> {
                    for (int k = 0; k < 5; k++) {
                        txn.put(BtreeId.TEST0, blob(1, (id * 5L + k) % 3000, id));
                    }
                    return null;
                }, c % 50 == 0 ? Durability.FLUSH : Durability.NO_FLUSH);
            }
            // ~165 journal bytes a commit: 4000 commits are ~660 KB through a 128 KiB journal
            // that reclaims at half full, so it must have gone round about ten times.
            assertTrue(engine.stats().checkpoints() >= 8, engine.stats().toString());
        }
        try (Engine engine = Engine.open(device, testOptions())) {
            for (int c = commits - 600; c < commits; c++) {
                int id = c;
                for (int k = 0; k < 5; k++) {
                    long pos = (id * 5L + k) % 3000;
                    assertEquals(id, valueOf(engine.read(t -> t.get(BtreeId.TEST0, Bpos.of(1, pos)))),
                            "key " + pos);
                }
            }
        }
    }

    @Test
    void backgroundReclaimKeepsManyCommittersGoing() throws Exception {
        MemoryBlockDevice device = new MemoryBlockDevice(8L << 20, 4096, "tiny-journal-mt");
        Mkfs.format(device, TINY_JOURNAL);
        int threads = 4;
        int commitsPerThread = 1500;
        EngineOptions options = testOptions().withCheckpointIntervalMs(1000);
        try (Engine engine = Engine.open(device, options)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long inode = 10 + t;
                futures.add(pool.submit(() -> {
                    for (int c = 0; c < commitsPerThread; c++) {
                        int id = c;
                        engine.update(txn -> {
                            txn.put(BtreeId.TEST1, blob(inode, id % 400, id));
                            txn.put(BtreeId.TEST0, blob(inode, id % 400, id));
                            return null;
                        }, id % 100 == 0 ? Durability.FLUSH : Durability.NO_FLUSH);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();
        }
        try (Engine engine = Engine.open(device, testOptions())) {
            for (long inode = 10; inode < 10 + threads; inode++) {
                long i = inode;
                for (int c = commitsPerThread - 400; c < commitsPerThread; c++) {
                    int id = c;
                    assertEquals(id, valueOf(engine.read(t -> t.get(BtreeId.TEST0,
                            Bpos.of(i, id % 400)))));
                    assertEquals(id, valueOf(engine.read(t -> t.get(BtreeId.TEST1,
                            Bpos.of(i, id % 400)))));
                }
            }
        }
    }
}
