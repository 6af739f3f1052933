package io.keelfs.fsck;

import io.keelfs.block.BlockDevice;
import io.keelfs.btree.FoundNode;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.Geometry;
import io.keelfs.format.NodePointer;
import io.keelfs.journal.JournalEntry;
import io.keelfs.journal.ReplayPlan;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Map.Entry;
import java.util.Set;
import java.util.TreeMap;

/**
 * The node scan of the topology repair (bcachefs {@code scan_for_btree_nodes},
 * btree_node_scan.c): finds the leaves that lay under damaged interior nodes, which no walk
 * from the roots reaches, so that the rebuilt btree keeps their keys.
 *
 * <p>Entry point: {@link #run}, called by {@link TopologyPass} only when a walk found a damaged
 * node of level 1 or more (a clean image never pays for it).
 *
 * <p>The scan reads the first block of every node slot of every bucket that may hold nodes:
 * all buckets but the superblock and journal ones, since after damage the alloc records
 * saying which buckets are BTREE cannot be trusted (bcachefs reads every bucket, or those its
 * member btree bitmap marks). A slot whose header has the node magic and plausible fields, and
 * whose range lies inside a damaged subtree, is read whole and checked as any node read is
 * ({@link FoundNode#decodeKeys}: checksum, key order and range).
 *
 * <p>Which leaves a damaged subtree (pointer P, seq Sp) gets back, newest first:
 * <ol>
 *   <li>only leaves of P's btree whose range lies inside P's range: the live tree's readable
 *       nodes own everything else, and a leaf straddling P's bounds belongs to an older
 *       layout;
 *   <li>only seqs below Sp: a checkpoint writes children before their parent, and a rewritten
 *       child rewrites its parent, so every live node under P is older than P; a newer image in
 *       P's range was written after P (a checkpoint the journal never committed);
 *   <li>only checkpoints the journal committed: a node's checkpoint seq above the head entry,
 *       or inside a seq jump of the replayed chain (the writer skipped those seqs after an
 *       unclean shutdown: bcachefs blacklists them), is from a checkpoint whose roots never
 *       became durable;
 *   <li>not a slot the walks reached (that slot is a live node, or the damaged node itself);
 *   <li>newest wins: a leaf overlapping a newer accepted one is dropped whole (bcachefs trims
 *       it to the part the newer one does not cover; dropping is stricter: an older image
 *       overlapping a newer one was superseded by it, so its other keys are stale too). A
 *       damaged image whose header still passes rules 1 to 4 takes part as a blocker: it gives
 *       no keys, but an older image it overlaps is dropped all the same, since a damaged live
 *       leaf must not be replaced by the stale copy its rewrite left in a freed slot.
 * </ol>
 * What no accepted leaf covers is reported as a gap: those keys are lost, as before the scan.
 *
 * <p>Limits: a stale copy whose newer replacement left no readable header at all (slot
 * overwritten) fills that gap with older keys; nothing on the device says it was superseded.
 * Seq jumps older than the replayed chain are forgotten (no blacklist in the superblock), so
 * a cut-off checkpoint before them is not recognised by rule 3. Alloc family btrees are
 * scanned like the others (bcachefs reconstructs them instead); the alloc and backpointer
 * passes recount whatever comes back.
 *
 * <p>Bounds: {@link #SLOTS_MAX} slots read, {@link #CANDIDATES_MAX} candidate leaves kept.
 * Past either the scan recovers nothing (a partial scan could miss the newer image that
 * supersedes an older one it did find) and says so.
 *
 * <p>Heap: one header per candidate; the keys only of the accepted leaves, read again at the
 * end (the same bytes the rebuilt tree would hold anyway).
 *
 * <p>Thread-safety: one scan, one thread.
 */
final class NodeScan {
    /**
     * Slots read at most: 4M, a 1 TiB device of 256 KiB nodes, or 16 GiB of 4 KiB nodes. Each
     * costs one block read (4 KiB: 16 GiB read for the 1 TiB device).
     */
    static final long SLOTS_MAX = 1L << 22;
    /** Candidate leaves kept at most: 256k headers of about 120 bytes, 30 MiB. */
    static final int CANDIDATES_MAX = 1 << 18;
    /** Uncovered ranges one tree's message lists. */
    static final int GAPS_LISTED_MAX = 8;

    /** A damaged subtree to find leaves for. */
    record Target(BtreeId btree, NodePointer damaged) {}

    /**
     * What the scan gives one btree back.
     *
     * @param keys the accepted leaves' keys, in key order
     * @param offsets the accepted leaves' slots
     * @param gaps ranges of damaged subtrees no accepted leaf covers (up to
     *     {@link #GAPS_LISTED_MAX}), as text
     */
    record Recovered(List<Bkey> keys, long[] offsets, List<String> gaps) {}

