package io.keelfs.fsck;

import io.keelfs.btree.Btree;
import io.keelfs.btree.BtreeSet;
import io.keelfs.btree.NodeCache;
import io.keelfs.btree.SlotNodeStore;
import io.keelfs.btree.TreeCheck;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.TreeSalvage;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.BtreeId;
import io.keelfs.format.Geometry;
import io.keelfs.format.NodePointer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

/**
 * Pass 3: every btree node as it is on disk (the roots the journal names), leaves included:
 * checksums, headers against their pointers (btree id, level, min and max key, sequence), key
 * order, children tiling their parent's range, pointers inside the node area, no slot reached
 * twice. Each damaged node is reported with its btree, level, range and offset, and the walk
 * goes on with the rest.
 *
 * <p>Repair (bcachefs check_topology drops an unreadable node and stretches its siblings over
 * the gap): a btree with damaged nodes is walked again to save the keys of every leaf still
 * readable, and {@link OpenPass} opens the engine with that btree rebuilt from them (see
 * {@link TreeSalvage}). The leaves under a damaged interior node, which no walk reaches, are
 * found by a {@link NodeScan} of the device (bcachefs scan_for_btree_nodes), run only when a
 * walk found such a node, and their keys join the rebuild; their slots stay in use like the
 * readable nodes' and their buckets count as node buckets. The keys of damaged leaves, and of
 * ranges the scan found no leaf for, are lost, and the later passes repair what that leaves
 * behind (alloc counts, backpointers, dangling dirents, unreachable inodes to /lost+found).
 * Without --repair the same rebuilt trees are only read, so the later passes report what the
 * repair would lose. The damaged nodes are reported at the end of the run: fixed once the
 * rebuilt trees were checkpointed ({@link ClosePass}).
 *
 * <p>Heap: the clean nodes read, handed to the engine of the filesystem passes (the cache
 * bound of an engine); the salvaged keys of the damaged btrees, found leaves' included (the
 * engine would hold them as dirty nodes until the first checkpoint anyway).
 */
final class TopologyPass implements FsckPass {
    /**
     * fsck's node cache (the engine's default is {@link EngineOptions#NODE_CACHE_BYTES_DEFAULT},
     * 128 MiB). The passes stream each btree in key order, once or twice, so a cache smaller
     * than the trees (1M files: about 1,500 nodes, several hundred MiB decoded) is swept by
     * every scan and saves little, while its nodes stay live beside the inode index in a
     * 512 MiB heap and make the collector copy them again and again. 32 MiB still holds the
     * interior nodes and the leaves that lookups (backpointer and symlink checks) revisit.
     * {@code -Dkeelfs.fsck.nodeCacheBytes=N} overrides it (benchmarks).
     */
    static final long NODE_CACHE_BYTES_DEFAULT = 32L << 20;

    static final String NAME = "topology";

    /** A damaged node, reported once the run knows whether its tree was rebuilt. */
    record Damaged(String place, String text) {}

    @Override
    public String name() {
        return NAME;
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
        // The engine of the filesystem passes starts with the nodes read here (PreRead).
        ctx.nodeCache = new NodeCache(Long.getLong("keelfs.fsck.nodeCacheBytes",
                NODE_CACHE_BYTES_DEFAULT));
        BtreeSet trees = BtreeSet.open(ctx.plan.roots(), store, ctx.nodeCache,
                g.nodeSizeBytes());
        Map<Long, BtreeId> seen = new HashMap<>();
        ctx.nodeBuckets = new java.util.BitSet();
        Map<BtreeId, List<Damaged>> damagedByTree = new EnumMap<>(BtreeId.class);
        List<NodeScan.Target> targets = new ArrayList<>();
        for (BtreeId id : BtreeId.values()) {
            List<Damaged> damaged = new ArrayList<>();
            TreeCheck.Result r = TreeCheck.walk(trees.tree(id), new TreeCheck.Sink() {
                @Override
                public void damaged(BtreeId btree, NodePointer ptr, KeelException error) {
                    damaged.add(new Damaged("btree " + btree + " level " + ptr.level() + " ["
                            + ptr.minKey() + ".." + ptr.maxKey() + "] @" + ptr.offsetBytes(),
                            error.getMessage()));
                    if (ptr.level() > 0) {
                        targets.add(new NodeScan.Target(btree, ptr));
                    }
                }

                @Override
                public void node(BtreeId btree, NodePointer ptr) {
                    ctx.nodeBuckets.set(Math.toIntExact(ptr.offsetBytes() / g.bucketSizeBytes()));
                }
            }, seen);
            if (id == BtreeId.INODES) {
                ctx.inodeKeys = r.keys();
            }
            ctx.report.nodes += r.nodes();
            ctx.report.keys += r.keys();
            if (ctx.options.verbose()) {
                ctx.report.info(String.format("topology: btree %s: %d nodes, %d keys, %d damaged",
                        id, r.nodes(), r.keys(), r.damaged()));
            }
            if (!damaged.isEmpty()) {
                damagedByTree.put(id, damaged);
            }
        }
        Map<BtreeId, NodeScan.Recovered> recovered = scan(ctx, g, targets, seen);
        for (Map.Entry<BtreeId, List<Damaged>> e : damagedByTree.entrySet()) {
            salvage(ctx, trees.tree(e.getKey()), seen, e.getValue(), recovered.get(e.getKey()));
        }
    }

