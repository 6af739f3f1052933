package io.keelfs.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.error.KeelException;
import io.keelfs.format.BtreeId;
import io.keelfs.format.NodePointer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Crash states of the journal: a seeded workload (appends of 1..~4 block transactions,
 * awaitDurable, awaitWritten, checkpoints when half full or when the journal asks) runs over a
 * {@link RecordingDevice}; at random writer I/O events (always at the first few after each
 * restart) crash images are taken: unflushed writes all dropped, all kept, a random subset,
 * with one multi-block write torn. Every image is read back and checked against the model:
 *
 * <ol>
 *   <li>the reader does not refuse it, and reports nothing but damaged entries and a cut
 *       torn tail (a crash alone never looks like corruption);
 *   <li>the plan is a prevSeq chain whose entries hold exactly what was appended under
 *       those seqs, and whose seqs are exactly the appended ones between its first and its
 *       head (a contiguous prefix of the history);
 *   <li>every seq acknowledged by awaitDurable before the crash point and not older than the
 *       plan's lastSeq is in the plan;
 *   <li>the head carries the roots of a checkpoint that was set, with its lastSeq.
 * </ol>
 * Then one image is taken as the next lineage's start: resume after an unclean shutdown and
 * run again, so restarts, seq jumps and crashes right after a restart are covered too.
 *
 * <p>Not covered: device I/O errors (FaultDevice, elsewhere), concurrency of committers
 * (JournalWriterTest). Seed: printed; replay with {@code -Dkeelfs.seed=...}.
 */
class JournalCrashTest {
    private static final JournalLayout LAYOUT = JournalTestSupport.layout(4, 16 * 1024);
    /** Lineages per run: 6 in CI (about 900 states, 2 s), 150 with -Dkeelfs.long=true. */
    private static final int LINEAGES = Boolean.getBoolean("keelfs.long") ? 150 : 6;
    private static final int OPS_PER_LINEAGE = 250;
    private static final int CAPTURE_EVENTS_MAX = 60;
    private static final int IMAGES_PER_EVENT = 3;
    /** Numbers checkpoints across lineages so that every checkpoint's roots are distinct. */
    private static final AtomicLong CHECKPOINTS = new AtomicLong(1_000_000);

    /** A crash image and what had been acknowledged when it was taken. */
    private record CrashState(MemoryBlockDevice image, long ackedSeq, String how) {}

    /** What the writer was asked to do, as seen by the committer. */
    private static final class Model {
        final TreeMap<Long, List<JournalRecord.KeyUpdate>> bySeq = new TreeMap<>();
        final List<Map<BtreeId, NodePointer>> checkpointRoots = new ArrayList<>();
        final List<Long> checkpointLastSeqs = new ArrayList<>();
        long lastAppended;

        /** The history as replayed from {@code plan}: the base of a new lineage. */
        static Model from(ReplayPlan plan) {
            Model m = new Model();
            for (JournalEntry e : plan.entries()) {
                m.bySeq.put(e.seq(), new ArrayList<>(e.updates()));
            }
            m.checkpointRoots.add(plan.roots());
            m.checkpointLastSeqs.add(plan.lastSeq());
            m.lastAppended = plan.headSeq();
            return m;
        }
    }

    @Test
    void everyCrashStateReplaysAPrefixHoldingEveryAcknowledgedEntry() throws Exception {
        long seed = Long.getLong("keelfs.seed", System.nanoTime());
        System.out.println("JournalCrashTest seed " + seed);
        Random r = new Random(seed);
        long startNanos = System.nanoTime();
        MemoryBlockDevice base = new MemoryBlockDevice(JournalTestSupport.deviceBytes(LAYOUT), 512);
        JournalWriter.format(base, LAYOUT);
        ReplayPlan plan = JournalReader.read(base, LAYOUT);
        int checked = 0;
        int restarts = 0;
        for (int lineage = 0; lineage < LINEAGES; lineage++) {
            Model model = Model.from(plan);
            List<CrashState> states = runLineage(base, plan, lineage > 0, model, r);
            for (CrashState state : states) {
                check(state, model, seed);
                checked++;
            }
            CrashState next = states.get(r.nextInt(states.size()));
            base = next.image();
            plan = JournalReader.read(base, LAYOUT);
            restarts++;
        }
        System.out.printf("JournalCrashTest: %d crash states checked over %d lineages "
                + "(%d restarts) in %.0f ms, seed %d; head seq %d; problems reported %s%n",
                checked, LINEAGES, restarts, (System.nanoTime() - startNanos) / 1e6, seed,
                plan.headSeq(), PROBLEMS_SEEN);
        assertTrue(checked >= 500, "only " + checked + " crash states");
    }

