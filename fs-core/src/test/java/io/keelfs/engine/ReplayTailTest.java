package io.keelfs.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.journal.JournalEntry;
import io.keelfs.journal.JournalProblem;
import io.keelfs.journal.ReplayPlan;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Which journal entries the replay check is asked about, and how a rejected one cuts the plan:
 * only entries after the last FLUSH entry that has a successor; the cut keeps the entries
 * before the first rejected one, makes the last kept one the head, frees buckets that held
 * only dropped entries, and keeps the highest seq seen (so the writer jumps past them).
 */
class ReplayTailTest {
    /** Entries 1..6, lastSeq 1; FLUSH at 2 and 5; two entries per journal bucket. */
    private static ReplayPlan plan(long lastSeqOfFifthOn) {
        List<JournalEntry> entries = new ArrayList<>();
        List<Integer> buckets = new ArrayList<>();
        for (long s = 1; s <= 6; s++) {
            int flags = s == 2 || s == 5 ? JournalEntry.FLAG_FLUSH : 0;
            long lastSeq = s >= 5 ? lastSeqOfFifthOn : 1;
            entries.add(new JournalEntry(s, s - 1, lastSeq, flags, List.of(), Map.of()));
            buckets.add((int) ((s - 1) / 2));
        }
        return new ReplayPlan(entries, Map.of(), entries.get(5).lastSeq(), 6, 9, List.of(), 2,
                List.of(2L, 4L, 6L, 0L), buckets);
    }

    @Test
    void onlyTheUnprovenTailIsCheckedAndTheFirstRejectedEntryCutsIt() throws Exception {
        Set<Long> asked = new HashSet<>();
        List<String> messages = new ArrayList<>();
        ReplayPlan cut = ReplayTail.trim(plan(1), e -> {
            asked.add(e.seq());
            return e.seq() != 4;
        }, messages);
        // Entry 5 is FLUSH but the last proven one is 2 (5 has a successor, so 5 is proven
        // too): the unproven tail is just entry 6.
        assertEquals(Set.of(6L), asked);
        assertEquals(6, cut.headSeq(), "nothing rejected in the tail: plan unchanged");

        asked.clear();
        ReplayPlan cut2 = ReplayTail.trim(plan(1), e -> {
            asked.add(e.seq());
            return e.seq() != 6;
        }, messages);
        assertEquals(Set.of(6L), asked);
        assertEquals(5, cut2.headSeq());
        assertEquals(5, cut2.entries().size());
        assertEquals(2, cut2.headBucketIndex());
        assertEquals(List.of(2L, 4L, 5L, 0L), cut2.bucketSeqMax());
        assertEquals(9, cut2.highestSeqSeen(), "the writer must still jump past seq 9");
        JournalProblem p = cut2.problems().get(cut2.problems().size() - 1);
        assertEquals(JournalProblem.Kind.UNFLUSHED_TAIL, p.kind());
        assertEquals(6, p.seq());
    }

    @Test
    void aRejectedEntryBeforeACheckpointIsReplayedAndReported() throws Exception {
        // Entries 3..6, entry 3 FLUSH (proven by 4), entry 6 a checkpoint's FLUSH entry that
        // moved lastSeq to 3. The checkpoint flushed the device before writing entry 6, so
        // entry 4's data was durable: a rejection is damage, not a crash. Replay everything
        // and say so.
        List<JournalEntry> entries = new ArrayList<>();
        for (long s = 3; s <= 6; s++) {
            int flags = s == 3 || s == 6 ? JournalEntry.FLAG_FLUSH : 0;
            entries.add(new JournalEntry(s, s - 1, s == 6 ? 3 : 1, flags, List.of(), Map.of()));
        }
        ReplayPlan original = new ReplayPlan(entries, Map.of(), 3, 6, 6, List.of(), 1,
                List.of(4L, 6L), List.of(0, 0, 1, 1));
        List<String> messages = new ArrayList<>();
        ReplayPlan same = ReplayTail.trim(original, e -> e.seq() != 4, messages);
        assertSame(original, same);
        assertTrue(messages.get(0).contains("entry 4"), messages.toString());
    }

    @Test
    void noCheckLeavesThePlanAlone() throws Exception {
        ReplayPlan original = plan(1);
        assertSame(original, ReplayTail.trim(original, null, new ArrayList<>()));
    }
}
