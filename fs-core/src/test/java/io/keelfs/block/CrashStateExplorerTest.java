package io.keelfs.block;

import static io.keelfs.block.CrashSimDeviceTest.fill;
import static io.keelfs.block.CrashSimDeviceTest.handBuiltLog;
import static io.keelfs.block.CrashSimDeviceTest.offset;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Unit tests of {@link CrashStateExplorer} on the hand-built log of
 * {@link CrashSimDeviceTest#handBuiltLog}, whose counts are worked out by hand in the comments.
 *
 * <p>Covered: persistence and barrier points, the exact states and counts of (a) and (b), their
 * overlap, the bounds, and seeded sampling (reproducible, every kind drawn, every state valid).
 * Not covered: images of the states (CrashSimDevicePropertyTest checks every explored state
 * against its model).
 */
class CrashStateExplorerTest {
    /** Fixed seed for the sampled tests; printed in every failure message. */
    static final long SEED = CrashSimDeviceTest.SEED;

    /**
     * The hand-built log of {@link CrashSimDeviceTest#handBuiltLog}: volatile writes by epoch are {a, b}, {d, e},
     * {f, g, i} (FUA h between g and i) and {j, k}.
     */
    @Test
    void enumerationCountsForHandBuiltLog() throws IOException {
        CrashStateExplorer explorer = handBuiltLog().explorer();
        assertEquals(List.of(3, 4, 7, 10, 12), explorer.persistencePoints());
        assertEquals(List.of(2, 3, 6, 9, 11, 14), explorer.barrierPoints());
        // (a): drop-all at the 5 persistence points, then drop-all and keep-all at the end.
        List<CrashState> pointStates = explorer.persistencePointStates(100);
        List<CrashState> expected = new ArrayList<>();
        for (int point : List.of(3, 4, 7, 10, 12, 14)) {
            expected.add(CrashState.dropAll(point));
        }
        expected.add(CrashState.keepAll(14));
        assertEquals(expected, pointStates);
        // (b): volatile counts at the barrier points 2, 3, 6, 9, 11, 14 are 2, 0, 2, 2, 3, 2.
        // Subsets of size <= 2: C(2,0..2) = 4, C(0,0) = 1, C(3,0..2) = 1 + 3 + 3 = 7.
        assertEquals(4 + 1 + 4 + 4 + 7 + 4, explorer.subsetStateCount(2));
        // Size <= 1: 3, 1, 3, 3, 4, 3. Size 0: one drop-all per barrier point.
        assertEquals(3 + 1 + 3 + 3 + 4 + 3, explorer.subsetStateCount(1));
        assertEquals(6, explorer.subsetStateCount(0));
        assertEquals(4 + 1 + 4 + 4 + 8 + 4,
                explorer.subsetStateCount(CrashStateExplorer.SUBSET_SIZE_MAX));
        List<CrashState> subsetStates = explorer.subsetStates(2, 100);
        assertEquals(24, subsetStates.size());
        assertEquals(24, new LinkedHashSet<>(subsetStates).size(), "no state repeats");
        // At point 11 (before the third flush): drop-all, {0}, {1}, {2}, {0,1}, {0,2}, {1,2}.
        List<CrashState> atEleven = subsetStates.stream()
                .filter(state -> state.logLength() == 11).toList();
        assertEquals(List.of(CrashState.dropAll(11),
                new CrashState(11, Survival.KeepWrites.of(0)),
                new CrashState(11, Survival.KeepWrites.of(1)),
                new CrashState(11, Survival.KeepWrites.of(2)),
                new CrashState(11, Survival.KeepWrites.of(0, 1)),
                new CrashState(11, Survival.KeepWrites.of(0, 2)),
                new CrashState(11, Survival.KeepWrites.of(1, 2))), atEleven);
        // (a) and (b) share drop-all at 3 and at 14, and keep-all at 14.
        Set<CrashState> union = new LinkedHashSet<>(pointStates);
        union.addAll(subsetStates);
        assertEquals(7 + 24 - 3, union.size());
    }

    @Test
    void boundsOnExplorationsAreEnforced() throws IOException {
        CrashStateExplorer explorer = handBuiltLog().explorer();
        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> explorer.subsetStates(2, 23));
        assertTrue(error.getMessage().contains("24 crash states, over statesMax 23"),
                error.getMessage());
        assertThrows(IllegalStateException.class, () -> explorer.persistencePointStates(6));
        assertThrows(IllegalArgumentException.class,
                () -> explorer.subsetStates(CrashStateExplorer.SUBSET_SIZE_MAX + 1, 100));
        assertThrows(IllegalArgumentException.class,
                () -> explorer.randomStates(SEED, CrashStateExplorer.STATES_MAX + 1));
    }

    @Test
    void randomStatesAreReproducibleFromTheSeed() throws IOException {
        CrashSimDevice device = handBuiltLog();
        device.write(offset(20), fill(4, 60), false);
        CrashStateExplorer explorer = device.explorer();
        List<CrashState> states = explorer.randomStates(SEED, 200);
        String seed = "seed " + SEED;
        assertEquals(states, explorer.randomStates(SEED, 200), seed);
        assertEquals(200, states.size(), seed);
        Set<Class<?>> kinds = new LinkedHashSet<>();
        for (CrashState state : states) {
            kinds.add(state.survival().getClass());
            device.crashImage(state); // every sampled state is valid for the log
        }
        assertEquals(4, kinds.size(), seed + ": every kind of survival is drawn: " + kinds);
        assertFalse(states.equals(explorer.randomStates(SEED + 1, 200)), seed);
    }
}