    /** Counts of one scan, by outcome (STYLE.md section 3). */
    static final class Counts {
        long slotsRead;
        long unreadable;
        long headers;
        long interior;
        long outside;
        long notOlderThanParent;
        long uncommitted;
        long reachable;
        long invalid;
        long blocking;
        long overwritten;
        long accepted;

        void appendTo(StringBuilder sb) {
            sb.append(slotsRead).append(" slots read, ").append(headers)
                    .append(" node headers found; leaves accepted ").append(accepted)
                    .append("; rejected: ").append(interior).append(" interior, ")
                    .append(outside).append(" outside the damaged ranges, ")
                    .append(notOlderThanParent).append(" not older than the damaged node, ")
                    .append(uncommitted).append(" from uncommitted checkpoints, ")
                    .append(reachable).append(" reachable slots, ").append(invalid)
                    .append(" damaged (").append(blocking).append(" of them still blocking older")
                    .append(" copies), ").append(overwritten).append(" overwritten by newer")
                    .append("; ").append(unreadable).append(" slots unreadable");
        }
    }

    /** The outcome: per btree what was recovered; {@code stopped} non-null past a bound. */
    record Result(Map<BtreeId, Recovered> recovered, Counts counts, String stopped) {}

    private final BlockDevice device;
    private final Geometry g;
    private final ReplayPlan plan;
    private final Set<Long> reachable;
    private final Counts counts = new Counts();
    /** Candidates by target, in the targets' order. */
    private final List<List<FoundNode>> candidates = new ArrayList<>();
    private final List<Target> targets;
    /** Candidates whose image is damaged: blockers in {@link #choose}, never recovered. */
    private final Set<Long> damagedImages = new java.util.HashSet<>();
    private int candidateCount;

    private NodeScan(BlockDevice device, Geometry g, ReplayPlan plan, List<Target> targets,
            Set<Long> reachable) {
        this.device = device;
        this.g = g;
        this.plan = plan;
        this.targets = targets;
        this.reachable = reachable;
        for (int i = 0; i < targets.size(); i++) {
            candidates.add(new ArrayList<>());
        }
    }

    /**
     * Scans the device for the leaves of {@code targets} (damaged nodes of level 1 or more).
     *
     * @param reachable every slot the topology walks reached (live nodes and damaged ones)
     */
    static Result run(BlockDevice device, Geometry g, ReplayPlan plan, List<Target> targets,
            Set<Long> reachable) {
        NodeScan scan = new NodeScan(device, g, plan, targets, reachable);
        String stopped = scan.scan();
        if (stopped != null) {
            return new Result(Map.of(), scan.counts, stopped);
        }
        Map<BtreeId, List<FoundNode>> chosen = new EnumMap<>(BtreeId.class);
        Map<BtreeId, List<String>> gaps = new EnumMap<>(BtreeId.class);
        for (int i = 0; i < targets.size(); i++) {
            Target t = targets.get(i);
            List<FoundNode> leaves = scan.choose(scan.candidates.get(i));
            chosen.computeIfAbsent(t.btree(), k -> new ArrayList<>()).addAll(leaves);
            List<String> treeGaps = gaps.computeIfAbsent(t.btree(), k -> new ArrayList<>());
            addGaps(t.damaged(), leaves, treeGaps);
        }
        Map<BtreeId, Recovered> out = new EnumMap<>(BtreeId.class);
        for (Entry<BtreeId, List<FoundNode>> e : chosen.entrySet()) {
            out.put(e.getKey(), scan.readAccepted(e.getValue(), gaps.get(e.getKey())));
        }
        return new Result(out, scan.counts, null);
    }

    /** Reads every slot header; keeps the candidates. Returns why it stopped early, or null. */
    private String scan() {
        ByteBuffer head = ByteBuffer.allocate(Math.max(g.blockSizeBytes(),
                device.blockSizeBytes()));
        ByteBuffer image = ByteBuffer.allocate(g.nodeSizeBytes());
        int slotsPerBucket = g.nodesPerBucket();
        for (long b = g.firstNodeBucket(); b < g.endNodeBucket(); b++) {
            for (int s = 0; s < slotsPerBucket; s++) {
                if (counts.slotsRead == SLOTS_MAX) {
                    return String.format("stopped after %d slots (bound SLOTS_MAX) at bucket %d",
                            SLOTS_MAX, b);
                }
                long offset = g.bucketOffsetBytes(b) + (long) s * g.nodeSizeBytes();
                counts.slotsRead++;
                FoundNode found;
                try {
                    device.read(offset, head.clear());
                    found = FoundNode.ofHeader(head.clear(), offset);
                } catch (IOException e) {
                    counts.unreadable++;
                    continue;
                }
                if (found == null) {
                    continue;
                }
                counts.headers++;
                if (consider(found, image) && candidateCount == CANDIDATES_MAX) {
                    return String.format("stopped at %d candidate leaves (bound CANDIDATES_MAX)"
                            + " at bucket %d", CANDIDATES_MAX, b);
                }
            }
        }
        return null;
    }

