package io.keelfs.fs.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.engine.Durability;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.txn.TransactionIterator;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The stale-pointer race of the read path, forced with a hook: a reader parked between its
 * extent lookup and its device read; meanwhile the file is punched, its bucket freed, made
 * durable and reused by another inode's write. On resuming, the reader must notice the
 * generation change and look up again (finding the hole), never return the other file's data.
 */
class FileDataRaceTest {
    private static final int BS = DataFixture.BLOCK;
    private static final long WAIT_SECONDS = 30;

    @Test
    void readerParkedAcrossFreeAndReuseRetriesInsteadOfReturningOtherFilesData()
            throws Exception {
        CountDownLatch lookedUp = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        AtomicBoolean armed = new AtomicBoolean(false);
        FileDataHooks hooks = new FileDataHooks() {
            @Override
            public void afterExtentLookup(long ino, long offsetBytes) {
                if (ino == 1 && armed.compareAndSet(true, false)) {
                    lookedUp.countDown();
                    await(resume);
                }
            }
        };
        FileDataOptions opts = FileDataOptions.defaults().withWritePoints(1).withReserve(1, 1)
                .withHooks(hooks);
        try (DataFixture f = DataFixture.format(FileDataTest.deviceWithDataBuckets(6), opts)) {
            byte[] a = filled(BS, 0x11);
            f.write(1, 0, a, 0, Durability.NO_FLUSH);
            f.write(2, 0, filled(15 * BS, 0x22), 0, Durability.NO_FLUSH); // fills the bucket
            f.write(3, 0, filled(BS, 0x33), 0, Durability.NO_FLUSH); // retires it
            long bucketA = bucketOf(f, 1);
            int genA = generationOf(f, 1);

            AtomicReference<Object> result = new AtomicReference<>();
            armed.set(true);
            Thread reader = new Thread(() -> {
                try {
                    result.set(f.read(1, 0, BS, BS));
                } catch (Throwable t) {
                    result.set(t);
                }
            });
            reader.start();
            await(lookedUp);

            f.punchBlocks(2, 0, Long.MAX_VALUE);
            f.punchBlocks(1, 0, Long.MAX_VALUE); // bucket A now empty and not open: freed
            f.engine.checkpoint(); // the freeing commit durable: the bucket may be reused
            boolean reused = false;
            for (long ino = 50; ino < 80 && !reused; ino++) {
                f.write(ino, 0, filled(DataFixture.BUCKET, 0x77), 0, Durability.NO_FLUSH);
                reused = extentBuckets(f, ino, bucketA);
                if (!reused) {
                    f.punchBlocks(ino, 0, Long.MAX_VALUE);
                    f.engine.checkpoint();
                }
            }
            assertTrue(reused, "bucket " + bucketA + " was never reused");
            assertNotEquals(genA, f.engine.read(txn -> io.keelfs.alloc.AllocUpdates.get(txn,
                    bucketA)).generation());

            resume.countDown();
            reader.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            Object got = result.get();
            if (got instanceof Throwable t) {
                throw new AssertionError("reader failed", t);
            }
            assertArrayEquals(new byte[BS], (byte[]) got, "reader saw other data");
            assertTrue(f.data.staleReadRetries() >= 1, f.data.statsText());
            assertNull(null);
            DataInvariants.check(f, "after race");
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("latch not released in " + WAIT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private static long bucketOf(DataFixture f, long ino) throws Exception {
        return f.engine.read(txn -> Extent.decode(txn.iterator(BtreeId.EXTENTS,
                Bpos.of(ino, 0)).next(), BS, DataFixture.BUCKET)).bucket();
    }

    private static int generationOf(DataFixture f, long ino) throws Exception {
        return f.engine.read(txn -> Extent.decode(txn.iterator(BtreeId.EXTENTS,
                Bpos.of(ino, 0)).next(), BS, DataFixture.BUCKET)).generation();
    }

    private static boolean extentBuckets(DataFixture f, long ino, long bucket) throws Exception {
        return f.engine.read(txn -> {
            TransactionIterator it = txn.iterator(BtreeId.EXTENTS, Bpos.of(ino, 0));
            for (Bkey k = it.next(); k != null && k.pos().inode() == ino; k = it.next()) {
                if (Extent.decode(k, BS, DataFixture.BUCKET).bucket() == bucket) {
                    return true;
                }
            }
            return false;
        });
    }
}
