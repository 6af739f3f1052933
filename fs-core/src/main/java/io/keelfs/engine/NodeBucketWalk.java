package io.keelfs.engine;

import io.keelfs.block.BlockDevice;
import io.keelfs.btree.Btree;
import io.keelfs.btree.BtreeSet;
import io.keelfs.btree.NodeCache;
import io.keelfs.btree.SlotNodeStore;
import io.keelfs.error.KeelException;
import io.keelfs.error.TopologyException;
import io.keelfs.format.BtreeId;
import io.keelfs.format.Geometry;
import io.keelfs.format.NodePointer;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.LongConsumer;

/**
 * Walks every btree from the roots a journal names and records which node slots and buckets
 * hold live nodes, without marking anything in an engine: the read-only counterpart of
 * {@link BtreeSet#markNodesUsed}, which a read-only open skips.
 *
 * <p>Entry point: {@link #walk}. Reads interior nodes only, as mount does. A tree whose walk
 * fails (an unreadable or damaged interior node, a pointer outside the node slots, a slot
 * reached twice) is reported as {@link ImageReport.TreeState.Damaged} and the walk goes on
 * with the next tree. The walk of one tree stops at its first bad pointer, so a corrupt
 * interior node pointing many times at one child cannot make it run for ever.
 *
 * <p>Thread-safety: not thread-safe; one walk per instance.
 */
final class NodeBucketWalk {
    /** Clean-node cache of the walk: interior nodes only, each read once. */
    static final long NODE_CACHE_BYTES_MAX = 16L << 20;

    private final Geometry geometry;
    private final SlotNodeStore store;
    private final long nodeStartBytes;
    /** Node buckets holding at least one live node, indexed from the first node bucket. */
    private final BitSet nodeBuckets = new BitSet();
    /** Which tree reached each live node slot first; a second visit is a damaged tree. */
    private final Map<Long, BtreeId> owners = new HashMap<>();

    private NodeBucketWalk(BlockDevice device, Geometry geometry) {
        this.geometry = geometry;
        this.store = Engine.nodeStore(device, geometry, 0);
        this.nodeStartBytes = geometry.bucketOffsetBytes(geometry.firstNodeBucket());
    }

    /** What the walk found: each tree's state, and the node buckets in use. */
    record Result(Map<BtreeId, ImageReport.TreeState> trees, long btreeBucketCount,
            SortedSet<Long> nodeBuckets) {}

    /** Walks every tree of {@code roots}; a tree without a root is empty. */
    static Result walk(BlockDevice device, Geometry geometry, Map<BtreeId, NodePointer> roots) {
        NodeBucketWalk walk = new NodeBucketWalk(device, geometry);
        BtreeSet trees = BtreeSet.open(roots, walk.store,
                new NodeCache(NODE_CACHE_BYTES_MAX), geometry.nodeSizeBytes());
        EnumMap<BtreeId, ImageReport.TreeState> states = new EnumMap<>(BtreeId.class);
        for (BtreeId id : BtreeId.values()) {
            NodePointer root = roots.get(id);
            states.put(id, root == null
                    ? new ImageReport.TreeState.Empty()
                    : walk.walkTree(trees.tree(id), root));
        }
        TreeSet<Long> buckets = new TreeSet<>();
        long first = geometry.firstNodeBucket();
        walk.nodeBuckets.stream().forEach(i -> buckets.add(first + i));
        return new Result(states, walk.nodeBuckets.cardinality(), buckets);
    }

    private ImageReport.TreeState walkTree(Btree tree, NodePointer root) {
        Visitor visitor = new Visitor(tree.id());
        try {
            tree.forEachNodeOffset(visitor);
        } catch (KeelException e) {
            return new ImageReport.TreeState.Damaged(root, visitor.nodeCount, e);
        } catch (BadPointer e) {
            return new ImageReport.TreeState.Damaged(root, visitor.nodeCount, e.error);
        }
        return new ImageReport.TreeState.Walked(root, visitor.nodeCount);
    }

    /** Ends one tree's walk from inside the callback; carries the typed error. */
    private static final class BadPointer extends RuntimeException {
        final TopologyException error;

        BadPointer(TopologyException error) {
            super(error.getMessage(), null, false, false);
            this.error = error;
        }
    }

    /** Counts one tree's nodes and marks their buckets; throws BadPointer to stop. */
    private final class Visitor implements LongConsumer {
        private final BtreeId id;
        long nodeCount;

        Visitor(BtreeId id) {
            this.id = id;
        }

        @Override
        public void accept(long offsetBytes) {
            if (!store.isSlot(offsetBytes)) {
                throw new BadPointer(new TopologyException(String.format(
                        "btree %s: a node pointer names offset %d, which is not a node slot"
                                + " (%d-byte slots in buckets %d..%d)", id, offsetBytes,
                        geometry.nodeSizeBytes(), geometry.firstNodeBucket(),
                        geometry.endNodeBucket() - 1), offsetBytes));
            }
            BtreeId owner = owners.putIfAbsent(offsetBytes, id);
            if (owner != null) {
                throw new BadPointer(new TopologyException(String.format(
                        "btree %s: node slot at offset %d is reached twice (first from btree %s)",
                        id, offsetBytes, owner), offsetBytes));
            }
            nodeCount++;
            long bucket = (offsetBytes - nodeStartBytes) / geometry.bucketSizeBytes();
            nodeBuckets.set(Math.toIntExact(bucket));
        }
    }
}
