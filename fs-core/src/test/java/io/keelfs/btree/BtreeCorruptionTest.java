package io.keelfs.btree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.error.ChecksumException;
import io.keelfs.error.CorruptException;
import io.keelfs.error.KeelException;
import io.keelfs.error.TopologyException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.NodeHeader;
import io.keelfs.format.NodePointer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Damaged, misdirected and stale nodes under a checkpointed tree, read through a fresh cache.
 *
 * <p>Covered: a flipped byte anywhere in a node's used bytes is a {@link ChecksumException}
 * naming the btree, the node's level and its offset, for exactly the keys below that node;
 * a valid node copied over another slot, an older image of the same node (a lost write),
 * a root pointer to another btree's root, with the wrong level, or outside the node slots is a
 * {@link TopologyException} naming the btree, level, expected range and offset; random garbage
 * over random nodes never escapes as an unchecked exception and never yields a wrong answer.
 * Not covered: corruption of the journal's copy of the roots (the journal's tests).
 */
class BtreeCorruptionTest {
    private static final int NODE_BYTES = 4096;
    private static final int SLOTS = 2048;

    /**
     * A checkpointed tree of about 6000 keys (root at level 2) and its model, built once;
     * each test damages its own copy-on-write snapshot of the device.
     */
    private static final class Damaged {
        private static Damaged base;

        final MemoryBlockDevice device;
        final SlotNodeStore store;
        NodeCache cache = new NodeCache(8L << 20);
        final TreeMap<Bpos, Bkey> model;
        final NodePointer root;
        final NodePointer otherRoot;
        /** Every node of the TEST0 tree, root first. */
        final List<NodePointer> nodes;

        private Damaged(MemoryBlockDevice device, TreeMap<Bpos, Bkey> model, NodePointer root,
                NodePointer otherRoot, List<NodePointer> nodes) {
            this.device = device;
            this.store = new SlotNodeStore(device,
                    List.of(new SlotNodeStore.Range(NODE_BYTES, SLOTS * (long) NODE_BYTES)),
                    NODE_BYTES);
            this.model = new TreeMap<>(model);
            this.root = root;
            this.otherRoot = otherRoot;
            this.nodes = nodes;
        }

        static synchronized Damaged copy() throws KeelException {
            if (base == null) {
                base = build();
            }
            Damaged d = new Damaged(base.device.snapshot(), base.model, base.root,
                    base.otherRoot, base.nodes);
            BtreeSet.open(Map.of(BtreeId.TEST0, d.root, BtreeId.TEST1, d.otherRoot), d.store,
                    d.cache, NODE_BYTES).markNodesUsed(d.store);
            return d;
        }

        private static Damaged build() throws KeelException {
            MemoryBlockDevice device = new MemoryBlockDevice((SLOTS + 1L) * NODE_BYTES,
                    NODE_BYTES, "corruption base");
            Damaged empty = new Damaged(device, new TreeMap<>(), null, null, List.of());
            BtreeSet set = BtreeSet.create(empty.store, empty.cache, NODE_BYTES);
            TreeMap<Bpos, Bkey> model = new TreeMap<>();
            Random random = new Random(7);
            for (int i = 0; i < 6000; i++) {
                Bkey k = BtreeFixture.key(random.nextInt(9), random.nextInt(100_000), 40);
                set.tree(BtreeId.TEST0).put(k);
                model.put(k.pos(), k);
                set.tree(BtreeId.TEST1).put(BtreeFixture.key(1, i, 8));
            }
            Map<BtreeId, NodePointer> roots = set.checkpoint(1);
            List<NodePointer> nodes = new ArrayList<>();
            collect(set.tree(BtreeId.TEST0), roots.get(BtreeId.TEST0), true, nodes);
            return new Damaged(device, model, roots.get(BtreeId.TEST0),
                    roots.get(BtreeId.TEST1), List.copyOf(nodes));
        }

        private static void collect(Btree tree, NodePointer ptr, boolean isRoot,
                List<NodePointer> out) throws KeelException {
            out.add(ptr);
            if (ptr.level() > 0) {
                InteriorNode node = (InteriorNode) tree.load(ptr, isRoot);
                for (int i = 0; i < node.count(); i++) {
                    collect(tree, node.ptr(i), false, out);
                }
            }
        }

        /** The TEST0 tree reopened over a fresh cache, so every node is read from the device. */
        Btree tree() {
            cache = new NodeCache(8L << 20);
            return Btree.open(BtreeId.TEST0, root, store, cache, NODE_BYTES);
        }

        ByteBuffer readSlot(long offset) throws Exception {
            ByteBuffer b = ByteBuffer.allocate(NODE_BYTES);
            device.read(offset, b);
            return b.clear();
        }

        void writeSlot(long offset, ByteBuffer image) throws Exception {
            device.write(offset, image.duplicate().clear(), false);
        }
    }

