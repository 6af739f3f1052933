package io.keelfs.btree;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.format.NodePointer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

/**
 * Model-based test of {@link Btree}: random action chains run against three trees sharing one
 * memory device, slot store and node cache, and against one {@code TreeMap} per tree.
 *
 * <p>Actions: put batches, runs of sequential puts, delete runs of existing keys, deletes and
 * gets of random positions, range scans both ways, iteration interleaved with puts and deletes
 * (checked against a model cursor), checkpoint (followed by releasing the freed slots, as the
 * engine does once the roots are journaled), reopen from freshly checkpointed roots with a new
 * or the same cache, and revert: reopen from the last checkpoint's roots, dropping everything
 * since (what recovery does before journal replay). After every action the touched tree is
 * verified and compared in full with its model; after reopen and revert the slot bitmap is
 * rebuilt from the roots and must equal the store's. Node size 4 KiB so trees reach three or
 * four levels and split and merge often; action weights vary per try (swarm testing).
 *
 * <p>Not covered: damaged nodes (BtreeCorruptionTest), concurrent readers, real devices.
 * The seed is printed by jqwik after each run; replay with {@code @Property(seed = "...")}.
 */
class BtreeModelTest {
    private static final int NODE_BYTES = 4096;
    private static final int SLOTS = 16384;
    private static final BtreeId[] IDS = {BtreeId.TEST0, BtreeId.TEST1, BtreeId.EXTENTS};
    private static final LongAdder OPS = new LongAdder();
    private static final LongAdder ACTIONS = new LongAdder();
    private static final LongAdder SPLITS = new LongAdder();
    private static final LongAdder MERGES = new LongAdder();
    private static final LongAdder REDISTRIBUTIONS = new LongAdder();
    private static final LongAdder COLLAPSES = new LongAdder();
    private static final LongAdder READS = new LongAdder();
    private static final LongAdder WRITES = new LongAdder();
    private static final AtomicInteger LEVEL_MAX_SEEN = new AtomicInteger();

    @Property(tries = 30)
    void btreeMatchesTreeMap(@ForAll("chains") ActionChain<Harness> chain) {
        Harness end = chain.withInvariant("touched tree equals its model", Harness::check).run();
        end.dropTrees();
    }

    @AfterContainer
    static void report() {
        System.out.printf("BtreeModelTest: %d actions, %d btree operations; %d splits, %d merges,"
                        + " %d redistributions, %d root collapses, %d node reads, %d writes,"
                        + " deepest root level %d%n", ACTIONS.sum(), OPS.sum(), SPLITS.sum(),
                MERGES.sum(), REDISTRIBUTIONS.sum(), COLLAPSES.sum(), READS.sum(),
                WRITES.sum(), LEVEL_MAX_SEEN.get());
    }

    @Provide
    Arbitrary<ActionChain<Harness>> chains() {
        return Arbitraries.integers().between(1, 10).list().ofSize(11).flatMap(w -> ActionChain
                .<Harness>startWith(Harness::new)
                .withAction(w.get(0), independent(putBatch()))
                .withAction(w.get(1), independent(putRun()))
                .withAction(w.get(2), independent(deleteRun()))
                .withAction(w.get(3), independent(randomDeletesAndGets()))
                .withAction(w.get(4), independent(rangeScan()))
                .withAction(w.get(5), independent(iterateWhileMutating()))
                .withAction(Math.max(1, w.get(6) / 3), independent(checkpoint()))
                .withAction(Math.max(1, w.get(7) / 4), independent(reopen()))
                .withAction(Math.max(1, w.get(8) / 4), independent(revert()))
                .withAction(Math.max(1, w.get(9) / 3), independent(largeValues()))
                .withAction(Math.max(1, w.get(10) / 5), independent(bulkGrow()))
                .withMaxTransformations(120));
    }

    // ---- The system under test and its model ---------------------------------------------

