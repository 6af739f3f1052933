package io.keelfs.btree;

import static io.keelfs.btree.BtreeFixture.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.error.DeviceIoException;
import io.keelfs.error.KeelException;
import io.keelfs.error.NoSpaceException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.format.NodeHeader;
import io.keelfs.format.NodePointer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Unit tests of one tree: lookups, splits and merges, iteration (also while mutating),
 * checkpoint and reopen, copy-on-write, the node cache bound, the slot store. Random inputs
 * use fixed seeds, printed. Not covered here: random action sequences (BtreeModelTest) and
 * damaged nodes (BtreeCorruptionTest, NodeCodecTest).
 */
class BtreeTest {
    private static final int NODE_BYTES = 4096;
    private static final long CACHE_BYTES = 64L << 20;

    private final BtreeFixture fx = new BtreeFixture(NODE_BYTES, 4096, CACHE_BYTES);

    private Btree emptyTree() {
        return Btree.empty(BtreeId.TEST0, fx.store, fx.cache, NODE_BYTES);
    }

    @Test
    void emptyTreeHasNoKeysAndNoRootUntilCheckpoint() throws KeelException {
        Btree tree = emptyTree();
        assertNull(tree.get(Bpos.MIN));
        assertNull(tree.get(Bpos.MAX));
        assertNull(tree.iterator(Bpos.MIN).next());
        assertNull(tree.iterator(Bpos.MAX).prev());
        assertNull(tree.root());
        assertTrue(tree.isDirty());
        NodePointer root = tree.checkpoint(1);
        assertEquals(root, tree.root());
        assertEquals(0, root.level());
        assertFalse(tree.isDirty());
        assertEquals(0, tree.dirtyBytes());
        assertNull(Btree.open(BtreeId.TEST0, root, fx.store, fx.cache, NODE_BYTES).get(Bpos.MIN));
    }

    @Test
    void putReplaceDelete() throws KeelException {
        Btree tree = emptyTree();
        tree.put(key(1, 2));
        assertEquals(key(1, 2), tree.get(Bpos.of(1, 2)));
        Bkey replacement = key(1, 2, 40);
        tree.put(replacement);
        assertEquals(replacement, tree.get(Bpos.of(1, 2)));
        tree.put(Bkey.deleted(Bpos.of(1, 2)));
        assertNull(tree.get(Bpos.of(1, 2)));
        tree.put(Bkey.deleted(Bpos.of(7, 7)));
        tree.put(new Bkey(Bpos.MAX, KeyType.BLOB, null));
        tree.put(new Bkey(Bpos.MIN, KeyType.BLOB, null));
        assertNotNull(tree.get(Bpos.MAX));
        assertNotNull(tree.get(Bpos.MIN));
        assertEquals(2, tree.countKeys());
    }

    @Test
    void unchangedPutsAndMissingDeletesDirtyNothing() throws KeelException {
        Btree tree = emptyTree();
        tree.put(key(1, 1));
        tree.checkpoint(1);
        tree.put(key(1, 1));
        tree.put(Bkey.deleted(Bpos.of(5, 5)));
        assertFalse(tree.isDirty());
    }

    @Test
    void oversizedKeyIsACallerMistake() {
        Btree tree = emptyTree();
        Bkey big = key(1, 1, tree.keyBytesMax() - Bkey.HEADER_BYTES + 1);
        assertThrows(IllegalArgumentException.class, () -> tree.put(big));
    }

