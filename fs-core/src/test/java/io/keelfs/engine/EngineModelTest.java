package io.keelfs.engine;

import static io.keelfs.engine.EngineTestSupport.blob;
import static io.keelfs.engine.EngineTestSupport.smallMkfs;
import static io.keelfs.engine.EngineTestSupport.testOptions;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.txn.TransactionIterator;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

/**
 * Model test of the engine: random transactions of inserts and deletes across several btrees
 * (one of them cached), point reads, range reads forward and backward, checkpoints, clean
 * reopens and crash reopens after a flushed commit, compared with one TreeMap per btree after
 * every action. Action weights are drawn per run (swarm testing). Each try runs
 * {@link #OPS_PER_TRY} operations; the default run does at least 100k in all.
 */
class EngineModelTest {
    private static final BtreeId[] TREES = {BtreeId.TEST0, BtreeId.TEST1, BtreeId.INODES};
    static final int OPS_PER_TRY = 5_000;

    @Property(tries = 21)
    void engineMatchesModel(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long seed)
            throws Exception {
        Random random = new Random(seed);
        int[] weights = {1 + random.nextInt(20), 1 + random.nextInt(6), 1 + random.nextInt(10),
                1 + random.nextInt(4), 1, 1};
        MemoryBlockDevice device = new MemoryBlockDevice(16L << 20, 4096, "model");
        Mkfs.format(device, smallMkfs());
        Map<BtreeId, TreeMap<Bpos, Bkey>> model = new EnumMap<>(BtreeId.class);
        for (BtreeId t : TREES) {
            model.put(t, new TreeMap<>());
        }
        int keySpace = 200 + random.nextInt(3000);
        Engine engine = Engine.open(device, testOptions());
        try {
            for (int op = 0; op < OPS_PER_TRY; op++) {
                String where = "seed " + seed + " op " + op;
                switch (pick(random, weights)) {
                    case 0 -> commit(engine, model, random, keySpace, op);
                    case 1 -> pointRead(engine, model, random, keySpace, where);
                    case 2 -> rangeRead(engine, model, random, keySpace, where);
                    case 3 -> engine.checkpoint();
                    case 4 -> {
                        engine.close();
                        engine = Engine.open(device, testOptions());
                    }
                    default -> {
                        commitFlushed(engine, model, random, keySpace, op);
                        // The process dies: what the device holds now is all that remains. The
                        // old engine then closes onto the old device, which nobody reads again.
                        MemoryBlockDevice crashed = device.snapshot();
                        engine.close();
                        device = crashed;
                        engine = Engine.open(device, testOptions());
                    }
                }
            }
            for (BtreeId t : TREES) {
                assertEquals(new ArrayList<>(model.get(t).values()), scan(engine, t), "seed " + seed);
            }
        } finally {
            engine.close();
        }
    }

    private static void commit(Engine engine, Map<BtreeId, TreeMap<Bpos, Bkey>> model,
            Random random, int keySpace, int op) throws Exception {
        List<BtreeId> trees = new ArrayList<>();
        List<Bkey> keys = new ArrayList<>();
        for (int i = 1 + random.nextInt(8); i > 0; i--) {
            BtreeId tree = TREES[random.nextInt(TREES.length)];
            Bpos pos = Bpos.of(random.nextInt(4), random.nextInt(keySpace));
            trees.add(tree);
            keys.add(random.nextInt(4) == 0 ? Bkey.deleted(pos) : blob(pos.inode(), pos.offset(), op));
        }
        engine.update(txn -> {
            for (int i = 0; i < keys.size(); i++) {
                txn.put(trees.get(i), keys.get(i));
            }
            return null;
        }, Durability.NO_FLUSH);
        for (int i = 0; i < keys.size(); i++) {
            Bkey k = keys.get(i);
            if (k.isDeleted()) {
                model.get(trees.get(i)).remove(k.pos());
            } else {
                model.get(trees.get(i)).put(k.pos(), k);
            }
        }
    }

    private static void commitFlushed(Engine engine, Map<BtreeId, TreeMap<Bpos, Bkey>> model,
            Random random, int keySpace, int op) throws Exception {
        commit(engine, model, random, keySpace, op);
        // Everything before it is durable too: a flushed commit covers the journal up to it.
        engine.update(txn -> {
            txn.put(BtreeId.TEST0, blob(7, 7, op));
            return null;
        }, Durability.FLUSH);
        model.get(BtreeId.TEST0).put(Bpos.of(7, 7), blob(7, 7, op));
    }

    private static void pointRead(Engine engine, Map<BtreeId, TreeMap<Bpos, Bkey>> model,
            Random random, int keySpace, String where) throws Exception {
        BtreeId tree = TREES[random.nextInt(TREES.length)];
        Bpos pos = Bpos.of(random.nextInt(4), random.nextInt(keySpace));
        assertEquals(model.get(tree).get(pos), engine.read(t -> t.get(tree, pos)), where + " get");
    }

    private static void rangeRead(Engine engine, Map<BtreeId, TreeMap<Bpos, Bkey>> model,
            Random random, int keySpace, String where) throws Exception {
        BtreeId tree = TREES[random.nextInt(TREES.length)];
        Bpos from = Bpos.of(random.nextInt(4), random.nextInt(keySpace));
        int count = 1 + random.nextInt(50);
        boolean backward = random.nextBoolean();
        List<Bkey> expected = new ArrayList<>();
        for (Bkey k : (backward ? model.get(tree).headMap(from, false).descendingMap()
                : model.get(tree).tailMap(from, true)).values()) {
            if (expected.size() == count) {
                break;
            }
            expected.add(k);
        }
        List<Bkey> actual = engine.read(txn -> {
            TransactionIterator it = txn.iterator(tree, from);
            List<Bkey> got = new ArrayList<>();
            while (got.size() < count) {
                Bkey k = backward ? it.prev() : it.next();
                if (k == null) {
                    break;
                }
                got.add(k);
            }
            return got;
        });
        assertEquals(expected, actual, where + " range " + (backward ? "before " : "from ") + from);
    }

    private static List<Bkey> scan(Engine engine, BtreeId tree) throws Exception {
        return engine.read(txn -> {
            List<Bkey> all = new ArrayList<>();
            TransactionIterator it = txn.iterator(tree, Bpos.MIN);
            for (Bkey k = it.next(); k != null; k = it.next()) {
                all.add(k);
            }
            return all;
        });
    }

    private static int pick(Random random, int[] weights) {
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        int r = random.nextInt(total);
        for (int i = 0; i < weights.length; i++) {
            r -= weights[i];
            if (r < 0) {
                return i;
            }
        }
        return weights.length - 1;
    }
}