    /**
     * Runs the node scan for the leaves under damaged interior nodes (none: no scan, so a
     * clean image or a damaged leaf costs nothing) and reports what it found.
     */
    private static Map<BtreeId, NodeScan.Recovered> scan(FsckContext ctx, Geometry g,
            List<NodeScan.Target> targets, Map<Long, BtreeId> seen) {
        if (targets.isEmpty()) {
            return Map.of();
        }
        NodeScan.Result result = NodeScan.run(ctx.device, g, ctx.plan, targets, seen.keySet());
        StringBuilder sb = new StringBuilder("topology: node scan for the leaves under ")
                .append(targets.size()).append(" damaged interior nodes: ");
        result.counts().appendTo(sb);
        if (result.stopped() != null) {
            sb.append("; ").append(result.stopped()).append(": nothing recovered");
        }
        ctx.report.info(sb.toString());
        return result.recovered();
    }

    /**
     * Saves the readable leaves' keys of a damaged tree for a rebuild, if the run may (-n
     * always: it only reads; --repair with a yes); else reports its nodes and marks the
     * topology damaged (the filesystem passes are then skipped).
     */
    private static void salvage(FsckContext ctx, Btree tree, Map<Long, BtreeId> seen,
            List<Damaged> damaged, NodeScan.Recovered found) {
        BtreeId id = tree.id();
        boolean rebuild = !ctx.options.repair() || ctx.options.assumeYes()
                || ctx.questioner.ask(NAME + ": btree " + id + " has " + damaged.size()
                        + " damaged nodes. Rebuild it from its readable leaves"
                        + (found == null ? "" : " and the " + found.offsets().length
                                + " leaves the node scan found under them")
                        + " (the other keys of the damaged nodes are lost)?");
        if (!rebuild) {
            for (Damaged d : damaged) {
                ctx.report.problem(NAME, "btree-node", d.place(), d.text()
                        + " (not fixed: answered no)");
            }
            ctx.topologyDamaged = true;
            return;
        }
        // Slots other trees reached stay out; this tree's own are walked again.
        Map<Long, BtreeId> others = new HashMap<>();
        seen.forEach((offset, owner) -> {
            if (owner != id) {
                others.put(offset, owner);
            }
        });
        List<Bkey> keys = new ArrayList<>();
        long[][] offsets = {new long[16]};
        int[] n = {0};
        TreeCheck.walk(tree, new TreeCheck.Sink() {
            @Override
            public void damaged(BtreeId btree, NodePointer ptr, KeelException error) {}

            @Override
            public void node(BtreeId btree, NodePointer ptr) {
                if (n[0] == offsets[0].length) {
                    offsets[0] = Arrays.copyOf(offsets[0], n[0] * 2);
                }
                offsets[0][n[0]++] = ptr.offsetBytes();
            }

            @Override
            public void key(BtreeId btree, Bkey key) {
                keys.add(key);
            }

            @Override
            public boolean wantsKeys() {
                return true;
            }
        }, others);
        long[] kept = Arrays.copyOf(offsets[0], n[0]);
        String scanned = "";
        if (found != null) {
            keys.addAll(found.keys());
            keys.sort(Comparator.comparing(Bkey::pos));
            kept = LongStream.concat(Arrays.stream(kept), Arrays.stream(found.offsets()))
                    .toArray();
            // The found leaves' buckets hold live nodes again (the alloc pass counts them).
            for (long offset : found.offsets()) {
                ctx.nodeBuckets.set(Math.toIntExact(offset / g(ctx).bucketSizeBytes()));
            }
            scanned = String.format("; the node scan found %d leaves (%d keys) under them%s",
                    found.offsets().length, found.keys().size(), found.gaps().isEmpty() ? ""
                            : ", not covering " + String.join(", ", found.gaps())
                                    + " (those keys are lost)");
        }
        ctx.salvaged.put(id, new TreeSalvage(keys, kept));
        ctx.damagedNodes.addAll(damaged);
        ctx.report.info(String.format("topology: btree %s: %d damaged nodes dropped%s; %s from"
                + " its readable%s leaves (%d keys)", id, damaged.size(), scanned,
                ctx.options.repair() ? "rebuilding it" : "checking it as rebuilt",
                found == null ? "" : " and found", keys.size()));
    }

    private static Geometry g(FsckContext ctx) {
        return ctx.superblock.geometry();
    }

    /**
     * Reports the damaged nodes of the rebuilt trees: fixed when the rebuilt trees were
     * written (a checkpoint of the repaired engine), else as problems left.
     */
    static void reportDamaged(FsckContext ctx) {
        for (Damaged d : ctx.damagedNodes) {
            if (ctx.topologyRepaired) {
                ctx.report.fixedProblem(NAME, "btree-node", d.place(), d.text()
                        + "; dropped, btree rebuilt from its readable leaves");
            } else {
                ctx.report.problem(NAME, "btree-node", d.place(), d.text());
            }
        }
        ctx.damagedNodes.clear();
    }
}