    @Test
    void splitsIntoADeepTreeAndMergesBackToOneLeaf() throws KeelException {
        long seed = 42;
        System.out.println("BtreeTest.splitsIntoADeepTree seed " + seed);
        Random random = new Random(seed);
        Btree tree = emptyTree();
        TreeMap<Bpos, Bkey> model = new TreeMap<>();
        for (int i = 0; i < 20_000; i++) {
            Bkey k = key(random.nextInt(50), random.nextInt(1_000_000), random.nextInt(60));
            tree.put(k);
            model.put(k.pos(), k);
        }
        tree.verify();
        assertEquals(model.size(), tree.countKeys());
        assertTrue(tree.dirtyRoot.level >= 2, "depth " + tree.dirtyRoot.level);
        StringBuilder dump = new StringBuilder();
        tree.appendTo(dump);
        assertTrue(dump.toString().startsWith("btree TEST0: root null, "), dump::toString);
        assertTrue(dump.toString().contains("interior L" + tree.dirtyRoot.level + " [0:0:0.."),
                dump::toString);
        assertTrue(dump.toString().split("\n").length <= 203, "dump is bounded");
        System.out.println(dump.substring(0, dump.indexOf("\n", 400)));
        assertTrue(tree.stats().splits() > 100);
        List<Bpos> positions = new ArrayList<>(model.keySet());
        java.util.Collections.shuffle(positions, random);
        for (int i = 0; i < positions.size(); i++) {
            tree.put(Bkey.deleted(positions.get(i)));
            if (i % 2000 == 0) {
                tree.verify();
            }
        }
        tree.verify();
        assertEquals(0, tree.countKeys());
        assertEquals(0, tree.dirtyRoot.level, "an empty tree collapses to one leaf");
        assertEquals(1, tree.dirtyNodeCount());
        assertTrue(tree.stats().merges() > 100);
        assertTrue(tree.stats().rootCollapses() >= 2);
    }

    @Test
    void iteratorWalksBothWaysAndSeeks() throws KeelException {
        Btree tree = emptyTree();
        for (int i = 0; i < 3000; i++) {
            tree.put(key(i / 100, (i % 100) * 2L));
        }
        BtreeIterator it = tree.iterator(Bpos.MIN);
        int n = 0;
        Bkey previous = null;
        for (Bkey k = it.next(); k != null; k = it.next()) {
            assertTrue(previous == null || previous.compareTo(k) < 0);
            previous = k;
            n++;
        }
        assertEquals(3000, n);
        assertNull(it.peek());
        for (int i = 2999; i >= 0; i--) {
            assertEquals(key(i / 100, (i % 100) * 2L), it.prev());
        }
        assertNull(it.prev());
        it.seek(Bpos.of(5, 7));
        assertEquals(key(5, 8), it.peek());
        assertEquals(key(5, 8), it.next());
        assertEquals(key(5, 8), it.prev());
        assertEquals(key(5, 6), it.prev());
        it.seek(Bpos.of(29, 199));
        assertNull(it.next());
        assertEquals(key(29, 198), it.prev());
    }

    @Test
    void iteratorSeesChangesMadeBetweenCalls() throws KeelException {
        Btree tree = emptyTree();
        for (int i = 0; i < 2000; i++) {
            tree.put(key(1, i * 10L));
        }
        BtreeIterator it = tree.iterator(Bpos.MIN);
        int seen = 0;
        for (Bkey k = it.next(); k != null; k = it.next()) {
            long offset = k.pos().offset();
            assertEquals(0, offset % 10, "only original keys are ahead of the cursor: " + k);
            tree.put(Bkey.deleted(k.pos()));
            if (offset > 0) {
                tree.put(key(1, offset - 5)); // behind the cursor: not returned
            }
            tree.put(Bkey.deleted(Bpos.of(1, offset + 20))); // ahead: never returned
            seen++;
        }
        assertEquals(1000, seen);
        tree.verify();
        assertEquals(999, tree.countKeys());
    }