    @Property(tries = 60)
    void aFlippedByteFailsExactlyTheKeysBelowTheNode(
            @ForAll @IntRange(min = 0, max = 100_000) int nodePick,
            @ForAll @IntRange(min = 0, max = 1 << 20) int bytePick,
            @ForAll @IntRange(min = 1, max = 255) int flip) throws Exception {
        Damaged d = Damaged.copy();
        NodePointer bad = d.nodes.get(nodePick % d.nodes.size());
        ByteBuffer image = d.readSlot(bad.offsetBytes());
        int used = NodeHeader.decodeFrom(image).usedBytes();
        int at = bytePick % used;
        image.put(at, (byte) (image.get(at) ^ flip));
        d.writeSlot(bad.offsetBytes(), image);
        Btree tree = d.tree();
        for (Bkey expected : d.model.values()) {
            boolean below = inRange(expected.pos(), bad);
            try {
                Bkey actual = tree.get(expected.pos());
                assertTrue(!below, () -> "read through damaged " + bad);
                assertEquals(expected, actual);
            } catch (KeelException e) {
                assertTrue(below, () -> "error outside " + bad + ": " + e);
                expectNamed(ChecksumException.class, e, bad);
            }
        }
        scanAndExpect(tree, d.model, ChecksumException.class, bad);
        KeelException e = assertThrows(KeelException.class, tree::verify);
        expectNamed(ChecksumException.class, e, bad);
        putsEitherApplyOrLeaveTheTreeUnchanged(tree, d, bad);
    }

    private static boolean inRange(Bpos pos, NodePointer node) {
        return pos.compareTo(node.minKey()) >= 0 && pos.compareTo(node.maxKey()) <= 0;
    }

    private static void expectNamed(Class<? extends CorruptException> type, KeelException e,
            NodePointer bad) {
        assertInstanceOf(type, e, e.toString());
        String m = e.getMessage();
        assertTrue(m.contains("btree TEST0 level " + bad.level()), m);
        assertTrue(m.contains("offset " + bad.offsetBytes()), m);
        assertTrue(m.contains("[" + bad.minKey() + ".." + bad.maxKey() + "]"), m);
        assertEquals(bad.offsetBytes(), ((CorruptException) e).offsetBytes());
    }

    /** A full scan returns the model's keys in order up to the damaged node, then its error. */
    private static void scanAndExpect(Btree tree, TreeMap<Bpos, Bkey> model,
            Class<? extends CorruptException> type, NodePointer bad) {
        BtreeIterator it = tree.iterator(Bpos.MIN);
        List<Bkey> seen = new ArrayList<>();
        try {
            for (Bkey k = it.next(); k != null; k = it.next()) {
                seen.add(k);
            }
        } catch (KeelException e) {
            expectNamed(type, e, bad);
            assertEquals(new ArrayList<>(model.headMap(bad.minKey()).values()), seen);
            return;
        }
        throw new AssertionError("scan passed damaged node " + bad);
    }

    private static void putsEitherApplyOrLeaveTheTreeUnchanged(Btree tree, Damaged d,
            NodePointer bad) throws KeelException {
        List<Bpos> positions = new ArrayList<>(d.model.keySet());
        for (int i = 0; i < positions.size(); i += 97) {
            Bpos pos = positions.get(i);
            Bkey update = i % 2 == 0 ? Bkey.deleted(pos) : BtreeFixture.key(1, 1, 3);
            try {
                tree.put(update);
                d.model.remove(update.pos());
                if (!update.isDeleted()) {
                    d.model.put(update.pos(), update);
                }
            } catch (KeelException e) {
                assertEquals(bad.offsetBytes(), ((CorruptException) e).offsetBytes(), e.toString());
            }
        }
        for (Bkey expected : d.model.values()) {
            if (!inRange(expected.pos(), bad)) {
                assertEquals(expected, tree.get(expected.pos()));
            }
        }
    }

    @Test
    void aValidNodeCopiedOverAnotherIsATopologyError() throws Exception {
        Damaged d = Damaged.copy();
        List<NodePointer> leaves = d.nodes.stream().filter(p -> p.level() == 0).toList();
        NodePointer victim = leaves.get(leaves.size() / 2);
        NodePointer source = leaves.get(leaves.size() / 2 + 1);
        d.writeSlot(victim.offsetBytes(), d.readSlot(source.offsetBytes()));
        Btree tree = d.tree();
        Bpos inside = d.model.ceilingKey(victim.minKey());
        KeelException e = assertThrows(KeelException.class, () -> tree.get(inside));
        expectNamed(TopologyException.class, e, victim);
        assertTrue(e.getMessage().contains("found btree TEST0 level 0 node [" + source.minKey()),
                e.getMessage());
        assertEquals(d.model.get(source.minKey()), tree.get(source.minKey()));
        scanAndExpect(tree, d.model, TopologyException.class, victim);
    }

