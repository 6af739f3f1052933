package io.keelfs.engine;

import io.keelfs.block.BlockDevice;
import io.keelfs.error.DeviceIoException;
import io.keelfs.error.KeelException;
import io.keelfs.error.SuperblockCorruptException;
import io.keelfs.format.BtreeId;
import io.keelfs.format.Geometry;
import io.keelfs.format.NodePointer;
import io.keelfs.format.Superblock;
import io.keelfs.journal.JournalProblem;
import io.keelfs.journal.JournalReader;
import io.keelfs.journal.ReplayPlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedSet;

/**
 * What an image holds, read without writing a byte: the superblock and which copy was used,
 * the journal position, each btree's root, and how many buckets each kind of data takes.
 * {@code keelfs show-super} prints it; fsck is meant to start from it.
 *
 * <p>Entry points: {@link #describe}, {@link #errors}, {@link #appendTo}.
 *
 * <p>How it reads, in order, each step only if the one before worked:
 * <ol>
 *   <li>the superblock as {@link Engine#open} reads it (newest valid copy; no valid copy is
 *       the one failure {@link #describe} throws);
 *   <li>the device against the superblock ({@link Engine#checkDevice}: truncated image, block
 *       size, unknown features), an error in {@link #deviceErrors};
 *   <li>the journal as mount reads it ({@link JournalReader#read} without truncation): a
 *       journal mount would refuse is {@link JournalState.Unreadable};
 *   <li>every btree from the journal's roots through interior nodes ({@link NodeBucketWalk});
 *       a damaged tree is {@link TreeState.Damaged} and the others are still walked.
 * </ol>
 * Leaves are not read (as at mount), so a damaged leaf shows only on use or in fsck.
 *
 * <p>Thread-safety: an immutable value; {@link #describe} reads on the caller's thread.
 *
 * @param deviceName the device as {@link BlockDevice#describe()} names it
 * @param deviceSizeBytes the device's size now (the superblock has the size at mkfs)
 * @param superblock the copy used and the copies that were not
 * @param deviceErrors why the device does not fit its superblock; empty when it does
 * @param journal the journal position, or why it is not known
 * @param trees every btree's state; empty when the journal was not read
 * @param buckets bucket counts by data type, from the superblock and the tree walk
 * @param allocRecordCounts buckets by the data type their alloc record names (lower-case type
 *     name to count, in the alloc package's type order); empty when the image has no alloc
 *     records or they were not read. The engine does not decode alloc records: the caller
 *     reads them (io.keelfs.alloc.AllocBucketCounts) and adds them with
 *     {@link #withAllocRecordCounts}.
 */