    /** Applies rules 1 to 4 of the class comment; true if {@code found} became a candidate. */
    private boolean consider(FoundNode found, ByteBuffer image) {
        if (found.level() != 0) {
            counts.interior++;
            return false;
        }
        int target = targetOf(found);
        if (target < 0) {
            counts.outside++;
            return false;
        }
        if (found.seq() >= targets.get(target).damaged().seq()) {
            counts.notOlderThanParent++;
            return false;
        }
        if (!committed(found.checkpointSeq())) {
            counts.uncommitted++;
            return false;
        }
        if (reachable.contains(found.offsetBytes())) {
            counts.reachable++;
            return false;
        }
        try {
            device.read(found.offsetBytes(), image.clear());
            found.decodeKeys(image.clear());
        } catch (IOException | KeelException e) {
            counts.invalid++;
            damagedImages.add(found.offsetBytes());
        }
        candidates.get(target).add(found);
        candidateCount++;
        return true;
    }

    /** The target whose range holds {@code found}'s whole range, or -1. */
    private int targetOf(FoundNode found) {
        for (int i = 0; i < targets.size(); i++) {
            Target t = targets.get(i);
            NodePointer p = t.damaged();
            if (t.btree() == found.btree() && p.minKey().compareTo(found.minKey()) <= 0
                    && found.maxKey().compareTo(p.maxKey()) <= 0) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Whether the journal committed checkpoint seq {@code c}: not above the head entry, and
     * not inside a seq jump of the replayed chain (seqs the writer skipped after a crash).
     */
    private boolean committed(long c) {
        if (c > plan.headSeq()) {
            return false;
        }
        for (JournalEntry e : plan.entries()) {
            if (e.prevSeq() < c && c < e.seq()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Rule 5: newest first; a leaf overlapping an accepted (newer) one is dropped. Damaged
     * images are accepted as blockers, then left out of the result.
     */
    private List<FoundNode> choose(List<FoundNode> found) {
        found.sort(Comparator.comparingLong(FoundNode::seq).reversed());
        TreeMap<Bpos, FoundNode> accepted = new TreeMap<>();
        for (FoundNode f : found) {
            Entry<Bpos, FoundNode> below = accepted.floorEntry(f.maxKey());
            if (below != null && below.getValue().overlaps(f)) {
                counts.overwritten++;
                continue;
            }
            accepted.put(f.minKey(), f);
            if (damagedImages.contains(f.offsetBytes())) {
                counts.blocking++;
            } else {
                counts.accepted++;
            }
        }
        List<FoundNode> out = new ArrayList<>();
        for (FoundNode f : accepted.values()) {
            if (!damagedImages.contains(f.offsetBytes())) {
                out.add(f);
            }
        }
        return out;
    }

    /** The ranges of {@code damaged} that {@code leaves} (in key order, disjoint) leave out. */
    private static void addGaps(NodePointer damaged, List<FoundNode> leaves, List<String> gaps) {
        Bpos next = damaged.minKey();
        for (FoundNode f : leaves) {
            if (next != null && f.minKey().compareTo(next) > 0) {
                gap(gaps, next, f.minKey().predecessor());
            }
            next = f.maxKey().isMax() ? null : f.maxKey().successor();
        }
        if (next != null && next.compareTo(damaged.maxKey()) <= 0) {
            gap(gaps, next, damaged.maxKey());
        }
    }

    private static void gap(List<String> gaps, Bpos from, Bpos to) {
        if (gaps.size() < GAPS_LISTED_MAX) {
            gaps.add("[" + from + ".." + to + "]");
        }
    }

    /** Reads the accepted leaves again for their keys (in key order across targets). */
    private Recovered readAccepted(List<FoundNode> leaves, List<String> gaps) {
        leaves.sort(Comparator.comparing(FoundNode::minKey));
        ByteBuffer image = ByteBuffer.allocate(g.nodeSizeBytes());
        List<Bkey> keys = new ArrayList<>();
        long[] offsets = new long[leaves.size()];
        int n = 0;
        for (FoundNode f : leaves) {
            try {
                device.read(f.offsetBytes(), image.clear());
                keys.addAll(f.decodeKeys(image.clear()));
                offsets[n++] = f.offsetBytes();
            } catch (IOException | KeelException e) {
                // Read whole a moment ago: the device changed under fsck.
                counts.invalid++;
                counts.accepted--;
                gaps.add(f + " (unreadable on the second read: " + e.getMessage() + ")");
            }
        }
        return new Recovered(keys, java.util.Arrays.copyOf(offsets, n), gaps);
    }
}