    /** Three trees, their models, and the last checkpoint's roots and model snapshots. */
    static final class Harness {
        final BtreeFixture fx = new BtreeFixture(NODE_BYTES, SLOTS, 8L << 20);
        final Btree[] trees = new Btree[IDS.length];
        final List<TreeMap<Bpos, Bkey>> models = new ArrayList<>();
        Map<BtreeId, NodePointer> durableRoots = new EnumMap<>(BtreeId.class);
        List<TreeMap<Bpos, Bkey>> durableModels = new ArrayList<>();
        long seq = 1;
        int touched;

        Harness() {
            for (int t = 0; t < IDS.length; t++) {
                trees[t] = Btree.empty(IDS[t], fx.store, fx.cache, NODE_BYTES);
                models.add(new TreeMap<>());
            }
        }

        void put(int t, Bkey key) throws KeelException {
            OPS.increment();
            trees[t].put(key);
            if (key.isDeleted()) {
                models.get(t).remove(key.pos());
            } else {
                models.get(t).put(key.pos(), key);
            }
        }

        void get(int t, Bpos pos) throws KeelException {
            OPS.increment();
            assertEquals(models.get(t).get(pos), trees[t].get(pos), () -> "get " + pos);
        }

        /** Checkpoints every tree; the engine journals the roots, then releases the frees. */
        void checkpoint() throws KeelException {
            long ticket;
            long s = seq++;
            Map<BtreeId, NodePointer> roots = new EnumMap<>(BtreeId.class);
            for (Btree tree : trees) {
                roots.put(tree.id(), tree.checkpoint(s));
            }
            ticket = fx.store.freedCount();
            durableRoots = roots;
            durableModels = new ArrayList<>();
            for (TreeMap<Bpos, Bkey> m : models) {
                durableModels.add(new TreeMap<>(m));
            }
            fx.store.releasePending(ticket);
        }

        /** Adds the trees' counters to the run's totals; the trees are not used again. */
        void dropTrees() {
            for (Btree tree : trees) {
                Btree.Stats s = tree.stats();
                SPLITS.add(s.splits());
                MERGES.add(s.merges());
                REDISTRIBUTIONS.add(s.redistributions());
                COLLAPSES.add(s.rootCollapses());
                READS.add(s.nodeReads());
                WRITES.add(s.nodeWrites());
            }
        }

        /** Drops the in-memory trees and opens the durable roots (the last checkpoint). */
        void reopenDurable(boolean newCache, boolean tinyCache) throws KeelException {
            dropTrees();
            if (newCache) {
                fx.cache = new NodeCache(tinyCache ? 16 * 1024 : 8L << 20);
            }
            for (int t = 0; t < IDS.length; t++) {
                NodePointer root = durableRoots.get(IDS[t]);
                trees[t] = root == null
                        ? Btree.empty(IDS[t], fx.store, fx.cache, NODE_BYTES)
                        : Btree.open(IDS[t], root, fx.store, fx.cache, NODE_BYTES);
                models.set(t, root == null ? new TreeMap<>() : new TreeMap<>(
                        durableModels.get(t)));
            }
            checkSlotBitmap();
        }

        /** Rebuilding the bitmap from the roots gives exactly the slots the store has in use. */
        private void checkSlotBitmap() throws KeelException {
            SlotNodeStore rebuilt = new SlotNodeStore(fx.device, List.of(new SlotNodeStore.Range(
                    NODE_BYTES, (long) SLOTS * NODE_BYTES)), NODE_BYTES);
            BtreeSet.open(durableRoots, rebuilt, new NodeCache(1 << 20), NODE_BYTES)
                    .markNodesUsed(rebuilt);
            assertEquals(0, fx.store.pendingCount());
            assertEquals(fx.store.usedCount(), rebuilt.usedCount(), "slot leak or double use");
        }