    @Test
    void anOlderImageOfTheSameNodeIsATopologyError() throws Exception {
        Damaged d = Damaged.copy();
        Btree tree = d.tree();
        Bkey first = d.model.firstEntry().getValue();
        tree.put(BtreeFixture.key(first.pos().inode(), first.pos().offset(), 3));
        NodePointer oldLeaf = d.nodes.get(d.nodes.size() - 1);
        for (NodePointer p : d.nodes) {
            if (p.level() == 0 && inRange(first.pos(), p)) {
                oldLeaf = p;
            }
        }
        ByteBuffer oldImage = d.readSlot(oldLeaf.offsetBytes());
        NodePointer newRoot = tree.checkpoint(2);
        LeafNode newLeaf = tree.findLeaf(first.pos());
        NodePointer lost = newLeaf.onDisk;
        assertNotEquals(oldLeaf.offsetBytes(), lost.offsetBytes(), "copy-on-write");
        d.writeSlot(lost.offsetBytes(), oldImage); // the write of the new image was lost
        d.cache = new NodeCache(1 << 20);
        Btree reopened = Btree.open(BtreeId.TEST0, newRoot, d.store, d.cache, NODE_BYTES);
        KeelException e = assertThrows(KeelException.class, () -> reopened.get(first.pos()));
        expectNamed(TopologyException.class, e, lost);
        assertTrue(e.getMessage().contains("seq differ"), e.getMessage());
    }

    @Test
    void rootPointersToTheWrongPlaceAreTopologyErrors() throws Exception {
        Damaged d = Damaged.copy();
        Btree wrongTree = Btree.open(BtreeId.TEST0, d.otherRoot, d.store, d.cache,
                NODE_BYTES);
        KeelException e = assertThrows(KeelException.class, () -> wrongTree.get(Bpos.MIN));
        assertInstanceOf(TopologyException.class, e);
        assertTrue(e.getMessage().contains("expected btree TEST0"), e.getMessage());
        assertTrue(e.getMessage().contains("found btree TEST1"), e.getMessage());

        NodePointer r = d.root;
        NodePointer wrongLevel = new NodePointer(r.minKey(), r.maxKey(), r.offsetBytes(),
                r.seq(), r.crc32c(), r.level() + 1);
        e = assertThrows(KeelException.class, () -> open(d, wrongLevel).get(Bpos.MIN));
        expectNamed(TopologyException.class, e, wrongLevel);
        assertTrue(e.getMessage().contains("level differ"), e.getMessage());

        NodePointer nowhere = new NodePointer(r.minKey(), r.maxKey(), 0, r.seq(), r.crc32c(),
                r.level());
        e = assertThrows(KeelException.class, () -> open(d, nowhere).iterator(Bpos.MIN).next());
        assertInstanceOf(TopologyException.class, e);
        assertTrue(e.getMessage().contains("not a node slot"), e.getMessage());

        NodePointer partial = new NodePointer(Bpos.MIN, Bpos.of(5, 5), r.offsetBytes(), r.seq(),
                r.crc32c(), r.level());
        e = assertThrows(KeelException.class, () -> open(d, partial).put(BtreeFixture.key(1, 1)));
        assertInstanceOf(TopologyException.class, e);
        assertTrue(e.getMessage().contains("root of btree TEST0"), e.getMessage());

        NodePointer unwritten = new NodePointer(Bpos.MIN, Bpos.MAX, 2000L * NODE_BYTES, 1, 0, 0);
        e = assertThrows(KeelException.class, () -> open(d, unwritten).get(Bpos.MIN));
        expectNamed(ChecksumException.class, e, unwritten);
        assertTrue(e.getMessage().contains("bad magic"), e.getMessage());
    }

    private static Btree open(Damaged d, NodePointer root) {
        d.cache = new NodeCache(1 << 20);
        return Btree.open(BtreeId.TEST0, root, d.store, d.cache, NODE_BYTES);
    }

    /** Garbage over several nodes: only typed errors, and every answer given is right. */
    @Property(tries = 40)
    void garbageNeverEscapesUncheckedNorAnswersWrongly(@ForAll long seed) throws Exception {
        Damaged d = Damaged.copy();
        Random random = new Random(seed);
        for (int n = 0; n < 1 + random.nextInt(4); n++) {
            NodePointer victim = d.nodes.get(random.nextInt(d.nodes.size()));
            ByteBuffer image = d.readSlot(victim.offsetBytes());
            int from = random.nextInt(NODE_BYTES);
            int length = random.nextInt(Math.min(64, NODE_BYTES - from)) + 1;
            for (int i = from; i < from + length; i++) {
                image.put(i, random.nextBoolean() ? (byte) random.nextInt() : 0);
            }
            d.writeSlot(victim.offsetBytes(), image);
        }
        Btree tree = d.tree();
        int errors = 0;
        for (Bkey expected : d.model.values()) {
            try {
                assertEquals(expected, tree.get(expected.pos()));
            } catch (CorruptException e) {
                errors++;
            }
        }
        BtreeIterator it = tree.iterator(Bpos.MIN);
        Bpos cursor = Bpos.MIN;
        try {
            for (Bkey k = it.next(); k != null; k = it.next()) {
                assertEquals(d.model.ceilingKey(cursor), k.pos());
                assertEquals(d.model.get(k.pos()), k);
                cursor = k.pos().successor();
            }
        } catch (CorruptException e) {
            errors++;
        }
        try {
            assertEquals(d.model.size(), tree.countKeys());
        } catch (CorruptException e) {
            errors++;
        }
        System.out.println("BtreeCorruptionTest.garbage seed " + seed + ": " + errors
                + " typed errors");
    }
}
