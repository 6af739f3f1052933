package io.keelfs.journal;

import io.keelfs.format.BtreeId;
import io.keelfs.format.NodePointer;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link JournalReader#read} decided to replay, and what it found wrong on the way.
 *
 * <p>The engine loads the btrees from {@link #roots}, then applies the key updates of
 * {@link #entries} in order. {@link JournalWriter#resume} continues the journal from here.
 *
 * @param entries the entries to replay, in seq order: every entry of the head's chain with
 *     seq in [lastSeq, headSeq]; consecutive entries are linked by prevSeq
 * @param roots btree roots stamped in the head entry (latest durable checkpoint)
 * @param lastSeq the head entry's lastSeq: replay starts here
 * @param headSeq the newest entry whose chain back to lastSeq is complete and valid
 * @param highestSeqSeen the highest seq of any valid entry, replayed or not
 * @param problems everything found wrong and handled, for reporting
 * @param headBucketIndex the journal bucket holding the head entry
 * @param bucketSeqMax for each journal bucket, the highest seq of a replayed entry in it,
 *     or 0 when it holds none (it may be reused)
 */
public record ReplayPlan(
        List<JournalEntry> entries,
        Map<BtreeId, NodePointer> roots,
        long lastSeq,
        long headSeq,
        long highestSeqSeen,
        List<JournalProblem> problems,
        int headBucketIndex,
        List<Long> bucketSeqMax,
        List<Integer> entryBuckets) {

    public ReplayPlan {
        entries = List.copyOf(entries);
        roots = roots.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(roots));
        problems = List.copyOf(problems);
        bucketSeqMax = List.copyOf(bucketSeqMax);
        entryBuckets = List.copyOf(entryBuckets);
        if (entryBuckets.size() != entries.size()) {
            throw new IllegalArgumentException(String.format(
                    "%d entry buckets for %d entries", entryBuckets.size(), entries.size()));
        }
        if (entries.isEmpty() || entries.get(entries.size() - 1).seq() != headSeq) {
            throw new IllegalArgumentException("replay plan must end with its head " + headSeq);
        }
        if (highestSeqSeen < headSeq) {
            throw new IllegalArgumentException(String.format(
                    "highest seq seen %d below head %d", highestSeqSeen, headSeq));
        }
    }

    /**
     * This plan cut to its first {@code keep} entries (an unacknowledged tail dropped): the
     * last kept entry becomes the head, with its roots. The highest seq seen stays as read, so
     * the writer jumps past the dropped seqs (their leftovers then lie inside the jump, which
     * the reader ignores, as after a torn tail); each bucket's seq is that of the kept entries
     * only, so a bucket holding nothing but dropped entries is free again.
     *
     * @throws IllegalArgumentException unless 1 <= keep < entries, and the kept head still
     *     needs nothing older than this plan's lastSeq
     */
    public ReplayPlan truncated(int keep, JournalProblem why) {
        if (keep < 1 || keep >= entries.size()) {
            throw new IllegalArgumentException("keep " + keep + " of " + entries.size());
        }
        JournalEntry newHead = entries.get(keep - 1);
        if (newHead.lastSeq() != lastSeq) {
            throw new IllegalArgumentException(String.format(
                    "entry %d needs lastSeq %d, the plan starts at %d", newHead.seq(),
                    newHead.lastSeq(), lastSeq));
        }
        List<JournalProblem> all = new java.util.ArrayList<>(problems);
        all.add(why);
        Long[] seqMax = new Long[bucketSeqMax.size()];
        java.util.Arrays.fill(seqMax, 0L);
        for (int i = 0; i < keep; i++) {
            int b = entryBuckets.get(i);
            seqMax[b] = Math.max(seqMax[b], entries.get(i).seq());
        }
        return new ReplayPlan(entries.subList(0, keep), newHead.roots(), lastSeq,
                newHead.seq(), highestSeqSeen, all, entryBuckets.get(keep - 1),
                java.util.Arrays.asList(seqMax), entryBuckets.subList(0, keep));
    }

    /** The head entry. */
    public JournalEntry head() {
        return entries.get(entries.size() - 1);
    }

    /**
     * Checks the chain: each entry's prevSeq is the entry before it, and the first entry is
     * lastSeq itself or, when lastSeq fell into a seq jump, the first entry above it.
     */
    public void verify() {
        for (int i = 1; i < entries.size(); i++) {
            JournalEntry prev = entries.get(i - 1);
            JournalEntry cur = entries.get(i);
            if (cur.prevSeq() != prev.seq()) {
                throw new IllegalStateException(String.format(
                        "replay plan chain broken: entry %d has prevSeq %d, previous entry is %d",
                        cur.seq(), cur.prevSeq(), prev.seq()));
            }
        }
        JournalEntry first = entries.get(0);
        if (first.seq() < lastSeq || (first.seq() > lastSeq && first.prevSeq() >= lastSeq)) {
            throw new IllegalStateException(String.format(
                    "replay plan starts at %d (prevSeq %d), not at lastSeq %d or the first "
                            + "entry after it", first.seq(), first.prevSeq(), lastSeq));
        }
    }

    public void appendTo(StringBuilder sb) {
        sb.append("replay plan: entries ").append(entries.get(0).seq()).append("..")
                .append(headSeq).append(" (").append(entries.size()).append("), lastSeq ")
                .append(lastSeq).append(", highest seen ").append(highestSeqSeen)
                .append(", head in bucket ").append(headBucketIndex)
                .append(", roots ").append(roots.keySet());
        for (JournalProblem p : problems) {
            sb.append("\n  ").append(p);
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        appendTo(sb);
        return sb.toString();
    }
}
