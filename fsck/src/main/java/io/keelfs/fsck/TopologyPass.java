package io.keelfs.fsck;

import io.keelfs.btree.BtreeSet;
import io.keelfs.btree.NodeCache;
import io.keelfs.btree.SlotNodeStore;
import io.keelfs.btree.TreeCheck;
import io.keelfs.error.KeelException;
import io.keelfs.format.BtreeId;
import io.keelfs.format.Geometry;
import io.keelfs.format.NodePointer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Pass 3: every btree node as it is on disk (the roots the journal names), leaves included:
 * checksums, headers against their pointers (btree id, level, min and max key, sequence), key
 * order, children tiling their parent's range, pointers inside the node area, no slot reached
 * twice. Each damaged node is reported with its btree, level, range and offset, and the walk
 * goes on with the rest. Not repaired yet: a damaged node's keys are lost to the tree.
 */
final class TopologyPass implements FsckPass {
    /** Clean nodes kept while walking: each is read once, so this only bounds the heap. */
    static final long NODE_CACHE_BYTES_MAX = 32L << 20;

    @Override
    public String name() {
        return "topology";
    }

    @Override
    public void run(FsckContext ctx) throws KeelException {
        if (ctx.plan == null) {
            ctx.report.info("topology: skipped, the journal could not be read");
            return;
        }
        Geometry g = ctx.superblock.geometry();
        SlotNodeStore store = new SlotNodeStore(ctx.device, List.of(new SlotNodeStore.Range(
                g.bucketOffsetBytes(g.firstNodeBucket()),
                g.nodeBucketCount() * g.bucketSizeBytes())), g.nodeSizeBytes());
        BtreeSet trees = BtreeSet.open(ctx.plan.roots(), store,
                new NodeCache(NODE_CACHE_BYTES_MAX), g.nodeSizeBytes());
        Map<Long, BtreeId> seen = new HashMap<>();
        ctx.nodeBuckets = new java.util.BitSet();
        for (BtreeId id : BtreeId.values()) {
            TreeCheck.Result r = TreeCheck.walk(trees.tree(id), new TreeCheck.Sink() {
                @Override
                public void damaged(BtreeId btree, NodePointer ptr, KeelException error) {
                    ctx.report.problem(name(), "btree-node", "btree " + btree + " level "
                            + ptr.level() + " [" + ptr.minKey() + ".." + ptr.maxKey() + "] @"
                            + ptr.offsetBytes(), error.getMessage());
                    ctx.topologyDamaged = true;
                }

                @Override
                public void node(BtreeId btree, NodePointer ptr) {
                    ctx.nodeBuckets.set(Math.toIntExact(ptr.offsetBytes() / g.bucketSizeBytes()));
                }
            }, seen);
            ctx.report.nodes += r.nodes();
            ctx.report.keys += r.keys();
            if (ctx.options.verbose()) {
                ctx.report.info(String.format("topology: btree %s: %d nodes, %d keys, %d damaged",
                        id, r.nodes(), r.keys(), r.damaged()));
            }
        }
    }
}