    /** Runs one workload from {@code plan} on a copy of {@code base}, capturing crash states. */
    private static List<CrashState> runLineage(MemoryBlockDevice base, ReplayPlan plan,
            boolean unclean, Model model, Random r) throws KeelException {
        RecordingDevice device = new RecordingDevice(base);
        List<CrashState> states = new ArrayList<>();
        AtomicLong acked = new AtomicLong(plan.headSeq());
        Random captureRandom = new Random(r.nextLong());
        double captureProbability = 0.1 + 0.4 * r.nextDouble();
        int[] events = {0};
        device.setListener((d, isFlush) -> {
            int event = events[0]++;
            boolean capture = event < 3 || captureRandom.nextDouble() < captureProbability;
            if (!capture || states.size() >= CAPTURE_EVENTS_MAX * IMAGES_PER_EVENT) {
                return;
            }
            long ackedNow = acked.get();
            StringBuilder log = new StringBuilder();
            states.add(new CrashState(d.crashImage(captureRandom, 0, false, log), ackedNow,
                    "event " + event + " drop all: " + log));
            log.setLength(0);
            states.add(new CrashState(d.crashImage(captureRandom, 1, true, log), ackedNow,
                    "event " + event + " keep all, tear one: " + log));
            log.setLength(0);
            double p = captureRandom.nextDouble();
            states.add(new CrashState(d.crashImage(captureRandom, p, captureRandom.nextBoolean(),
                    log), ackedNow, "event " + event + " keep p=" + p + ": " + log));
        });
        // Swarm: each lineage gets its own write delay, entry size and wait mix.
        JournalWriter.Options options = new JournalWriter.Options(
                r.nextBoolean() ? 0 : 1 + r.nextInt(3), 512 << r.nextInt(6), 5_000);
        double durableProbability = r.nextDouble();
        double writtenProbability = r.nextDouble() * 0.3;
        JournalWriter[] writer = new JournalWriter[1];
        writer[0] = JournalWriter.resume(device, LAYOUT, plan, !unclean, options,
                () -> checkpoint(writer[0], model));
        JournalWriter w = writer[0];
        for (int op = 0; op < OPS_PER_LINEAGE; op++) {
            List<JournalRecord.KeyUpdate> txn = JournalTestSupport.txn(
                    r, 1 + r.nextInt(4), r.nextInt(10) == 0 ? 700 : 120);
            long seq = w.append(txn);
            model.bySeq.computeIfAbsent(seq, s -> new ArrayList<>()).addAll(txn);
            model.lastAppended = seq;
            double dice = r.nextDouble();
            if (dice < durableProbability) {
                w.awaitDurable(seq);
                acked.accumulateAndGet(seq, Math::max);
            } else if (dice < durableProbability + writtenProbability) {
                w.awaitWritten(seq);
            }
            if (w.fillRatio() > 0.5 && r.nextInt(3) == 0) {
                checkpoint(w, model);
            }
        }
        device.setListener(null);
        w.close();
        return states;
    }

    /** A pretend checkpoint covering everything appended so far. */
    private static void checkpoint(JournalWriter w, Model model) {
        Map<BtreeId, NodePointer> roots = JournalTestSupport.roots(CHECKPOINTS.incrementAndGet());
        long lastSeq = model.lastAppended + 1;
        model.checkpointRoots.add(roots);
        model.checkpointLastSeqs.add(lastSeq);
        w.setCheckpoint(roots, lastSeq);
    }

    /** Problem kinds seen in checked crash states, to show what the states exercised. */
    private static final Map<JournalProblem.Kind, Integer> PROBLEMS_SEEN =
            new java.util.concurrent.ConcurrentHashMap<>();

    private static void check(CrashState state, Model model, long seed) throws KeelException {
        String context = "seed " + seed + ", " + state.how();
        ReplayPlan plan;
        try {
            plan = JournalReader.read(state.image(), LAYOUT);
        } catch (KeelException e) {
            throw new AssertionError("crash state refused: " + context, e);
        }
        context += "\n" + plan;
        plan.verify();
        for (JournalProblem p : plan.problems()) {
            PROBLEMS_SEEN.merge(p.kind(), 1, Integer::sum);
            // A crash tears and drops writes; anything else would be a false alarm.
            assertTrue(p.kind() == JournalProblem.Kind.DAMAGED_ENTRY
                    || p.kind() == JournalProblem.Kind.TORN_TAIL, p + ": " + context);
        }
        long first = plan.entries().get(0).seq();
        List<Long> expectedSeqs = new ArrayList<>(
                model.bySeq.subMap(first, true, plan.headSeq(), true).keySet());
        List<Long> actualSeqs = plan.entries().stream().map(JournalEntry::seq).toList();
        assertEquals(expectedSeqs, actualSeqs, "not a contiguous prefix: " + context);
        for (JournalEntry e : plan.entries()) {
            assertEquals(model.bySeq.get(e.seq()), e.updates(),
                    "entry " + e.seq() + ": " + context);
        }
        assertTrue(plan.headSeq() >= state.ackedSeq(),
                "acknowledged " + state.ackedSeq() + " lost: " + context);
        if (state.ackedSeq() >= plan.lastSeq()) {
            for (long s : model.bySeq.subMap(plan.lastSeq(), true, state.ackedSeq(), true)
                    .keySet()) {
                assertTrue(actualSeqs.contains(s), "acknowledged " + s + " lost: " + context);
            }
        }
        int k = model.checkpointRoots.indexOf(plan.roots());
        assertTrue(k >= 0, "roots of no checkpoint: " + context);
        assertEquals(Math.min(model.checkpointLastSeqs.get(k), plan.headSeq()), plan.lastSeq(),
                "lastSeq of checkpoint " + k + ": " + context);
    }
}