    @Test
    void checkpointReopenAndCopyOnWrite() throws KeelException {
        Btree tree = emptyTree();
        for (int i = 0; i < 5000; i++) {
            tree.put(key(2, i));
        }
        NodePointer first = tree.checkpoint(10);
        assertFalse(tree.isDirty());
        assertEquals(0, tree.dirtyNodeCount());
        int usedAfterFirst = fx.store.usedCount();
        tree.put(key(2, 77, 50));
        assertEquals(first.level() + 1, tree.dirtyNodeCount(), "one path is dirty");
        long ticket = fx.store.freedCount();
        NodePointer second = tree.checkpoint(11);
        assertEquals(first.level() + 1, fx.store.freedCount() - ticket, "old path freed");
        assertEquals(usedAfterFirst + first.level() + 1, fx.store.usedCount(),
                "old images stay in use until released");
        fx.cache.invalidateAll();
        Btree old = Btree.open(BtreeId.TEST0, first, fx.store, fx.cache, NODE_BYTES);
        assertEquals(key(2, 77), old.get(Bpos.of(2, 77)), "the first root is intact");
        fx.cache.invalidateAll();
        Btree reopened = Btree.open(BtreeId.TEST0, second, fx.store, fx.cache, NODE_BYTES);
        assertEquals(key(2, 77, 50), reopened.get(Bpos.of(2, 77)));
        assertEquals(5000, reopened.countKeys());
        fx.store.releasePending(fx.store.freedCount());
        assertEquals(usedAfterFirst, fx.store.usedCount());
        assertThrows(IllegalArgumentException.class, () -> reopened.checkpoint(11),
                "a reopened tree needs a newer seq");
        reopened.put(key(3, 3));
        NodePointer third = reopened.checkpoint(12);
        assertEquals(12, third.seq() >>> Btree.CHECKPOINT_SEQ_SHIFT);
        assertEquals(BtreeId.TEST0.id, (third.seq() >>> Btree.NODE_WRITE_COUNTER_BITS) & 15);
    }

    @Test
    void rebuiltSlotBitmapMatchesTheStore() throws KeelException {
        BtreeSet set = BtreeSet.create(fx.store, fx.cache, NODE_BYTES);
        for (int i = 0; i < 3000; i++) {
            set.tree(BtreeId.TEST0).put(key(1, i));
            set.tree(BtreeId.EXTENTS).put(key(2, i, 30));
        }
        Map<BtreeId, NodePointer> roots = set.checkpoint(5);
        fx.store.releasePending();
        SlotNodeStore rebuilt = new SlotNodeStore(fx.device,
                List.of(new SlotNodeStore.Range(NODE_BYTES, 4096L * NODE_BYTES)), NODE_BYTES);
        BtreeSet reopened = BtreeSet.open(roots, rebuilt, new NodeCache(CACHE_BYTES), NODE_BYTES);
        reopened.markNodesUsed(rebuilt);
        assertEquals(fx.store.usedCount(), rebuilt.usedCount());
        reopened.verify();
        rebuilt.verify();
    }