        void check() {
            try {
                fx.store.verify();
                Btree tree = trees[touched];
                tree.verify();
                LEVEL_MAX_SEEN.accumulateAndGet(tree.rootNode().level, Math::max);
                Iterator<Bkey> expected = models.get(touched).values().iterator();
                BtreeIterator it = tree.iterator(Bpos.MIN);
                for (Bkey k = it.next(); k != null; k = it.next()) {
                    assertEquals(expected.hasNext() ? expected.next() : null, k);
                }
                assertEquals(false, expected.hasNext(), "tree ends early");
            } catch (KeelException e) {
                throw new AssertionError(e);
            }
        }
    }

    // ---- Actions -----------------------------------------------------------------------------

    @FunctionalInterface
    interface Step {
        void run(Harness h) throws KeelException;
    }

    private static Transformer<Harness> step(String description, Step step) {
        return Transformer.mutate(description, h -> {
            ACTIONS.increment();
            try {
                step.run(h);
            } catch (KeelException e) {
                throw new AssertionError(description, e);
            }
        });
    }

    private static Action.Independent<Harness> independent(
            Arbitrary<Transformer<Harness>> transformers) {
        return () -> transformers;
    }

    private static Arbitrary<Integer> treeIndex() {
        return Arbitraries.integers().between(0, IDS.length - 1);
    }

    /** Mostly a small domain (hits and neighbours), sometimes extremes of every field. */
    static Arbitrary<Bpos> positions() {
        Arbitrary<Long> inode = Arbitraries.frequencyOf(
                Tuple.of(30, Arbitraries.longs().between(0, 12)),
                Tuple.of(1, Arbitraries.of(-1L, Long.MIN_VALUE, Long.MAX_VALUE)));
        Arbitrary<Long> offset = Arbitraries.frequencyOf(
                Tuple.of(30, Arbitraries.longs().between(0, 2000)),
                Tuple.of(1, Arbitraries.of(-1L, Long.MIN_VALUE, 1L << 40)));
        Arbitrary<Integer> snapshot = Arbitraries.frequencyOf(
                Tuple.of(20, Arbitraries.just(0)),
                Tuple.of(4, Arbitraries.just(1)), // (i, o, 1) is the successor of (i, o, 0)
                Tuple.of(1, Arbitraries.of(-1, Integer.MIN_VALUE)));
        return Combinators.combine(inode, offset, snapshot).as(Bpos::new);
    }

    static Arbitrary<byte[]> values(int maxBytes) {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(maxBytes);
    }

    private static Arbitrary<Transformer<Harness>> putBatch() {
        Arbitrary<Bkey> keys = Combinators.combine(positions(), values(100))
                .as((p, v) -> new Bkey(p, KeyType.BLOB, v));
        return Combinators.combine(treeIndex(), keys.list().ofMaxSize(40)).as((t, batch) ->
                step("put " + batch.size() + " keys in " + IDS[t], h -> {
                    h.touched = t;
                    for (Bkey k : batch) {
                        h.put(t, k);
                        h.get(t, k.pos());
                    }
                }));
    }

