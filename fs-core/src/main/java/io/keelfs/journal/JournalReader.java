package io.keelfs.journal;

import io.keelfs.block.BlockDevice;
import io.keelfs.error.JournalCorruptException;
import io.keelfs.error.KeelException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads the journal at mount (and for fsck) and decides what to replay. Entry point:
 * {@link #read}.
 *
 * <p>Algorithm:
 * <ol>
 *   <li>Scan every bucket ({@link JournalScan}); collect valid entries by seq. Two different
 *       valid entries with one seq are a {@code DUPLICATE_SEQ} problem and that seq is unusable.
 *   <li>Head = the highest-seq valid entry whose chain is complete: following prevSeq links
 *       down from it reaches an entry with {@code seq <= lastSeq} or {@code prevSeq < lastSeq}
 *       (its own lastSeq) through valid entries only. The chain is what proves contiguity
 *       across the seq jump after a crash.
 *   <li>Valid entries above the head lie above a break. They prove that acknowledged data
 *       would be lost when one of them is a FLUSH entry F and a valid entry with a higher seq
 *       also exists: the writer issues nothing after F until F's flush has returned, so F and
 *       everything before it were durable, and the break is corruption. Then: a
 *       {@link JournalCorruptException} ("journal corrupt in the middle") naming the missing
 *       seq and the bucket, or with {@code allowTruncation} a {@code CORRUPT_MIDDLE} problem.
 *       Otherwise the entries above the break are a torn tail: cut, and reported as
 *       {@code TORN_TAIL}. (A FLUSH entry at the very top proves nothing: a crash may have
 *       come before its flush returned, so it was never acknowledged.)
 *   <li>Within one bucket, an entry whose seq is not above the previous entry's is stale data
 *       from an earlier lap if its seq is below the head's lastSeq, else a
 *       {@code SEQ_NOT_INCREASING} problem (and if it broke the chain, step 3 handled it).
 * </ol>
 *
 * <p>Never throws an unchecked exception on any device contents. Thread-safety: stateless.
 */
public final class JournalReader {
    private JournalReader() {}

    /** Reads the journal for mount: refuses a journal that lost acknowledged entries. */
    public static ReplayPlan read(BlockDevice device, JournalLayout layout) throws KeelException {
        return read(device, layout, false);
    }

    /**
     * Reads the journal.
     *
     * @param allowTruncation fsck repair: replay up to the last good entry even if acknowledged
     *     entries above a break are lost (reported), and skip unreadable buckets
     * @throws JournalCorruptException no valid entry at all, or (without allowTruncation)
     *     acknowledged entries above a missing or damaged one
     * @throws io.keelfs.error.DeviceIoException a bucket could not be read (no allowTruncation)
     */
    public static ReplayPlan read(BlockDevice device, JournalLayout layout, boolean allowTruncation)
            throws KeelException {
        JournalScan.Result scan = JournalScan.scan(device, layout, allowTruncation);
        List<JournalProblem> problems = new ArrayList<>();
        for (JournalScan.Unreadable u : scan.unreadable()) {
            problems.add(new JournalProblem(JournalProblem.Kind.BUCKET_UNREADABLE, -1,
                    u.bucketIndex(), u.deviceOffsetBytes(), "cannot read bucket: " + u.reason()));
        }
        Set<Long> conflicted = new HashSet<>();
        NavigableMap<Long, JournalScan.Located> bySeq = indexBySeq(scan, conflicted, problems);
        if (bySeq.size() == conflicted.size()) {
            throw new JournalCorruptException(String.format(
                    "no valid journal entry: not formatted or journal destroyed "
                            + "(%d buckets of %d bytes scanned, %d damaged entries, "
                            + "%d duplicate seqs)",
                    layout.bucketCount(), layout.bucketSizeBytes(), scan.damaged().size(),
                    conflicted.size()), -1);
        }
        JournalScan.Located head = findHead(bySeq, conflicted);
        long lastSeq = head.entry().lastSeq();
        handleAboveHead(bySeq, head, scan.damaged(), allowTruncation, problems);
        List<JournalScan.Located> chain = chainFrom(head, bySeq);
        reportOutOfOrder(scan.valid(), chain, problems);
        reportDamage(scan.damaged(), lastSeq, problems);
        List<JournalEntry> entries = new ArrayList<>(chain.size());
        List<Integer> entryBuckets = new ArrayList<>(chain.size());
        Long[] bucketSeqMax = new Long[layout.bucketCount()];
        Arrays.fill(bucketSeqMax, 0L);
        for (JournalScan.Located l : chain) {
            entries.add(l.entry());
            entryBuckets.add(l.bucketIndex());
            int b = l.bucketIndex();
            bucketSeqMax[b] = Math.max(bucketSeqMax[b], l.entry().seq());
        }
        return new ReplayPlan(entries, head.entry().roots(), lastSeq, head.entry().seq(),
                bySeq.lastKey(), problems, head.bucketIndex(), Arrays.asList(bucketSeqMax),
                entryBuckets);
    }

    /** Collects valid entries by seq; a seq found twice with different contents is unusable. */
    private static NavigableMap<Long, JournalScan.Located> indexBySeq(
            JournalScan.Result scan, Set<Long> conflicted, List<JournalProblem> problems) {
        NavigableMap<Long, JournalScan.Located> bySeq = new TreeMap<>();
        for (JournalScan.Located l : scan.valid()) {
            JournalScan.Located first = bySeq.putIfAbsent(l.entry().seq(), l);
            if (first == null || first.entry().equals(l.entry())) {
                continue;
            }
            conflicted.add(l.entry().seq());
            problems.add(new JournalProblem(JournalProblem.Kind.DUPLICATE_SEQ, l.entry().seq(),
                    l.bucketIndex(), l.deviceOffsetBytes(), String.format(
                            "seq %d also at bucket %d offset %d with different contents; "
                                    + "neither copy is used",
                            l.entry().seq(), first.bucketIndex(), first.deviceOffsetBytes())));
        }
        return bySeq;
    }

    /**
     * The highest usable entry whose chain is complete. {@code floor[s]} is the lowest entry
     * reachable from s by valid prevSeq links, computed in one ascending pass so that finding
     * the head is linear in the number of entries even when many candidates are broken.
     */
    private static JournalScan.Located findHead(
            NavigableMap<Long, JournalScan.Located> bySeq, Set<Long> conflicted)
            throws JournalCorruptException {
        Map<Long, JournalEntry> floor = new HashMap<>();
        for (JournalScan.Located l : bySeq.values()) {
            long prev = l.entry().prevSeq();
            boolean linked = bySeq.containsKey(prev) && !conflicted.contains(prev);
            floor.put(l.entry().seq(), linked ? floor.get(prev) : l.entry());
        }
        for (JournalScan.Located candidate : bySeq.descendingMap().values()) {
            long seq = candidate.entry().seq();
            if (conflicted.contains(seq)) {
                continue;
            }
            JournalEntry bottom = floor.get(seq);
            long lastSeq = candidate.entry().lastSeq();
            if (bottom.seq() <= lastSeq || bottom.prevSeq() < lastSeq) {
                return candidate;
            }
        }
        throw new JournalCorruptException(String.format(
                "no valid journal entry has a complete chain back to its lastSeq: %d valid "
                        + "entries, seqs %d..%d; the journal is destroyed",
                bySeq.size(), bySeq.firstKey(), bySeq.lastKey()), -1);
    }

    /** The head's chain down to its lastSeq, in seq order. */
    private static List<JournalScan.Located> chainFrom(
            JournalScan.Located head, NavigableMap<Long, JournalScan.Located> bySeq) {
        long lastSeq = head.entry().lastSeq();
        List<JournalScan.Located> chain = new ArrayList<>();
        JournalScan.Located e = head;
        // Bounded: seqs strictly decrease along prevSeq links (checked by the codec).
        while (true) {
            chain.add(e);
            JournalEntry entry = e.entry();
            if (entry.seq() <= lastSeq || entry.prevSeq() < lastSeq) {
                break;
            }
            e = bySeq.get(entry.prevSeq());
        }
        Collections.reverse(chain);
        return chain;
    }

    /** Decides whether the entries above the head are a torn tail or lost acknowledged data. */
    private static void handleAboveHead(NavigableMap<Long, JournalScan.Located> bySeq,
            JournalScan.Located head, List<JournalScan.Damage> damaged, boolean allowTruncation,
            List<JournalProblem> problems) throws JournalCorruptException {
        NavigableMap<Long, JournalScan.Located> above = bySeq.tailMap(head.entry().seq(), false);
        if (above.isEmpty()) {
            return;
        }
        long top = above.lastKey();
        JournalScan.Located provenFlush = null;
        for (JournalScan.Located l : above.values()) {
            if (l.entry().isFlush() && l.entry().seq() < top) {
                provenFlush = l;
            }
        }
        JournalScan.Located lowest = above.firstEntry().getValue();
        long missingSeq = lowest.entry().prevSeq();
        String where = describeMissing(missingSeq, lowest, damaged);
        if (provenFlush == null) {
            for (JournalScan.Located l : above.values()) {
                problems.add(new JournalProblem(JournalProblem.Kind.TORN_TAIL, l.entry().seq(),
                        l.bucketIndex(), l.deviceOffsetBytes(), String.format(
                                "cut: above head %d, %s; no acknowledged entry above the break",
                                head.entry().seq(), where)));
            }
            return;
        }
        String message = String.format(
                "journal corrupt in the middle: %s, yet flush entry %d (bucket %d, offset %d) "
                        + "was followed by entry %d, so it and everything before it had been "
                        + "durable; replaying would lose acknowledged entries %d..%d "
                        + "(last good entry %d in bucket %d); fsck can truncate the journal there",
                where, provenFlush.entry().seq(), provenFlush.bucketIndex(),
                provenFlush.deviceOffsetBytes(), top, lowest.entry().seq(),
                provenFlush.entry().seq(), head.entry().seq(), head.bucketIndex());
        if (!allowTruncation) {
            throw new JournalCorruptException(
                    message, offsetOfMissing(missingSeq, lowest, damaged));
        }
        problems.add(new JournalProblem(JournalProblem.Kind.CORRUPT_MIDDLE, missingSeq,
                lowest.bucketIndex(), offsetOfMissing(missingSeq, lowest, damaged),
                "truncated: " + message));
    }

    private static String describeMissing(
            long missingSeq, JournalScan.Located referrer, List<JournalScan.Damage> damaged) {
        StringBuilder sb = new StringBuilder();
        sb.append("seq ").append(missingSeq).append(" is missing or damaged (entry ")
                .append(referrer.entry().seq()).append(" in bucket ")
                .append(referrer.bucketIndex()).append(" at offset ")
                .append(referrer.deviceOffsetBytes()).append(" follows it");
        for (JournalScan.Damage d : damaged) {
            if (d.headerSeq() == missingSeq) {
                sb.append("; damaged entry claiming seq ").append(missingSeq)
                        .append(" in bucket ").append(d.bucketIndex()).append(" at offset ")
                        .append(d.deviceOffsetBytes()).append(": ").append(d.reason());
            }
        }
        return sb.append(')').toString();
    }

    private static long offsetOfMissing(
            long missingSeq, JournalScan.Located referrer, List<JournalScan.Damage> damaged) {
        for (JournalScan.Damage d : damaged) {
            if (d.headerSeq() == missingSeq) {
                return d.deviceOffsetBytes();
            }
        }
        return referrer.deviceOffsetBytes();
    }

    /**
     * Reports seqs that do not increase within a bucket and are neither stale (below lastSeq)
     * nor leftovers of a cut tail. A leftover is an entry off the chain whose seq lies inside
     * a seq jump of the chain (prevSeq < seq - 1): the writer that resumed after the crash
     * skipped those seqs (blacklisted them) and may have written new entries in front of the
     * leftovers in the bucket after the old head.
     */
    private static void reportOutOfOrder(List<JournalScan.Located> valid,
            List<JournalScan.Located> chain, List<JournalProblem> problems) {
        long lastSeq = chain.get(chain.size() - 1).entry().lastSeq();
        Set<JournalEntry> onChain = new HashSet<>();
        NavigableMap<Long, Long> jumps = new TreeMap<>();
        for (JournalScan.Located l : chain) {
            onChain.add(l.entry());
            if (l.entry().prevSeq() < l.entry().seq() - 1) {
                jumps.put(l.entry().prevSeq(), l.entry().seq());
            }
        }
        for (int i = 1; i < valid.size(); i++) {
            JournalScan.Located prev = valid.get(i - 1);
            JournalScan.Located cur = valid.get(i);
            long seq = cur.entry().seq();
            if (prev.bucketIndex() != cur.bucketIndex()
                    || seq > prev.entry().seq()
                    || seq < lastSeq) {
                continue;
            }
            Map.Entry<Long, Long> jump = jumps.lowerEntry(seq);
            boolean leftover = !onChain.contains(cur.entry())
                    && jump != null && seq < jump.getValue();
            if (leftover) {
                continue;
            }
            problems.add(new JournalProblem(JournalProblem.Kind.SEQ_NOT_INCREASING,
                    cur.entry().seq(), cur.bucketIndex(), cur.deviceOffsetBytes(), String.format(
                            "seq not increasing within bucket %d: entry %d at offset %d follows "
                                    + "entry %d at offset %d, and %d is not older than "
                                    + "lastSeq %d",
                            cur.bucketIndex(), cur.entry().seq(), cur.deviceOffsetBytes(),
                            prev.entry().seq(), prev.deviceOffsetBytes(), cur.entry().seq(),
                            lastSeq)));
        }
    }

    /** Reports damaged entries that may matter: those not older than the replayed range. */
    private static void reportDamage(
            List<JournalScan.Damage> damaged, long lastSeq, List<JournalProblem> problems) {
        for (JournalScan.Damage d : damaged) {
            if (Long.compareUnsigned(d.headerSeq(), lastSeq) < 0) {
                continue;
            }
            problems.add(new JournalProblem(JournalProblem.Kind.DAMAGED_ENTRY, d.headerSeq(),
                    d.bucketIndex(), d.deviceOffsetBytes(),
                    "damaged entry (torn write or corruption): " + d.reason()));
        }
    }
}
