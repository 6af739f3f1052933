package io.keelfs.fs.data;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.keelfs.block.CrashSimDevice;
import io.keelfs.block.CrashState;
import io.keelfs.block.CrashStateExplorer;
import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.Durability;
import io.keelfs.error.ChecksumException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Crash states of a random data workload over a small data range (so buckets are freed,
 * copygc'd and reused): writes of self-identifying blocks (each block stamped with inode, file
 * block and version), punches, copygc passes and checkpoints, a quarter of the writes made
 * durable as fsync does (a FLUSH commit, whose one device flush covers the data). In every explored crash state, after
 * replay: the bucket accounting invariants hold; every block of every file reads either its
 * version as of the last durable operation, or (only if a later operation on it had been
 * issued) a later version or EIO; and no block ever reads another inode's or another block's
 * data. Not covered: torn metadata beyond what CrashSimDevice's explorer produces.
 *
 * <p>Seed: {@code -Dkeelfs.seed=N}; printed with every failure.
 */
class FileDataCrashTest {
    private static final int BS = DataFixture.BLOCK;
    private static final int INODES = 3;
    private static final int FILE_BLOCKS = 24;
    private static final int OPS = 70;
    private static final int STATES_MAX = 400;

    /** One operation: a write (version > 0) or punch (version 0) of blocks of an inode. */
    private record Op(int ino, int firstBlock, int blocks, long version, int issuedAt,
            int durableAt) {
        boolean touches(int i, int block) {
            return i == ino && block >= firstBlock && block < firstBlock + blocks;
        }
    }

    @Test
    void durableDataSurvivesEveryCrashAndNoBlockReadsAnotherFilesData() throws Exception {
        long seed = Long.getLong("keelfs.seed", System.nanoTime());
        Random random = new Random(seed);
        FileDataOptions opts = FileDataOptions.defaults().withWritePoints(2).withReserve(1, 2);
        MemoryBlockDevice base = FileDataTest.deviceWithDataBuckets(8);
        DataFixture.format(base, opts).close();
        CrashSimDevice sim = new CrashSimDevice(base);
        List<Op> ops = new ArrayList<>();
        try (DataFixture f = DataFixture.open(sim, opts)) {
            for (int i = 0; i < OPS; i++) {
                ops.add(step(f, sim, random, i + 1));
            }
        }
        CrashStateExplorer explorer = sim.explorer();
        // Persistence points first (judged exactly), then a seeded mix of the rest.
        Set<CrashState> states = new LinkedHashSet<>(explorer.persistencePointStates(STATES_MAX));
        Set<CrashState> rest = new LinkedHashSet<>(explorer.randomStates(seed, STATES_MAX / 2));
        if (explorer.subsetStateCount(1) <= 4 * STATES_MAX) {
            rest.addAll(explorer.subsetStates(1, 4 * STATES_MAX));
        }
        List<CrashState> shuffled = new ArrayList<>(rest);
        java.util.Collections.shuffle(shuffled, new Random(seed));
        states.addAll(shuffled);
        int checked = 0;
        for (CrashState state : states) {
            if (checked++ >= STATES_MAX) {
                break;
            }
            check(sim, opts, ops, state, seed);
        }
        assertTrue(checked > 50, "only " + checked + " states");
        System.out.printf("FileDataCrashTest: %d crash states checked, seed %d%n", checked,
                seed);
    }

    private static Op step(DataFixture f, CrashSimDevice sim, Random random, long version)
            throws Exception {
        int ino = 1 + random.nextInt(INODES);
        int blocks = 1 + random.nextInt(4);
        int first = random.nextInt(FILE_BLOCKS - blocks + 1);
        int issuedAt = sim.log().size();
        if (random.nextInt(8) == 0) {
            f.punchBlocks(ino, (long) first * BS, (long) (first + blocks) * BS);
            return new Op(ino, first, blocks, 0, issuedAt, Integer.MAX_VALUE);
        }
        boolean durable = random.nextInt(4) == 0;
        ByteBuffer data = ByteBuffer.allocate(blocks * BS);
        for (int b = 0; b < blocks; b++) {
            for (int i = 0; i < BS / 24; i++) {
                data.putLong(ino).putLong(first + b).putLong(version);
            }
            data.position((b + 1) * BS);
        }
        data.flip();
        FileDataWriteOnce w = new FileDataWriteOnce(f, ino, first, data);
        w.run(durable);
        if (random.nextInt(10) == 0) {
            f.data.copyGc();
        }
        if (random.nextInt(15) == 0) {
            f.engine.checkpoint();
        }
        return new Op(ino, first, blocks, version, issuedAt,
                durable ? sim.log().size() : Integer.MAX_VALUE);
    }