public record ImageReport(
        String deviceName, long deviceSizeBytes, SuperblockIo.ReadResult superblock,
        List<String> deviceErrors, JournalState journal, Map<BtreeId, TreeState> trees,
        BucketCounts buckets, Map<String, Long> allocRecordCounts) {

    public ImageReport {
        deviceErrors = List.copyOf(deviceErrors);
        allocRecordCounts = Collections.unmodifiableMap(new LinkedHashMap<>(allocRecordCounts));
        trees = trees.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(trees));
    }

    /** The journal as mount would replay it, or why that is not known. */
    public sealed interface JournalState {
        /**
         * @param headSeq newest entry of the complete chain: where the journal continues
         * @param lastSeq replay starts here (the head's last checkpoint)
         * @param entriesToReplay entries from lastSeq to the head
         * @param highestSeqSeen highest seq of any valid entry, replayed or not
         * @param problems what the reader found wrong and handled (a torn tail after a crash)
         */
        record Read(long headSeq, long lastSeq, int entriesToReplay, long highestSeqSeen,
                List<JournalProblem> problems) implements JournalState {
            public Read {
                problems = List.copyOf(problems);
            }
        }

        /** Mount would refuse this journal. */
        record Unreadable(KeelException error) implements JournalState {}

        /** Not read, because an earlier step failed. */
        record Skipped(String reason) implements JournalState {}
    }

    /** One btree as the journal's roots describe it. */
    public sealed interface TreeState {
        /** No root yet: no checkpoint has written this tree. */
        record Empty() implements TreeState {}

        /** Every interior node read back as expected; {@code nodeCount} includes leaves. */
        record Walked(NodePointer root, long nodeCount) implements TreeState {}

        /** The walk stopped at {@code error} after {@code nodesSeen} nodes. */
        record Damaged(NodePointer root, long nodesSeen, KeelException error)
                implements TreeState {}
    }

    /**
     * Buckets by what they hold; {@code btree} counts buckets with at least one live node.
     *
     * @param btreeComplete false when a tree could not be walked whole (or not at all): btree
     *     is then a lower bound and free an upper one
     */
    public record BucketCounts(long total, long superblock, long journal, long btree,
            boolean btreeComplete) {
        public long free() {
            return total - superblock - journal - btree;
        }
    }

    /**
     * Reads everything the report shows from a device (open it read-only); writes nothing.
     *
     * @throws SuperblockCorruptException no valid superblock copy: not a keelfs image
     * @throws DeviceIoException the superblock could not be read
     */
    public static ImageReport describe(BlockDevice device)
            throws SuperblockCorruptException, DeviceIoException {
        SuperblockIo.ReadResult read = SuperblockIo.read(device);
        Superblock sb = read.superblock();
        Geometry g = sb.geometry();
        long superblockBuckets = Arrays.stream(g.superblockOffsetsBytes())
                .map(offset -> offset / g.bucketSizeBytes()).distinct().count();
        long journalBuckets = sb.journalBuckets().length;
        List<String> deviceErrors = new ArrayList<>();
        try {
            Engine.checkDevice(device, sb);
        } catch (SuperblockCorruptException e) {
            deviceErrors.add(e.getMessage());
        }
        JournalState journal;
        NodeBucketWalk.Result walk = new NodeBucketWalk.Result(Map.of(), 0,
                new java.util.TreeSet<>());
        if (!deviceErrors.isEmpty()) {
            journal = new JournalState.Skipped("the device does not fit its superblock");
        } else {
            try {
                ReplayPlan plan = JournalReader.read(device, Engine.journalLayout(sb), false);
                journal = new JournalState.Read(plan.headSeq(), plan.lastSeq(),
                        plan.entries().size(), plan.highestSeqSeen(), plan.problems());
                walk = NodeBucketWalk.walk(device, g, plan.roots());
            } catch (KeelException e) {
                journal = new JournalState.Unreadable(e);
            }
        }
        boolean complete = journal instanceof JournalState.Read
                && walk.trees().values().stream().noneMatch(t -> t instanceof TreeState.Damaged);
        BucketCounts buckets = new BucketCounts(g.bucketCount(), superblockBuckets,
                journalBuckets, walk.btreeBucketCount(), complete);
        return new ImageReport(device.describe(), device.sizeBytes(), read, deviceErrors,
                journal, walk.trees(), buckets, Map.of());
    }

    /** This report with the alloc records' counts by data type (see the record comment). */
    public ImageReport withAllocRecordCounts(Map<String, Long> counts) {
        return new ImageReport(deviceName, deviceSizeBytes, superblock, deviceErrors, journal,
                trees, buckets, counts);
    }

    /**
     * The buckets holding nodes reachable from the roots the journal names (what a crash
     * leaves on disk), for tests and fsck. Reads only.
     *
     * @throws KeelException no valid superblock, a journal mount would refuse, or a tree
     *     that cannot be walked whole (the error of the first such tree)
     */
    public static SortedSet<Long> reachableNodeBuckets(BlockDevice device) throws KeelException {
        Superblock sb = SuperblockIo.read(device).superblock();
        Engine.checkDevice(device, sb);
        ReplayPlan plan = JournalReader.read(device, Engine.journalLayout(sb), false);
        NodeBucketWalk.Result walk = NodeBucketWalk.walk(device, sb.geometry(), plan.roots());
        for (TreeState state : walk.trees().values()) {
            if (state instanceof TreeState.Damaged d) {
                throw d.error();
            }
        }
        return walk.nodeBuckets();
    }

    /**
     * Everything that keeps the image from mounting as it is, one line each: device errors, a
     * journal mount would refuse, damaged trees. Superblock fallbacks and journal problems the
     * reader handled are warnings, not errors.
     */
    public List<String> errors() {
        List<String> errors = new ArrayList<>(deviceErrors);
        if (journal instanceof JournalState.Unreadable u) {
            errors.add("journal: " + text(u.error()));
        }
        trees.forEach((id, state) -> {
            if (state instanceof TreeState.Damaged d) {
                errors.add("btree " + name(id) + ": " + text(d.error()));
            }
        });
        return errors;
    }

    /** The whole report as show-super prints it; sections separated by blank lines. */
    public void appendTo(StringBuilder out) {
        Superblock sb = superblock.superblock();
        out.append("superblock of ").append(deviceName).append(" (")
                .append(copyName(sb.geometry(), superblock.offsetBytes())).append(")\n");
        sb.appendTo(out);
        for (String problem : superblock.problems()) {
            line(out, "warning", problem);
        }
        long tailBytes = deviceSizeBytes - sb.geometry().usedBytes();
        if (tailBytes > 0) {
            line(out, "unused tail", tailBytes + " bytes after the last whole bucket");
        }
        for (String error : deviceErrors) {
            line(out, "ERROR", error);
        }
        out.append('\n');
        appendJournal(out);
        out.append('\n');
        appendTrees(out);
        out.append('\n');
        appendBuckets(out);
    }

    private void appendJournal(StringBuilder out) {
        out.append("journal\n");
        if (journal instanceof JournalState.Read r) {
            line(out, "head seq", Long.toString(r.headSeq()));
            line(out, "last seq", Long.toString(r.lastSeq()));
            line(out, "entries to replay", Integer.toString(r.entriesToReplay()));
            line(out, "highest seq seen", Long.toString(r.highestSeqSeen()));
            line(out, "problems", r.problems().isEmpty() ? "none" : r.problems().size() + ":");
            for (JournalProblem p : r.problems()) {
                out.append("  ").append(p).append('\n');
            }
        } else if (journal instanceof JournalState.Unreadable u) {
            line(out, "ERROR", text(u.error()));
        } else if (journal instanceof JournalState.Skipped s) {
            line(out, "not read", s.reason());
        }
    }

    private void appendTrees(StringBuilder out) {
        out.append("btree roots\n");
        if (trees.isEmpty()) {
            line(out, "not known", "the journal, which holds the roots, was not read");
            return;
        }
        trees.forEach((id, state) -> line(out, name(id), text(state)));
    }

    private void appendBuckets(StringBuilder out) {
        out.append("buckets of ").append(superblock.superblock().geometry().bucketSizeBytes())
                .append(" bytes\n");
        line(out, "superblock", Long.toString(buckets.superblock()));
        line(out, "journal", Long.toString(buckets.journal()));
        String bound = buckets.btreeComplete() ? "" : " (at least: not every tree was walked)";
        line(out, "btree", buckets.btree() + bound);
        String freeBound = buckets.btreeComplete() ? "" : " (at most)";
        line(out, "free", buckets.free() + freeBound);
        line(out, "total", Long.toString(buckets.total()));
        if (!allocRecordCounts.isEmpty()) {
            out.append('\n').append("buckets by alloc record\n");
            allocRecordCounts.forEach((type, count) -> line(out, type, Long.toString(count)));
            line(out, "total", Long.toString(
                    allocRecordCounts.values().stream().mapToLong(Long::longValue).sum()));
        }
    }

    private static String text(TreeState state) {
        if (state instanceof TreeState.Walked w) {
            return text(w.root()) + "; " + nodes(w.nodeCount());
        }
        if (state instanceof TreeState.Damaged d) {
            return text(d.root()) + "; DAMAGED after " + nodes(d.nodesSeen()) + ": "
                    + text(d.error());
        }
        return "empty";
    }

    private static String nodes(long count) {
        return count + (count == 1 ? " node" : " nodes");
    }

    private static String text(NodePointer root) {
        return String.format("root at offset %d, level %d, seq %d",
                root.offsetBytes(), root.level(), root.seq());
    }

    /** The typed error: its kind and its message. */
    private static String text(KeelException error) {
        return error.getClass().getSimpleName() + ": " + error.getMessage();
    }

    private static String name(BtreeId id) {
        return id.name().toLowerCase(Locale.ROOT);
    }

    private static String copyName(Geometry g, long offsetBytes) {
        long[] offsets = g.superblockOffsetsBytes();
        String copy = offsetBytes == offsets[0] ? "copy A" : offsetBytes == offsets[1]
                ? "copy B" : "a copy";
        return copy + " at offset " + offsetBytes;
    }

    /** One "name: value" line, aligned like {@link Superblock#appendTo}. */
    private static void line(StringBuilder out, String name, String value) {
        out.append(String.format("%-22s", name + ":")).append(value).append('\n');
    }
}
