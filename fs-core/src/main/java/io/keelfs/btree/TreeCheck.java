package io.keelfs.btree;

import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.BtreeId;
import io.keelfs.format.NodePointer;
import java.util.HashMap;
import java.util.Map;

/**
 * fsck's topology walk: reads every node of a clean tree, leaves included, and reports each
 * damaged node (bad checksum, header not matching its pointer, keys out of order or outside
 * the node's range, a pointer outside the node slots, a slot reached twice) to a
 * {@link Sink}, then goes on with the node's siblings: one damaged node does not hide the rest
 * of the tree. The decode checks are {@link NodeCodec}'s, the same mount applies.
 *
 * <p>Entry point: {@link #walk}. Bounded: a tree is at most {@link #DEPTH_MAX} levels, and a
 * slot is visited once across all trees walked with the same {@code seenSlots} map, so a
 * corrupt pointer loop ends.
 *
 * <p>Thread-safety: one walk per thread; the tree must not change during it.
 */
public final class TreeCheck {
    /** No tree of 2^64 keys needs more levels with nodes of 4 KiB or more. */
    public static final int DEPTH_MAX = 32;

    /** Receives what the walk finds. */
    public interface Sink {
        /** A node that could not be used; its subtree is skipped. */
        void damaged(BtreeId btree, NodePointer ptr, KeelException error);

        /** A node that was read and checked. */
        default void node(BtreeId btree, NodePointer ptr) {}

        /** A live key of a leaf, in order; called only when {@link #wantsKeys}. */
        default void key(BtreeId btree, Bkey key) {}

        /**
         * Whether {@link #key} is to be called. A walk that only counts keys makes no key
         * objects (400k of them at 100k files, a tenth of a cold fsck's topology pass).
         */
        default boolean wantsKeys() {
            return false;
        }
    }

    /** Counts of one walk. */
    public record Result(long nodes, long keys, long damaged) {}

    private final Btree tree;
    private final Sink sink;
    private final Map<Long, BtreeId> seenSlots;
    private long nodes;
    private long keys;
    private long damaged;

    private TreeCheck(Btree tree, Sink sink, Map<Long, BtreeId> seenSlots) {
        this.tree = tree;
        this.sink = sink;
        this.seenSlots = seenSlots;
    }

    /**
     * Walks {@code tree}. {@code seenSlots} (offset to the tree that reached it first) is
     * shared by the walks of one image, so a slot two trees point at is found.
     */
    public static Result walk(Btree tree, Sink sink, Map<Long, BtreeId> seenSlots) {
        TreeCheck check = new TreeCheck(tree, sink, seenSlots);
        NodePointer root = tree.root();
        if (root != null) {
            check.visit(root, true, 0);
        }
        return new Result(check.nodes, check.keys, check.damaged);
    }

    /** A walk with its own slot map. */
    public static Result walk(Btree tree, Sink sink) {
        return walk(tree, sink, new HashMap<>());
    }

    private void visit(NodePointer ptr, boolean isRoot, int depth) {
        if (depth >= DEPTH_MAX) {
            report(ptr, new io.keelfs.error.TopologyException(String.format(
                    "btree %s: more than %d levels below the root at %s", tree.id(),
                    DEPTH_MAX, ptr), ptr.offsetBytes()));
            return;
        }
        BtreeId first = seenSlots.putIfAbsent(ptr.offsetBytes(), tree.id());
        if (first != null) {
            report(ptr, new io.keelfs.error.TopologyException(String.format(
                    "%s: the node slot is reached twice (first from btree %s)",
                    NodeCodec.describe(tree.id(), ptr), first), ptr.offsetBytes()));
            return;
        }
        if (!isRoot && ptr.level() == 0 && !sink.wantsKeys()) {
            // A leaf only to count: checked without building it (Btree#checkLeaf).
            int count;
            try {
                count = tree.checkLeaf(ptr);
            } catch (KeelException e) {
                report(ptr, e);
                return;
            }
            nodes++;
            sink.node(tree.id(), ptr);
            keys += count;
            return;
        }
        Node node;
        try {
            node = isRoot ? tree.rootNode() : tree.load(ptr, false);
        } catch (KeelException e) {
            report(ptr, e);
            return;
        }
        nodes++;
        sink.node(tree.id(), ptr);
        if (node instanceof LeafNode leaf) {
            keys += leaf.count();
            if (sink.wantsKeys()) {
                for (int i = 0; i < leaf.count(); i++) {
                    sink.key(tree.id(), leaf.key(i));
                }
            }
            return;
        }
        InteriorNode interior = (InteriorNode) node;
        for (int i = 0; i < interior.count(); i++) {
            visit(interior.ptr(i), false, depth + 1);
        }
    }

    private void report(NodePointer ptr, KeelException e) {
        damaged++;
        sink.damaged(tree.id(), ptr, e);
    }
}
