package io.keelfs.btree;

import com.google.common.base.Preconditions;
import io.keelfs.error.KeelException;
import io.keelfs.error.TopologyException;
import io.keelfs.format.BtreeId;
import io.keelfs.format.NodePointer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The btrees of one filesystem, keyed by {@link BtreeId}, sharing one {@link NodeStore} and
 * one {@link NodeCache}.
 *
 * <p>Entry points: {@link #create}, {@link #open}, {@link #tree}, {@link #checkpoint} (all
 * roots, for the journal), {@link #markNodesUsed} (rebuilding the slot bitmap at open).
 *
 * <p>Thread-safety: as {@link Btree}: callers serialise mutations and checkpoints; concurrent
 * readers are allowed only under the caller's read lock.
 */
public final class BtreeSet {
    /** Duplicate slots listed in one message before it is cut short. */
    private static final int DUPLICATES_REPORTED_MAX = 16;

    private final EnumMap<BtreeId, Btree> trees = new EnumMap<>(BtreeId.class);

    private BtreeSet() {}

    /** Every btree, empty. */
    public static BtreeSet create(NodeStore store, NodeCache cache, int nodeSizeBytes) {
        return open(Map.of(), store, cache, nodeSizeBytes);
    }

    /** The trees with these roots; every btree without a root starts empty. */
    public static BtreeSet open(Map<BtreeId, NodePointer> roots, NodeStore store,
            NodeCache cache, int nodeSizeBytes) {
        BtreeSet set = new BtreeSet();
        for (BtreeId id : BtreeId.values()) {
            NodePointer root = roots.get(id);
            set.trees.put(id, root == null
                    ? Btree.empty(id, store, cache, nodeSizeBytes)
                    : Btree.open(id, root, store, cache, nodeSizeBytes));
        }
        return set;
    }

    public Btree tree(BtreeId id) {
        return Preconditions.checkNotNull(trees.get(id), "no btree %s", id);
    }

    /** Checkpoints every tree with {@code seq} (see {@link Btree#checkpoint}); the roots. */
    public Map<BtreeId, NodePointer> checkpoint(long seq) throws KeelException {
        EnumMap<BtreeId, NodePointer> roots = new EnumMap<>(BtreeId.class);
        for (Btree tree : trees.values()) {
            roots.put(tree.id(), tree.checkpoint(seq));
        }
        return Collections.unmodifiableMap(roots);
    }

    /**
     * Prepares a deferred checkpoint of every tree with {@code seq} (see
     * {@link Btree#prepareCheckpoint}); the roots. On a failure the nodes prepared so far are
     * in {@code writes}.
     */
    public Map<BtreeId, NodePointer> prepareCheckpoint(long seq, CheckpointWrites writes)
            throws KeelException {
        EnumMap<BtreeId, NodePointer> roots = new EnumMap<>(BtreeId.class);
        for (Btree tree : trees.values()) {
            roots.put(tree.id(), tree.prepareCheckpoint(seq, writes));
        }
        return Collections.unmodifiableMap(roots);
    }

    public boolean isDirty() {
        for (Btree tree : trees.values()) {
            if (tree.isDirty()) {
                return true;
            }
        }
        return false;
    }

    public long dirtyBytes() {
        long sum = 0;
        for (Btree tree : trees.values()) {
            sum += tree.dirtyBytes();
        }
        return sum;
    }

    /**
     * Marks the slot of every node reachable from the (clean) roots as used, reading interior
     * nodes only. A slot reached twice is a {@link TopologyException} listing the slots.
     */
    public void markNodesUsed(SlotNodeStore store) throws KeelException {
        List<Long> duplicates = new ArrayList<>();
        for (Btree tree : trees.values()) {
            if (tree.root() == null) {
                continue;
            }
            tree.forEachNodeOffset(offset -> {
                if (!store.markUsed(offset) && duplicates.size() < DUPLICATES_REPORTED_MAX) {
                    duplicates.add(offset);
                }
            });
            if (!duplicates.isEmpty()) {
                throw new TopologyException(String.format(
                        "btree %s: node slots %s are referenced twice (shown up to %d)",
                        tree.id(), duplicates, DUPLICATES_REPORTED_MAX), duplicates.get(0));
            }
        }
    }

    public void verify() throws KeelException {
        for (Btree tree : trees.values()) {
            tree.verify();
        }
    }

    public void appendTo(StringBuilder out) {
        for (Btree tree : trees.values()) {
            tree.appendTo(out);
        }
    }
}
