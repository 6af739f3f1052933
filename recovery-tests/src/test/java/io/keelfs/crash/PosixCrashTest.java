package io.keelfs.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.keelfs.block.CrashSimDevice;
import io.keelfs.block.CrashState;
import io.keelfs.block.CrashStateExplorer;
import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.fs.Filesystem;
import java.util.LinkedHashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Crash states of random POSIX workloads on the whole keelfs stack (engine, allocator, file
 * data, namespace): for every explored state, mount must succeed and the tree must equal the
 * model after some prefix of the operations that includes every fsync/sync that returned
 * ({@link PrefixOracle}). States: every persistence point, every single-write subset at each
 * barrier, and seeded random subsets and torn blocks.
 *
 * <p>Seed: {@code -Dkeelfs.seed=N}, printed with every failure and at the end. Longer:
 * {@code -Dkeelfs.long=true} (the {@code long} Maven profile).
 */
class PosixCrashTest {
    private static final int STATES_MIN = 2000;
    private static final int ROUNDS_MAX = 200;
    private static final long DEVICE_BYTES = 32L << 20;

    @Test
    void everyCrashStateMountsAndHoldsADurablePrefix() throws Exception {
        long seed = Long.getLong("keelfs.seed", System.nanoTime());
        boolean longRun = Boolean.getBoolean("keelfs.long");
        int target = longRun ? 10 * STATES_MIN : STATES_MIN;
        int statesPerRound = longRun ? 1500 : 500;
        int ops = longRun ? 300 : 120;
        KeelStack stack = KeelStack.small();
        int checked = 0;
        int rounds = 0;
        while (checked < target) {
            assertTrue(rounds < ROUNDS_MAX, "only " + checked + " of " + target
                    + " crash states after " + rounds + " rounds, seed " + seed);
            checked += round(stack, seed + rounds, ops, statesPerRound);
            rounds++;
        }
        System.out.printf("PosixCrashTest: %d crash states over %d workloads checked, seed %d%n",
                checked, rounds, seed);
    }

    /** One workload and its crash states; returns how many states were checked. */
    private static int round(KeelStack stack, long seed, int ops, int statesMax)
            throws Exception {
        MemoryBlockDevice base = new MemoryBlockDevice(DEVICE_BYTES, 4096, "posix-crash");
        stack.format(base);
        CrashSimDevice sim = new CrashSimDevice(base);
        PosixWorkload workload = new PosixWorkload(seed);
        try (Filesystem fs = stack.open(sim)) {
            workload.run(fs, ops, () -> sim.log().size());
            String live = FsSnapshot.of(fs);
            assertEquals(workload.model().snapshot(), live, "seed " + seed
                    + ": the live filesystem differs from the model before any crash");
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
            String verdict = PrefixOracle.check(stack, sim.crashImage(state), workload.history(),
                    state.logLength());
            if (verdict != null) {
                fail(String.format("seed %d: crash %s: %s", seed, sim.log().describe(state),
                        verdict));
            }
            checked++;
        }
        return checked;
    }
}