    /** A run of keys at consecutive offsets, or at consecutive positions (dense). */
    private static Arbitrary<Transformer<Harness>> putRun() {
        Arbitrary<Integer> sizes = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.integers().between(0, 60)),
                Tuple.of(1, Arbitraries.integers().between(300, 1006 - Bkey.HEADER_BYTES)));
        return Combinators.combine(treeIndex(), positions(), Arbitraries.integers().between(1, 400),
                sizes, Arbitraries.of(true, false)).as((t, from, n, valueBytes, dense) ->
                step("put " + (dense ? "dense " : "") + "run of " + n + " in " + IDS[t]
                        + " from " + from, h -> {
                    h.touched = t;
                    Bpos p = from;
                    for (int i = 0; i < n && p != null; i++) {
                        h.put(t, new Bkey(p, KeyType.BLOB, BtreeFixture.key(
                                p.inode(), p.offset(), valueBytes).value()));
                        if (dense) {
                            p = p.isMax() ? null : p.successor();
                        } else {
                            p = new Bpos(p.inode(), p.offset() + 1, p.snapshot());
                        }
                    }
                }));
    }

    /** Thousands of large keys at once: enough leaves for a root at level 3 or 4. */
    private static Arbitrary<Transformer<Harness>> bulkGrow() {
        return Combinators.combine(treeIndex(), Arbitraries.longs().between(100, 200),
                Arbitraries.integers().between(500, 2000)).as((t, inode, n) ->
                step("grow " + IDS[t] + " by " + n + " large keys at inode " + inode, h -> {
                    h.touched = t;
                    for (int i = 0; i < n; i++) {
                        h.put(t, BtreeFixture.key(inode, i, 900 + i % 80));
                    }
                }));
    }

    private static Arbitrary<Transformer<Harness>> largeValues() {
        Arbitrary<Bkey> keys = Combinators.combine(positions(),
                        Arbitraries.integers().between(500, 1006 - Bkey.HEADER_BYTES))
                .as((p, n) -> new Bkey(p, KeyType.BLOB, new byte[n]));
        return Combinators.combine(treeIndex(), keys.list().ofMaxSize(12)).as((t, batch) ->
                step("put " + batch.size() + " large keys in " + IDS[t], h -> {
                    h.touched = t;
                    for (Bkey k : batch) {
                        h.put(t, k);
                    }
                }));
    }

    private static Arbitrary<Transformer<Harness>> deleteRun() {
        return Combinators.combine(treeIndex(), positions(), Arbitraries.integers().between(1, 500))
                .as((t, from, n) -> step("delete " + n + " keys of " + IDS[t] + " from " + from,
                        h -> {
                            h.touched = t;
                            List<Bpos> doomed = new ArrayList<>();
                            for (Bpos p : h.models.get(t).tailMap(from, true).keySet()) {
                                if (doomed.size() == n) {
                                    break;
                                }
                                doomed.add(p);
                            }
                            for (Bpos p : doomed) {
                                h.put(t, Bkey.deleted(p));
                                h.get(t, p);
                            }
                        }));
    }

    private static Arbitrary<Transformer<Harness>> randomDeletesAndGets() {
        return Combinators.combine(treeIndex(), positions().list().ofMaxSize(30),
                Arbitraries.integers().between(0, 1)).as((t, ps, deleting) ->
                step((deleting == 1 ? "delete " : "get ") + ps.size() + " in " + IDS[t], h -> {
                    h.touched = t;
                    for (Bpos p : ps) {
                        if (deleting == 1) {
                            h.put(t, Bkey.deleted(p));
                        }
                        h.get(t, p);
                    }
                }));
    }

    private static Arbitrary<Transformer<Harness>> rangeScan() {
        Arbitrary<Boolean> forwards = Arbitraries.of(true, false);
        return Combinators.combine(treeIndex(), positions(), positions(), forwards)
                .as((t, a, b, forward) -> step("scan " + IDS[t] + " " + a + " to " + b
                        + (forward ? "" : " backwards"), h -> {
                    h.touched = t;
                    Bpos lo = a.compareTo(b) <= 0 ? a : b;
                    Bpos hi = a.compareTo(b) <= 0 ? b : a;
                    List<Bkey> expected = new ArrayList<>(
                            h.models.get(t).subMap(lo, true, hi, true).values());
                    List<Bkey> actual = new ArrayList<>();
                    BtreeIterator it = h.trees[t].iterator(forward ? lo : hi);
                    if (forward) {
                        for (Bkey k = it.next(); k != null && k.pos().compareTo(hi) <= 0;
                                k = it.next()) {
                            actual.add(k);
                            OPS.increment();
                        }
                    } else {
                        if (it.peek() != null && it.peek().pos().equals(hi)) {
                            it.next();
                        }
                        for (Bkey k = it.prev(); k != null && k.pos().compareTo(lo) >= 0;
                                k = it.prev()) {
                            actual.add(0, k);
                            OPS.increment();
                        }
                    }
                    assertEquals(expected, actual);
                }));
    }

    /** Iterator calls interleaved with changes, checked against a cursor over the model. */
    private static Arbitrary<Transformer<Harness>> iterateWhileMutating() {
        Arbitrary<IterOp> op = Combinators.combine(Arbitraries.integers().between(0, 5),
                positions(), values(40)).as(IterOp::new);
        return Combinators.combine(treeIndex(), positions(), op.list().ofMaxSize(80))
                .as((t, start, ops) -> step("iterate " + IDS[t] + " from " + start + " with "
                        + ops.size() + " steps", h -> runIteration(h, t, start, ops)));
    }

    /** kind: 0 next, 1 prev, 2 peek, 3 seek, 4 put, 5 delete (near the cursor, if any). */
    record IterOp(int kind, Bpos pos, byte[] value) {}

    private static void runIteration(Harness h, int t, Bpos start, List<IterOp> ops)
            throws KeelException {
        h.touched = t;
        TreeMap<Bpos, Bkey> model = h.models.get(t);
        BtreeIterator it = h.trees[t].iterator(start);
        Bpos cursor = start; // the model cursor; null past the end
        for (IterOp op : ops) {
            OPS.increment();
            switch (op.kind()) {
                case 0 -> {
                    Map.Entry<Bpos, Bkey> e = cursor == null ? null : model.ceilingEntry(cursor);
                    assertEquals(e == null ? null : e.getValue(), it.next(), "next");
                    if (e != null) {
                        cursor = e.getKey().isMax() ? null : e.getKey().successor();
                    }
                }
                case 1 -> {
                    Map.Entry<Bpos, Bkey> e = cursor == null ? model.lastEntry()
                            : model.lowerEntry(cursor);
                    assertEquals(e == null ? null : e.getValue(), it.prev(), "prev");
                    if (e != null) {
                        cursor = e.getKey();
                    }
                }
                case 2 -> {
                    Map.Entry<Bpos, Bkey> e = cursor == null ? null : model.ceilingEntry(cursor);
                    assertEquals(e == null ? null : e.getValue(), it.peek(), "peek");
                }
                case 3 -> {
                    cursor = op.pos();
                    it.seek(cursor);
                }
                case 4 -> h.put(t, new Bkey(op.pos(), KeyType.BLOB, op.value()));
                default -> {
                    Map.Entry<Bpos, Bkey> e = cursor == null ? model.lastEntry()
                            : model.floorEntry(cursor);
                    h.put(t, Bkey.deleted(e == null ? op.pos() : e.getKey()));
                }
            }
            assertEquals(cursor, it.position(), "cursor position");
        }
    }

    private static Arbitrary<Transformer<Harness>> checkpoint() {
        return Arbitraries.just(step("checkpoint", h -> {
            h.checkpoint();
            for (Btree tree : h.trees) {
                assertEquals(0, tree.dirtyNodeCount());
            }
        }));
    }

    private static Arbitrary<Transformer<Harness>> reopen() {
        return Combinators.combine(Arbitraries.of(true, false), Arbitraries.of(true, false))
                .as((newCache, tiny) -> step("checkpoint and reopen"
                        + (newCache ? " with a new " + (tiny ? "tiny " : "") + "cache" : ""),
                        h -> {
                            h.checkpoint();
                            h.reopenDurable(newCache, tiny);
                        }));
    }

    private static Arbitrary<Transformer<Harness>> revert() {
        return Arbitraries.of(true, false).map(newCache -> step(
                "revert to the last checkpoint" + (newCache ? " with a new cache" : ""),
                h -> h.reopenDurable(newCache, false)));
    }
}