    @Test
    void nodeCacheStaysWithinItsWeight() throws KeelException {
        Btree tree = emptyTree();
        for (int i = 0; i < 20_000; i++) {
            tree.put(key(i % 7, i, 40));
        }
        NodePointer root = tree.checkpoint(1);
        NodeCache small = new NodeCache(64 * 1024);
        Btree reopened = Btree.open(BtreeId.TEST0, root, fx.store, small, NODE_BYTES);
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 20_000; i++) {
                assertEquals(key(i % 7, i, 40), reopened.get(Bpos.of(i % 7, i)));
                assertTrue(small.weightBytes() <= small.maximumWeightBytes());
            }
        }
        assertTrue(small.stats().evictionCount() > 100, small.toString());
        assertTrue(reopened.stats().nodeReads() > 1000);
        // Parents remember clean children only while the cache holds them: no evicted node is
        // held, so the remembered leaves stay within the bound.
        long rememberedLeafBytes = rememberedLeafBytes(reopened.rootNode());
        assertTrue(rememberedLeafBytes > 0, "leaves are remembered");
        assertTrue(rememberedLeafBytes <= small.maximumWeightBytes(),
                rememberedLeafBytes + " bytes of remembered leaves, " + small);
        small.invalidateAll();
        assertEquals(0, rememberedLeafBytes(reopened.rootNode()), "invalidateAll forgets all");
    }

    /** Heap bytes of the leaves that interior nodes remember, checking none is evicted. */
    private static long rememberedLeafBytes(Node node) {
        if (!(node instanceof InteriorNode interior)) {
            return 0;
        }
        long sum = 0;
        for (int i = 0; i < interior.count(); i++) {
            Node child = interior.rememberedChild(i);
            if (child == null) {
                continue;
            }
            assertFalse(child.evicted, "evicted node still remembered at " + child.onDisk);
            sum += child.isLeaf() ? child.heapBytes() : rememberedLeafBytes(child);
        }
        return sum;
    }

    @Test
    void slotStoreDefersFreesAndRunsOut() throws KeelException {
        BtreeFixture tiny = new BtreeFixture(NODE_BYTES, 4, CACHE_BYTES);
        SlotNodeStore store = tiny.store;
        long a = store.allocate();
        long b = store.allocate();
        long c = store.allocate();
        long d = store.allocate();
        assertEquals(4, List.of(a, b, c, d).stream().distinct().count());
        NoSpaceException full = assertThrows(NoSpaceException.class, store::allocate);
        assertTrue(full.getMessage().contains("4 slots"), full.getMessage());
        store.free(b);
        long ticket = store.freedCount();
        store.free(c);
        NoSpaceException pending = assertThrows(NoSpaceException.class, store::allocate);
        assertTrue(pending.getMessage().contains("2 freed"), pending.getMessage());
        store.releasePending(ticket);
        assertEquals(b, store.allocate());
        assertThrows(NoSpaceException.class, store::allocate);
        store.releasePending();
        assertEquals(c, store.allocate());
        store.free(d);
        assertThrows(IllegalStateException.class, () -> store.free(d), "double free");
        assertThrows(IllegalArgumentException.class, () -> store.free(d + 1));
        assertFalse(store.isSlot(0));
        assertFalse(store.isSlot(NODE_BYTES + 1));
        assertFalse(store.markUsed(a));
        store.verify();
    }

    @Test
    void checkpointOutOfSlotsFailsCleanly() throws KeelException {
        BtreeFixture tiny = new BtreeFixture(NODE_BYTES, 12, CACHE_BYTES);
        Btree tree = Btree.empty(BtreeId.TEST1, tiny.store, tiny.cache, NODE_BYTES);
        for (int i = 0; i < 1000; i++) {
            tree.put(key(1, i, 20));
        }
        assertTrue(tree.dirtyNodeCount() > 12, "dirty nodes " + tree.dirtyNodeCount());
        assertThrows(NoSpaceException.class, () -> tree.checkpoint(1));
        assertTrue(tree.isDirty());
        tiny.cache.invalidateAll(); // the children written before the failure come from disk
        tree.verify();
        for (int i = 0; i < 1000; i++) {
            assertEquals(key(1, i, 20), tree.get(Bpos.of(1, i)));
        }
        assertThrows(NoSpaceException.class, () -> tree.checkpoint(1));
        tree.verify();
    }

    @Test
    void failedCheckpointCanBeRetriedWithTheSameSeq() throws KeelException {
        FlakyNodeStore flaky = new FlakyNodeStore(fx.store);
        Btree tree = Btree.empty(BtreeId.TEST1, flaky, fx.cache, NODE_BYTES);
        for (int i = 0; i < 5000; i++) {
            tree.put(key(1, i, 20));
        }
        tree.checkpoint(3);
        for (int i = 0; i < 5000; i += 3) {
            tree.put(key(1, i, 30));
        }
        flaky.failAllocationsAfter = 10;
        assertThrows(NoSpaceException.class, () -> tree.checkpoint(4));
        flaky.failWritesAfter = 5;
        assertThrows(DeviceIoException.class, () -> tree.checkpoint(4));
        tree.verify();
        NodePointer root = tree.checkpoint(4);
        fx.cache.invalidateAll();
        Btree reopened = Btree.open(BtreeId.TEST1, root, fx.store, fx.cache, NODE_BYTES);
        for (int i = 0; i < 5000; i++) {
            assertEquals(key(1, i, i % 3 == 0 ? 30 : 20), reopened.get(Bpos.of(1, i)));
        }
        Set<Long> seqs = new HashSet<>();
        reopened.forEachNodeOffset(offset -> {
            try {
                seqs.add(NodeHeader.decodeFrom(fx.store.read(offset, NODE_BYTES)).seq());
            } catch (DeviceIoException e) {
                throw new AssertionError(e);
            }
        });
        List<Long> offsets = new ArrayList<>();
        reopened.forEachNodeOffset(offsets::add);
        assertEquals(offsets.size(), seqs.size(), "node seqs are unique");
    }

    @Test
    void concurrentReadersShareTheCacheSafely() throws Exception {
        Btree tree = emptyTree();
        for (int i = 0; i < 20_000; i++) {
            tree.put(key(i % 5, i, 30));
        }
        NodePointer root = tree.checkpoint(1);
        NodeCache small = new NodeCache(128 * 1024);
        Btree reader = Btree.open(BtreeId.TEST0, root, fx.store, small, NODE_BYTES);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 4; t++) {
            int first = t;
            threads.add(new Thread(() -> {
                try {
                    for (int i = first; i < 20_000; i += 3) {
                        assertEquals(key(i % 5, i, 30), reader.get(Bpos.of(i % 5, i)));
                    }
                    BtreeIterator it = reader.iterator(Bpos.of(first, 0));
                    for (int n = 0; n < 2000; n++) {
                        assertEquals(first, it.next().pos().inode());
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(List.of(), failures);
        assertTrue(small.stats().evictionCount() > 0);
    }

    /**
     * The heap figure of DESIGN's memory goal: one million keys with 64-byte values in
     * 256 KiB nodes, all dirty (the worst case: nothing written yet), then after a checkpoint
     * with a 32 MiB node cache (the device's own memory subtracted).
     */
    @Test
    void aMillionKeysWithSixtyFourByteValuesFitInTheHeapBudget() throws KeelException {
        int nodeBytes = 256 * 1024;
        int slots = 1200;
        BtreeFixture big = new BtreeFixture(nodeBytes, slots, 32L << 20);
        long before = usedHeapBytes();
        Btree tree = Btree.empty(BtreeId.EXTENTS, big.store, big.cache, nodeBytes);
        long seed = 1_000_000;
        System.out.println("BtreeTest.aMillionKeys seed " + seed);
        Random random = new Random(seed);
        long start = System.nanoTime();
        int count = 0;
        while (count < 1_000_000) {
            Bkey k = key(random.nextInt(1 << 16), random.nextInt(1 << 30), 64);
            if (tree.get(k.pos()) == null) {
                tree.put(k);
                count++;
            }
        }
        long putNanos = System.nanoTime() - start;
        long dirtyHeap = usedHeapBytes() - before;
        start = System.nanoTime();
        tree.checkpoint(1);
        long checkpointNanos = System.nanoTime() - start;
        long cleanHeap = usedHeapBytes() - before - big.device.allocatedBytes();
        System.out.printf("BtreeTest: 1M keys, 64-byte values, 256 KiB nodes: %.1f MiB heap dirty"
                        + " (%d bytes/key), %.1f MiB after checkpoint with a 32 MiB cache;"
                        + " puts %.2f s, checkpoint of %d nodes %.2f s%n",
                dirtyHeap / 1048576.0, dirtyHeap / count, cleanHeap / 1048576.0,
                putNanos / 1e9, tree.stats().nodeWrites(), checkpointNanos / 1e9);
        assertTrue(dirtyHeap < 160L << 20, "dirty heap " + dirtyHeap);
        assertTrue(cleanHeap < 64L << 20, "clean heap " + cleanHeap);
    }

    private static long usedHeapBytes() {
        java.lang.management.MemoryMXBean bean =
                java.lang.management.ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return bean.getHeapMemoryUsage().getUsed();
    }
}
