package io.keelfs.alloc;

import static io.keelfs.alloc.ManagedTestSupport.mkfs;
import static io.keelfs.alloc.ManagedTestSupport.options;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.keelfs.block.CrashSimDevice;
import io.keelfs.block.CrashState;
import io.keelfs.block.CrashStateExplorer;
import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.engine.ImageReport;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.txn.TransactionIterator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedSet;
import org.junit.jupiter.api.Test;

/**
 * Crash states of a managed-mode workload: a tree grown and shrunk in bursts (so node buckets
 * are claimed and returned) beside USER buckets allocated and freed, with some flushed commits
 * and checkpoints. For every explored state: every reachable node on disk lies in a bucket
 * whose replayed alloc record is BTREE; the engine opens writable (which checks the same with
 * its own walk); and TEST0 holds exactly the keys of a prefix of the commits that includes
 * every commit acknowledged durable (as EngineCrashTest).
 *
 * <p>Seed: {@code -Dkeelfs.seed=N}; printed with every failure.
 */
class ManagedEngineCrashTest {
    private static final int STATES_MIN = 150;
    private static final int STATES_PER_ROUND_MAX = 150;
    /** Bound on the states listed per round before a sample of them is checked. */
    private static final int STATES_LISTED_MAX = 20_000;
    private static final int ROUNDS_MAX = 40;
    private static final int COMMITS = 120;

    @Test
    void everyCrashStateKeepsNodesInBtreeBuckets() throws Exception {
        long seed = Long.getLong("keelfs.seed", System.nanoTime());
        int target = Boolean.getBoolean("keelfs.long") ? 10 * STATES_MIN : STATES_MIN;
        int checked = 0;
        for (int round = 0; checked < target; round++) {
            assertTrue(round < ROUNDS_MAX, "only " + checked + " states, seed " + seed);
            checked += runRound(seed + round);
        }
        System.out.printf("ManagedEngineCrashTest: %d crash states checked, seed %d%n", checked,
                seed);
    }

    private int runRound(long seed) throws Exception {
        Random random = new Random(seed);
        MemoryBlockDevice base = new MemoryBlockDevice(4L << 20, 4096, "managed-crash");
        AllocFormat.format(base, mkfs());
        CrashSimDevice sim = new CrashSimDevice(base);
        Workload w = new Workload();
        try (ManagedEngine me = ManagedEngine.open(sim, options())) {
            List<Long> user = new ArrayList<>();
            for (int c = 1; c <= COMMITS; c++) {
                w.commit(me.engine(), sim, random, c);
                if (random.nextInt(8) == 0) {
                    me.engine().checkpoint();
                }
                if (random.nextInt(6) == 0) {
                    user.add(AllocTestSupport.allocateAndClaim(me.engine(), me.allocator(),
                            4096).bucket());
                }
                if (user.size() > 4 && random.nextInt(3) == 0) {
                    AllocTestSupport.free(me.engine(), me.allocator(),
                            user.remove(random.nextInt(user.size())), Durability.NO_FLUSH);
                }
            }
            assertTrue(me.engine().stats().nodeBucketsClaimed() > 0, "seed " + seed);
            assertTrue(me.engine().stats().nodeBucketsReturned() > 0, "seed " + seed + ": "
                    + me.engine().stats());
        }
        CrashStateExplorer explorer = sim.explorer();
        Set<CrashState> states = new LinkedHashSet<>(
                explorer.persistencePointStates(STATES_LISTED_MAX));
        states.addAll(explorer.subsetStates(1, STATES_LISTED_MAX));
        states.addAll(explorer.randomStates(seed, STATES_PER_ROUND_MAX / 2));
        List<CrashState> picked = new ArrayList<>(states);
        java.util.Collections.shuffle(picked, random);
        int checked = 0;
        for (CrashState state : picked.subList(0, Math.min(picked.size(),
                STATES_PER_ROUND_MAX / 2))) {
            check(sim, w, state, seed);
            checked++;
        }
        return checked;
    }

