package io.keelfs.fs.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.engine.Durability;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Many threads: one writer per inode (the caller's per-inode serialisation) writing stamped
 * blocks over a small data range, so buckets are filled, collected by copygc and reused while
 * readers read every inode concurrently. Readers must only ever see zeros or a block stamped
 * with its own inode and block (never EIO, never another file's data); at the end every file
 * matches its writer's model and the accounting invariants hold.
 */
class FileDataStressTest {
    private static final int BS = DataFixture.BLOCK;
    private static final int WRITERS = 4;
    private static final int READERS = 2;
    private static final int FILE_BLOCKS = 24;
    private static final int WRITES_PER_WRITER = 300;

    @Test
    void concurrentWritersAndReadersNeverSeeForeignData() throws Exception {
        long seed = Long.getLong("keelfs.seed", System.nanoTime());
        FileDataOptions opts = FileDataOptions.defaults().withWritePoints(2).withReserve(2, 4);
        try (DataFixture f = DataFixture.format(FileDataTest.deviceWithDataBuckets(16), opts)) {
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            AtomicBoolean done = new AtomicBoolean();
            byte[][] models = new byte[WRITERS][FILE_BLOCKS * BS];
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int ino = w + 1;
                Random random = new Random(seed + w);
                threads.add(new Thread(() -> {
                    try {
                        for (int i = 1; i <= WRITES_PER_WRITER; i++) {
                            int blocks = 1 + random.nextInt(3);
                            int first = random.nextInt(FILE_BLOCKS - blocks + 1);
                            byte[] b = stamped(ino, first, blocks, i);
                            f.write(ino, (long) first * BS, b, (long) FILE_BLOCKS * BS,
                                    Durability.NO_FLUSH);
                            System.arraycopy(b, 0, models[ino - 1], first * BS, b.length);
                        }
                    } catch (Throwable t) {
                        errors.add(new AssertionError("seed " + seed + " writer " + ino, t));
                    }
                }));
            }
            for (int r = 0; r < READERS; r++) {
                Random random = new Random(seed * 31 + r);
                threads.add(new Thread(() -> {
                    try {
                        while (!done.get()) {
                            int ino = 1 + random.nextInt(WRITERS);
                            int block = random.nextInt(FILE_BLOCKS);
                            byte[] got = f.read(ino, (long) block * BS, BS,
                                    (long) FILE_BLOCKS * BS);
                            checkStamp(got, ino, block, seed);
                        }
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (int i = 0; i < WRITERS; i++) {
                threads.get(i).join(TimeUnit.MINUTES.toMillis(2));
            }
            done.set(true);
            for (Thread t : threads) {
                t.join(TimeUnit.MINUTES.toMillis(1));
                assertTrue(!t.isAlive(), "thread still running");
            }
            if (!errors.isEmpty()) {
                AssertionError e = new AssertionError("seed " + seed + ": " + errors.size()
                        + " failures");
                errors.forEach(e::addSuppressed);
                throw e;
            }
            for (int w = 0; w < WRITERS; w++) {
                assertArrayEquals(models[w], f.read(w + 1, 0, FILE_BLOCKS * BS,
                        (long) FILE_BLOCKS * BS), "seed " + seed + " inode " + (w + 1));
            }
            DataInvariants.check(f, "seed " + seed);
            System.out.println("FileDataStressTest seed " + seed + ": " + f.data.statsText());
        }
    }

    private static byte[] stamped(int ino, int first, int blocks, long version) {
        ByteBuffer out = ByteBuffer.allocate(blocks * BS);
        for (int b = 0; b < blocks; b++) {
            out.position(b * BS);
            for (int i = 0; i < BS / 24; i++) {
                out.putLong(ino).putLong(first + b).putLong(version);
            }
        }
        return out.array();
    }

    private static void checkStamp(byte[] b, int ino, int block, long seed) {
        ByteBuffer in = ByteBuffer.wrap(b);
        long version = in.getLong(16);
        for (int i = 0; i + 24 <= b.length; i += 24) {
            boolean zero = version == 0 && in.getLong(i) == 0 && in.getLong(i + 8) == 0
                    && in.getLong(i + 16) == 0;
            boolean mine = in.getLong(i) == ino && in.getLong(i + 8) == block
                    && in.getLong(i + 16) == version;
            if (!zero && !mine) {
                throw new AssertionError(String.format("seed %d: inode %d block %d read "
                        + "inode %d block %d version %d", seed, ino, block, in.getLong(i),
                        in.getLong(i + 8), in.getLong(i + 16)));
            }
        }
    }
}
