package io.keelfs.block;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.math.LongMath;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * Enumerates the crash states of a {@link WriteLog}, cheapest and most telling first
 * (research/crash-testing.md, Lessons 3). Entry points, each with an explicit bound:
 * <ol type="a">
 *   <li>{@link #persistencePointStates(int)}: after every flush marker and FUA write with every
 *       volatile write dropped, plus the end of the log with all dropped and all kept. These are
 *       the states an oracle judges exactly.
 *   <li>{@link #subsetStates(int, int)}: at every barrier point (just before each flush marker
 *       or FUA write, and at the end of the log), every subset of that point's volatile writes
 *       of size at most k, smallest first, then in log order. A crash between barrier points
 *       gives no other image: the entries before the next barrier point are all volatile
 *       writes, and dropping them gives the earlier point's images.
 *       {@link #subsetStateCount(int)} gives the count without building the list.
 *   <li>{@link #randomStates(long, int)}: samples drawn from one seed: a crash point uniform
 *       in [0, log size], then one of drop all, keep all, a random subset (each write kept with
 *       probability 1/2) or torn writes (each block kept with probability 1/2), equally likely.
 * </ol>
 *
 * <p>Within (a) and (b) no state repeats; an empty subset is {@link Survival#DROP_ALL} and a
 * full one {@link Survival#KEEP_ALL}, so states from different lists compare equal when they
 * are the same (collect them in a {@code LinkedHashSet} to count distinct states). Samples in
 * (c) may repeat.
 *
 * <p>Thread-safety: immutable over an immutable log view; safe for concurrent use.
 */
public final class CrashStateExplorer {
    /** Most states one call returns: a state is about 100 bytes of heap, so 1.6 GiB at most. */
    public static final int STATES_MAX = 1 << 24;
    /** Largest subset size for (b): C(64, 16) is already about 5e14 states. */
    public static final int SUBSET_SIZE_MAX = 16;

    private final WriteLog log;

    public CrashStateExplorer(WriteLog log) {
        this.log = Objects.requireNonNull(log, "log");
    }

    public WriteLog log() {
        return log;
    }

    /** Crash points just after each flush marker or FUA write, in log order. */
    public List<Integer> persistencePoints() {
        List<Integer> points = new ArrayList<>();
        for (int i = 0; i < log.size(); i++) {
            if (log.entry(i).isPersistencePoint()) {
                points.add(i + 1);
            }
        }
        return points;
    }

    /** Crash points just before each flush marker or FUA write, then the end of the log. */
    public List<Integer> barrierPoints() {
        List<Integer> points = new ArrayList<>();
        for (int i = 0; i < log.size(); i++) {
            if (log.entry(i).isPersistencePoint()) {
                points.add(i);
            }
        }
        points.add(log.size());
        return points;
    }

    /**
     * (a): drop-all at every persistence point, then at the end of the log drop-all (unless the
     * last entry is a persistence point) and keep-all (if there is a volatile write there).
     *
     * @param statesMax the caller's bound; more states than this is an IllegalStateException
     */
    public List<CrashState> persistencePointStates(int statesMax) {
        checkStatesMax(statesMax);
        List<Integer> points = persistencePoints();
        int end = log.size();
        List<CrashState> states = new ArrayList<>();
        for (int point : points) {
            states.add(CrashState.dropAll(point));
        }
        if (points.isEmpty() || points.get(points.size() - 1) != end) {
            states.add(CrashState.dropAll(end));
        }
        if (log.volatileWriteCount(end) > 0) {
            states.add(CrashState.keepAll(end));
        }
        checkCount("persistence-point", states.size(), statesMax);
        return states;
    }

    /**
     * The number of states (b) gives for subsets of at most {@code subsetSizeMax} volatile
     * writes: the sum over barrier points of C(m, 0) + ... + C(m, k), m the number of volatile
     * writes there. Saturates at Long.MAX_VALUE.
     */
    public long subsetStateCount(int subsetSizeMax) {
        checkSubsetSize(subsetSizeMax);
        long count = 0;
        for (int point : barrierPoints()) {
            int volatileCount = log.volatileWriteCount(point);
            for (int size = 0; size <= Math.min(subsetSizeMax, volatileCount); size++) {
                count = LongMath.saturatedAdd(count, LongMath.binomial(volatileCount, size));
            }
        }
        return count;
    }

    /**
     * (b): at each barrier point, every subset of its volatile writes with at most
     * {@code subsetSizeMax} members.
     *
     * @param statesMax the caller's bound; if {@link #subsetStateCount} exceeds it, an
     *     IllegalStateException naming both numbers is thrown before anything is built
     */
    public List<CrashState> subsetStates(int subsetSizeMax, int statesMax) {
        checkStatesMax(statesMax);
        long count = subsetStateCount(subsetSizeMax);
        checkCount("subset (size <= " + subsetSizeMax + ")", count, statesMax);
        List<CrashState> states = new ArrayList<>((int) count);
        for (int point : barrierPoints()) {
            int volatileCount = log.volatileWriteCount(point);
            for (int size = 0; size <= Math.min(subsetSizeMax, volatileCount); size++) {
                addCombinations(states, point, volatileCount, size);
            }
        }
        return states;
    }

    /**
     * (c): {@code sampleCount} states drawn from {@code seed}; the same seed over the same log
     * gives the same list.
     */
    public List<CrashState> randomStates(long seed, int sampleCount) {
        checkArgument(sampleCount >= 0 && sampleCount <= STATES_MAX,
                "sample count %s is outside [0, STATES_MAX %s]", sampleCount, STATES_MAX);
        Random random = new Random(seed);
        List<CrashState> states = new ArrayList<>(sampleCount);
        for (int sample = 0; sample < sampleCount; sample++) {
            int point = random.nextInt(log.size() + 1);
            states.add(new CrashState(point, randomSurvival(random, point)));
        }
        return states;
    }

    private Survival randomSurvival(Random random, int point) {
        int choice = random.nextInt(4);
        int volatileCount = log.volatileWriteCount(point);
        if (volatileCount == 0 || choice == 0) {
            return Survival.DROP_ALL;
        } else if (choice == 1) {
            return Survival.KEEP_ALL;
        } else if (choice == 2) {
            return keepWrites(randomBits(random, volatileCount), volatileCount);
        }
        List<BitSet> blocksKeptByWrite = new ArrayList<>(volatileCount);
        for (LogEntry write : log.volatileWrites(point)) {
            blocksKeptByWrite.add(randomBits(random, write.blockCount(log.blockSizeBytes())));
        }
        return new Survival.KeepBlocks(blocksKeptByWrite);
    }

    private static BitSet randomBits(Random random, int bitCount) {
        BitSet bits = new BitSet(bitCount);
        for (int i = 0; i < bitCount; i++) {
            if (random.nextBoolean()) {
                bits.set(i);
            }
        }
        return bits;
    }

    /** Appends every subset of {@code size} of the ordinals [0, volatileCount), in order. */
    private static void addCombinations(
            List<CrashState> states, int point, int volatileCount, int size) {
        int[] members = new int[size];
        for (int i = 0; i < size; i++) {
            members[i] = i;
        }
        while (true) {
            BitSet bits = new BitSet(volatileCount);
            for (int member : members) {
                bits.set(member);
            }
            states.add(new CrashState(point, keepWrites(bits, volatileCount)));
            // Advance to the next combination: bump the rightmost member that can move.
            int i = size - 1;
            while (i >= 0 && members[i] == volatileCount - size + i) {
                i--;
            }
            if (i < 0) {
                return;
            }
            members[i]++;
            for (int j = i + 1; j < size; j++) {
                members[j] = members[j - 1] + 1;
            }
        }
    }

    private static Survival keepWrites(BitSet bits, int volatileCount) {
        if (bits.isEmpty()) {
            return Survival.DROP_ALL;
        }
        if (bits.cardinality() == volatileCount) {
            return Survival.KEEP_ALL;
        }
        return new Survival.KeepWrites(bits);
    }

    private static void checkSubsetSize(int subsetSizeMax) {
        checkArgument(subsetSizeMax >= 0 && subsetSizeMax <= SUBSET_SIZE_MAX,
                "subset size %s is outside [0, SUBSET_SIZE_MAX %s]", subsetSizeMax,
                SUBSET_SIZE_MAX);
    }

    private static void checkStatesMax(int statesMax) {
        checkArgument(statesMax >= 0 && statesMax <= STATES_MAX,
                "statesMax %s is outside [0, STATES_MAX %s]", statesMax, STATES_MAX);
    }

    private void checkCount(String what, long count, int statesMax) {
        if (count > statesMax) {
            throw new IllegalStateException(String.format(
                    "%s exploration of a %d-entry write log gives %d crash states, over "
                            + "statesMax %d", what, log.size(), count, statesMax));
        }
    }
}