    private static void check(CrashSimDevice sim, Workload w, CrashState state, long seed)
            throws Exception {
        MemoryBlockDevice image = sim.crashImage(state);
        String where = "seed " + seed + ", crash " + sim.log().describe(state);
        SortedSet<Long> reachable = ImageReport.reachableNodeBuckets(image);
        try (Engine ro = Engine.open(image, options().withReadOnly(true))) {
            SortedSet<Long> btree = ManagedTestSupport.bucketsOfType(ro, DataType.BTREE);
            if (!btree.containsAll(reachable)) {
                fail(where + ": reachable node buckets " + reachable + ", BTREE " + btree);
            }
        }
        long hash;
        try (ManagedEngine me = ManagedEngine.open(image, options())) {
            hash = me.engine().read(txn -> {
                long h = 0;
                TransactionIterator it = txn.iterator(BtreeId.TEST0, Bpos.MIN);
                for (Bkey k = it.next(); k != null; k = it.next()) {
                    h += Workload.hash(k);
                }
                return h;
            });
            ManagedTestSupport.checkNodeBucketsAgree(me.engine(), image);
        } catch (Exception e) {
            throw new AssertionError(where + ": open failed", e);
        }
        int durable = w.lastAtOrBefore(w.durableAt, state.logLength());
        int issued = Math.max(durable, w.lastAtOrBefore(w.issuedAt, state.logLength()));
        for (int k = durable; k <= issued; k++) {
            if (w.prefixHash.get(k) == hash) {
                return;
            }
        }
        fail(where + ": TEST0 matches no prefix of commits in [" + durable + ", " + issued
                + "]");
    }

    /** Bursts of inserts and deletes in TEST0, and a hash of the state after every prefix. */
    private static final class Workload {
        final List<Long> prefixHash = new ArrayList<>(List.of(0L));
        final List<Integer> issuedAt = new ArrayList<>(List.of(0));
        final List<Integer> durableAt = new ArrayList<>(List.of(0));
        final Map<Long, Bkey> live = new HashMap<>();
        long hash;

        void commit(Engine engine, CrashSimDevice sim, Random random, int id) throws Exception {
            // Alternate growing and shrinking phases so node buckets fill and empty.
            boolean grow = (id / 30) % 2 == 0;
            long start = random.nextInt(2000);
            List<Bkey> updates = new ArrayList<>();
            for (long k = start; k < start + 20 + random.nextInt(40); k++) {
                updates.add(grow ? ManagedTestSupport.blob(k, id, 100)
                        : Bkey.deleted(Bpos.of(1, k)));
            }
            boolean flush = random.nextInt(5) == 0;
            issuedAt.add(sim.log().size());
            engine.update(txn -> {
                for (Bkey k : updates) {
                    txn.put(BtreeId.TEST0, k);
                }
                return null;
            }, flush ? Durability.FLUSH : Durability.NO_FLUSH);
            durableAt.add(flush ? sim.log().size() : Integer.MAX_VALUE);
            for (Bkey k : updates) {
                Bkey old = k.isDeleted() ? live.remove(k.pos().offset())
                        : live.put(k.pos().offset(), k);
                hash -= old == null ? 0 : hash(old);
                hash += k.isDeleted() ? 0 : hash(k);
            }
            prefixHash.add(hash);
        }

        static long hash(Bkey k) {
            long h = k.pos().hashCode() * 0xC2B2AE3D27D4EB4FL;
            h ^= Arrays.hashCode(k.value()) * 0x165667B19E3779F9L;
            return h * 0xff51afd7ed558ccdL;
        }

        /** The last commit whose mark is at or before this log length (marks only grow). */
        int lastAtOrBefore(List<Integer> marks, int logLength) {
            int n = 0;
            for (int i = 1; i < marks.size(); i++) {
                if (marks.get(i) <= logLength) {
                    n = i;
                }
            }
            return n;
        }
    }
}
