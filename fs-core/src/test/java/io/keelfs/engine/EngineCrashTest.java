package io.keelfs.engine;

import static io.keelfs.engine.EngineTestSupport.blob;
import static io.keelfs.engine.EngineTestSupport.smallMkfs;
import static io.keelfs.engine.EngineTestSupport.testOptions;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.keelfs.block.CrashSimDevice;
import io.keelfs.block.CrashState;
import io.keelfs.block.CrashStateExplorer;
import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.txn.TransactionIterator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Crash states of a random transaction workload (some commits flushed, checkpoints between):
 * for every explored state, the engine must open (replaying the journal) and hold exactly the
 * state after some prefix of the commits that includes every commit acknowledged as durable
 * before the crash point. That single check covers durability (every flushed commit present),
 * atomicity (a commit's keys all or none: each commit writes its own id to all its keys) and
 * ordering (a prefix). Covers the engine on one device; not targets, not the filesystem.
 *
 * <p>Seed: {@code -Dkeelfs.seed=N}; printed with every failure.
 */
class EngineCrashTest {
    private static final BtreeId[] TREES = {BtreeId.TEST0, BtreeId.TEST1, BtreeId.INODES};
    private static final int STATES_MIN = 2000;
    /** Rounds (fresh workloads) before giving up on reaching the state count. */
    private static final int ROUNDS_MAX = 400;

    @Test
    void everyCrashStateRecoversToADurablePrefix() throws Exception {
        long seed = Long.getLong("keelfs.seed", System.nanoTime());
        boolean longRun = Boolean.getBoolean("keelfs.long");
        int target = longRun ? 20 * STATES_MIN : STATES_MIN;
        int checked = 0;
        for (int round = 0; checked < target; round++) {
            assertTrue(round < ROUNDS_MAX, "only " + checked + " of " + target
                    + " crash states after " + round + " rounds, seed " + seed);
            checked += runRound(seed + round, longRun ? 2000 : 900, longRun ? 600 : 150);
        }
        System.out.printf("EngineCrashTest: %d crash states checked, seed %d%n", checked, seed);
    }

    /** One workload and its crash states; returns how many states were checked. */
    private int runRound(long seed, int statesMax, int commitsMin) throws Exception {
        Random random = new Random(seed);
        MemoryBlockDevice base = new MemoryBlockDevice(4L << 20, 4096, "crash-base");
        Mkfs.format(base, smallMkfs());
        CrashSimDevice sim = new CrashSimDevice(base);
        Workload w = new Workload();
        try (Engine engine = Engine.open(sim, testOptions())) {
            int commits = commitsMin + random.nextInt(100);
            for (int c = 1; c <= commits; c++) {
                w.commit(engine, sim, random, c);
                if (random.nextInt(40) == 0) {
                    engine.checkpoint();
                }
            }
        }
        CrashStateExplorer explorer = sim.explorer();
        Set<CrashState> states = new LinkedHashSet<>(explorer.persistencePointStates(statesMax));
        states.addAll(explorer.subsetStates(1, statesMax));
        states.addAll(explorer.randomStates(seed, statesMax / 2));
        int checked = 0;
        for (CrashState state : states) {
            if (checked >= statesMax) {
                break;
            }
            check(sim, w, state, seed);
            checked++;
        }
        return checked;
    }

    private void check(CrashSimDevice sim, Workload w, CrashState state, long seed)
            throws Exception {
        MemoryBlockDevice image = sim.crashImage(state);
        long hash;
        try (Engine engine = Engine.open(image, testOptions())) {
            hash = engine.read(txn -> {
                long h = 0;
                for (BtreeId tree : TREES) {
                    TransactionIterator it = txn.iterator(tree, Bpos.MIN);
                    for (Bkey k = it.next(); k != null; k = it.next()) {
                        h += Workload.hash(tree, k);
                    }
                }
                return h;
            });
        } catch (Exception e) {
            throw new AssertionError("seed " + seed + ": open failed at " + sim.log().describe(state), e);
        }
        int durable = w.durableCommitsAt(state.logLength());
        int issued = w.issuedCommitsAt(state.logLength());
        for (int k = durable; k <= issued; k++) {
            if (w.prefixHash.get(k) == hash) {
                return;
            }
        }
        fail(String.format("seed %d: state after crash %s matches no prefix of commits in"
                + " [%d, %d] (durable..issued)", seed, sim.log().describe(state), durable, issued));
    }

    /** The workload and its model: a hash of the state after every prefix of commits. */
    private static final class Workload {
        final List<Long> prefixHash = new ArrayList<>(List.of(0L));
        final Map<String, Bkey> live = new HashMap<>();
        /** Log length when commit i was issued (before) and when it was acknowledged durable. */
        final List<Integer> issuedAt = new ArrayList<>(List.of(0));
        final List<Integer> durableAt = new ArrayList<>(List.of(0));
        long hash;

        void commit(Engine engine, CrashSimDevice sim, Random random, int id) throws Exception {
            int keys = 1 + random.nextInt(4);
            List<BtreeId> trees = new ArrayList<>();
            List<Bkey> updates = new ArrayList<>();
            for (int i = 0; i < keys; i++) {
                BtreeId tree = TREES[random.nextInt(TREES.length)];
                long pos = random.nextInt(300);
                trees.add(tree);
                updates.add(random.nextInt(6) == 0 ? Bkey.deleted(Bpos.of(1, pos))
                        : blob(1, pos, id));
            }
            boolean flush = random.nextInt(4) == 0;
            issuedAt.add(sim.log().size());
            engine.update(txn -> {
                for (int i = 0; i < updates.size(); i++) {
                    txn.put(trees.get(i), updates.get(i));
                }
                return null;
            }, flush ? Durability.FLUSH : Durability.NO_FLUSH);
            durableAt.add(flush ? sim.log().size() : Integer.MAX_VALUE);
            for (int i = 0; i < updates.size(); i++) {
                apply(trees.get(i), updates.get(i));
            }
            prefixHash.add(hash);
        }

        private void apply(BtreeId tree, Bkey k) {
            String key = tree + "/" + k.pos();
            Bkey old = k.isDeleted() ? live.remove(key) : live.put(key, k);
            if (old != null) {
                hash -= hash(tree, old);
            }
            if (!k.isDeleted()) {
                hash += hash(tree, k);
            }
        }

        static long hash(BtreeId tree, Bkey k) {
            long h = tree.id * 0x9E3779B97F4A7C15L + k.pos().hashCode() * 0xC2B2AE3D27D4EB4FL;
            h ^= java.util.Arrays.hashCode(k.value()) * 0x165667B19E3779F9L;
            return h * 0xff51afd7ed558ccdL;
        }

        /** Commits acknowledged durable at or before this log length (a later one implies all). */
        int durableCommitsAt(int logLength) {
            int n = 0;
            for (int i = 1; i < durableAt.size(); i++) {
                if (durableAt.get(i) <= logLength) {
                    n = i;
                }
            }
            return n;
        }

        /** Commits whose update had started by this log length. */
        int issuedCommitsAt(int logLength) {
            int n = 0;
            for (int i = 1; i < issuedAt.size(); i++) {
                if (issuedAt.get(i) <= logLength) {
                    n = i;
                }
            }
            return Math.max(n, durableCommitsAt(logLength));
        }
    }
}
