package io.keelfs.fs.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keelfs.engine.Durability;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Model test: random writes (aligned and not, small and up to the write bound), overwrites,
 * fallocate reservations, hole punches, truncates down and up (done as {@link io.keelfs.fs} will: zero the partial
 * block through a write, punch whole blocks) and reads over a few inodes, against byte-array
 * models, with random reopens of engine, allocator and file data and random copygc passes.
 * Every read is compared byte for byte; every commit and punch's used-bytes delta against the
 * model's allocated blocks; the bucket accounting invariants ({@link DataInvariants}) after
 * reopens and at the end. Action weights are drawn per seed (swarm testing). Data space is
 * small, so copygc runs from the allocation path. Not covered: concurrency (race tests),
 * crashes (FileDataCrashTest).
 *
 * <p>Replay a failure with {@code @Property(seed = ...)} or the printed seed.
 */
class FileDataModelTest {
    private static final int INODES = 3;
    private static final int FILE_BYTES_MAX = 320 << 10;
    private static final int BS = DataFixture.BLOCK;

    /** One inode's model: contents, size and which blocks hold data (for st_blocks). */
    private static final class Model {
        byte[] bytes = new byte[0];
        final BitSet blocks = new BitSet();

        int size() {
            return bytes.length;
        }
    }

    @Property(tries = 12)
    void dataMatchesModel(@ForAll long seed) throws Exception {
        Random random = new Random(seed);
        int[] weights = new int[8];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = 1 + random.nextInt(10);
        }
        Model[] models = new Model[INODES];
        for (int i = 0; i < INODES; i++) {
            models[i] = new Model();
        }
        int steps = 250;
        try (DataFixture f = DataFixture.format(DataFixture.memory(8L << 20),
                FileDataOptions.defaults().withWritePoints(1 + random.nextInt(3)))) {
            for (int step = 0; step < steps; step++) {
                String ctx = "seed " + seed + " step " + step;
                int ino = random.nextInt(INODES);
                Model m = models[ino];
                switch (pick(random, weights)) {
                    case 0, 1 -> write(f, random, ino + 10, m, ctx);
                    case 2 -> punch(f, random, ino + 10, m, ctx);
                    case 3 -> truncate(f, random, ino + 10, m, ctx);
                    case 4 -> readAndCompare(f, random, ino + 10, m, ctx);
                    case 6 -> allocate(f, random, ino + 10, m, ctx);
                    case 5 -> {
                        if (random.nextInt(4) == 0) {
                            f.reopen();
                            DataInvariants.check(f, ctx + " after reopen");
                        }
                    }
                    default -> {
                        if (random.nextInt(3) == 0) {
                            f.data.copyGc();
                        }
                    }
                }
            }
            for (int i = 0; i < INODES; i++) {
                Model m = models[i];
                assertArrayEquals(m.bytes, f.read(i + 10, 0, m.size() + BS, m.size()),
                        "seed " + seed + " final contents of inode " + (i + 10));
            }
            DataInvariants.check(f, "seed " + seed + " end");
            System.out.printf("FileDataModelTest seed %d: %s%n", seed, f.data.statsText());
        }
    }

    private static int pick(Random random, int[] weights) {
        int total = Arrays.stream(weights).sum();
        int r = random.nextInt(total);
        for (int i = 0; i < weights.length; i++) {
            r -= weights[i];
            if (r < 0) {
                return i;
            }
        }
        throw new AssertionError();
    }

    private static void write(DataFixture f, Random random, long ino, Model m, String ctx)
            throws Exception {
        int offset = random.nextInt(FILE_BYTES_MAX);
        if (random.nextBoolean()) {
            offset -= offset % BS;
        }
        int max = (int) Math.min(f.data.writeBytesMax(), FILE_BYTES_MAX - offset);
        int length = 1 + (random.nextInt(4) == 0 ? random.nextInt(max) : random.nextInt(
                Math.min(max, 3 * BS)));
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        long delta = f.write(ino, offset, bytes, m.size(), Durability.NO_FLUSH);
        int before = m.blocks.cardinality();
        if (offset + length > m.size()) {
            m.bytes = Arrays.copyOf(m.bytes, offset + length);
        }
        System.arraycopy(bytes, 0, m.bytes, offset, length);
        m.blocks.set(offset / BS, (offset + length + BS - 1) / BS);
        assertEquals((long) (m.blocks.cardinality() - before) * BS, delta, ctx + " write delta");
    }

    /** Zeroes [start, end) of the file as the fs layer will: partial blocks rewritten. */
    private static long zeroRange(DataFixture f, long ino, Model m, int start, int end)
            throws Exception {
        long delta = 0;
        int firstFull = (start + BS - 1) / BS * BS;
        int lastFull = end / BS * BS;
        if (firstFull > lastFull) {
            return f.write(ino, start, new byte[end - start], m.size(), Durability.NO_FLUSH);
        }
        if (start < firstFull) {
            delta += f.write(ino, start, new byte[firstFull - start], m.size(),
                    Durability.NO_FLUSH);
        }
        if (lastFull < end) {
            delta += f.write(ino, lastFull, new byte[end - lastFull], m.size(),
                    Durability.NO_FLUSH);
        }
        if (firstFull < lastFull) {
            delta += f.punchBlocks(ino, firstFull, lastFull);
        }
        return delta;
    }

    /**
     * fallocate: the holes of a block range become reserved (counted as used blocks, reading
     * as zeros); contents and size do not change. The range may reach past the size.
     */
    private static void allocate(DataFixture f, Random random, long ino, Model m, String ctx)
            throws Exception {
        int start = random.nextInt(FILE_BYTES_MAX / BS) * BS;
        int end = start + BS * (1 + random.nextInt((FILE_BYTES_MAX - start) / BS));
        int before = m.blocks.cardinality();
        long delta;
        try {
            delta = f.allocate(ino, start, end);
        } catch (io.keelfs.error.NoSpaceException e) {
            DataInvariants.check(f, ctx + " after an ENOSPC allocate (nothing changed)");
            return;
        }
        m.blocks.set(start / BS, end / BS);
        assertEquals((long) (m.blocks.cardinality() - before) * BS, delta,
                ctx + " allocate delta");
    }

    private static void punch(DataFixture f, Random random, long ino, Model m, String ctx)
            throws Exception {
        if (m.size() == 0) {
            return;
        }
        int start = random.nextInt(m.size());
        int end = start + 1 + random.nextInt(m.size() - start);
        int before = m.blocks.cardinality();
        long delta = zeroRange(f, ino, m, start, end);
        Arrays.fill(m.bytes, start, end, (byte) 0);
        int firstFull = (start + BS - 1) / BS;
        int lastFull = end / BS;
        if (firstFull < lastFull) {
            m.blocks.clear(firstFull, lastFull);
        }
        markPartial(m, start, end);
        assertEquals((long) (m.blocks.cardinality() - before) * BS, delta, ctx + " punch delta");
    }

    /** Partial blocks at the edges of a zeroed range were rewritten, so hold data. */
    private static void markPartial(Model m, int start, int end) {
        if (start % BS != 0) {
            m.blocks.set(start / BS);
        }
        if (end % BS != 0 && end / BS * BS >= start) {
            m.blocks.set(end / BS);
        }
    }

    private static void truncate(DataFixture f, Random random, long ino, Model m, String ctx)
            throws Exception {
        int size = random.nextInt(FILE_BYTES_MAX);
        if (size >= m.size()) {
            m.bytes = Arrays.copyOf(m.bytes, size); // growing needs no data change
            return;
        }
        int before = m.blocks.cardinality();
        long delta = 0;
        int firstFull = (size + BS - 1) / BS * BS;
        if (size < firstFull) {
            delta += f.write(ino, size, new byte[firstFull - size], size, Durability.NO_FLUSH);
            m.blocks.set(size / BS);
        }
        delta += f.punchBlocks(ino, firstFull, Long.MAX_VALUE);
        m.blocks.clear(firstFull / BS, Integer.MAX_VALUE);
        m.bytes = Arrays.copyOf(m.bytes, size);
        assertEquals((long) (m.blocks.cardinality() - before) * BS, delta,
                ctx + " truncate delta");
    }

    private static void readAndCompare(DataFixture f, Random random, long ino, Model m,
            String ctx) throws Exception {
        int offset = random.nextInt(FILE_BYTES_MAX + BS);
        int length = 1 + random.nextInt(random.nextBoolean() ? 3 * BS : FILE_BYTES_MAX / 2);
        byte[] got = f.read(ino, offset, length, m.size());
        int n = Math.max(0, Math.min(length, m.size() - offset));
        assertEquals(n, got.length, ctx + " read length");
        byte[] want = n == 0 ? new byte[0] : Arrays.copyOfRange(m.bytes, offset, offset + n);
        assertArrayEquals(want, got, ctx + " read of inode " + ino + " at " + offset);
    }
}