    /** A write as the fs layer does it; fsync-style: a FLUSH commit, no separate data flush. */
    private record FileDataWriteOnce(DataFixture f, int ino, int first, ByteBuffer data) {
        void run(boolean durable) throws Exception {
            FileData.PreparedWrite w = f.data.prepare(ino, (long) first * BS, data,
                    (long) FILE_BLOCKS * BS);
            try {
                f.engine.update(txn -> f.data.commit(txn, w),
                        durable ? Durability.FLUSH : Durability.NO_FLUSH);
            } finally {
                f.data.finish(w);
            }
        }
    }

    private static void check(CrashSimDevice sim, FileDataOptions opts, List<Op> ops,
            CrashState state, long seed) throws Exception {
        String where = "seed " + seed + ", " + sim.log().describe(state);
        MemoryBlockDevice image = sim.crashImage(state);
        int lastDurable = -1;
        for (int i = 0; i < ops.size(); i++) {
            if (ops.get(i).durableAt <= state.logLength()) {
                lastDurable = i;
            }
        }
        try (DataFixture f = DataFixture.open(image, opts)) {
            DataInvariants.check(f, where);
            for (int ino = 1; ino <= INODES; ino++) {
                for (int block = 0; block < FILE_BLOCKS; block++) {
                    checkBlock(f, ops, lastDurable, state.logLength(), ino, block, where);
                }
            }
        }
    }

    private static void checkBlock(DataFixture f, List<Op> ops, int lastDurable, int logLength,
            int ino, int block, String where) throws Exception {
        long durableVersion = 0;
        Set<Long> later = new java.util.HashSet<>();
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            if (!op.touches(ino, block)) {
                continue;
            }
            if (i <= lastDurable) {
                durableVersion = op.version;
            } else if (op.issuedAt < logLength) {
                later.add(op.version);
            }
        }
        long got;
        try {
            got = versionOf(f.read(ino, (long) block * BS, BS, (long) FILE_BLOCKS * BS), ino,
                    block, where);
        } catch (ChecksumException e) {
            if (later.isEmpty()) {
                fail(where + ": inode " + ino + " block " + block + " was durable at version "
                        + durableVersion + " but reads EIO: " + e.getMessage());
            }
            return;
        }
        if (got != durableVersion && !later.contains(got)) {
            fail(String.format("%s: inode %d block %d reads version %d; durable %d, later %s",
                    where, ino, block, got, durableVersion, later));
        }
    }

    /** The version stamped in a block (0 for zeros); fails on another inode's or block's. */
    private static long versionOf(byte[] b, int ino, int block, String where) {
        ByteBuffer in = ByteBuffer.wrap(b);
        if (in.getLong(0) == 0 && in.getLong(8) == 0 && in.getLong(16) == 0) {
            for (byte x : b) {
                if (x != 0) {
                    fail(where + ": inode " + ino + " block " + block + " is neither zeros nor"
                            + " stamped");
                }
            }
            return 0;
        }
        long version = in.getLong(16);
        for (int i = 0; i + 24 <= b.length; i += 24) {
            if (in.getLong(i) != ino || in.getLong(i + 8) != block
                    || in.getLong(i + 16) != version) {
                fail(String.format("%s: inode %d block %d holds data of inode %d block %d "
                        + "version %d", where, ino, block, in.getLong(i), in.getLong(i + 8),
                        in.getLong(i + 16)));
            }
        }
        return version;
    }
}
