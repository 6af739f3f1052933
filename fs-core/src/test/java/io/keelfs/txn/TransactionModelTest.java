package io.keelfs.txn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Model test of the transaction view: random committed trees, random buffered updates
 * interleaved with iterator moves (next, prev, peek, seek), compared after every step with a
 * TreeMap holding committed-plus-updates. Covers read-your-writes and iteration while the same
 * transaction updates keys; does not cover commit (the engine tests do).
 */
class TransactionModelTest {
    private static final BtreeId TREE = BtreeId.TEST0;

    @Property(tries = 300)
    void viewMatchesModel(@ForAll long seed) throws Exception {
        Random random = new Random(seed);
        TreeMapReader committed = new TreeMapReader();
        TreeMap<Bpos, Bkey> model = new TreeMap<>();
        int keySpace = 5 + random.nextInt(60);
        for (int i = random.nextInt(keySpace); i > 0; i--) {
            Bkey k = key(random, keySpace);
            committed.tree(TREE).put(k.pos(), k);
            model.put(k.pos(), k);
        }
        Transaction txn = new Transaction(committed, false);
        TransactionIterator it = txn.iterator(TREE, Bpos.MIN);
        Bpos modelPos = Bpos.MIN;
        boolean modelEnd = false;
        for (int step = 0; step < 200; step++) {
            String context = "seed " + seed + " step " + step;
            switch (random.nextInt(6)) {
                case 0 -> {
                    Bkey k = key(random, keySpace);
                    txn.put(TREE, k);
                    model.put(k.pos(), k);
                }
                case 1 -> {
                    Bpos p = Bpos.of(random.nextInt(keySpace), 0);
                    txn.delete(TREE, p);
                    model.remove(p);
                }
                case 2 -> {
                    Map.Entry<Bpos, Bkey> e = modelEnd ? null : model.ceilingEntry(modelPos);
                    assertEquals(e == null ? null : e.getValue(), it.next(), context + " next");
                    if (e != null) {
                        modelPos = e.getKey().successor();
                    }
                }
                case 3 -> {
                    Map.Entry<Bpos, Bkey> e =
                            modelEnd ? model.lastEntry() : model.lowerEntry(modelPos);
                    assertEquals(e == null ? null : e.getValue(), it.prev(), context + " prev");
                    if (e != null) {
                        modelPos = e.getKey();
                        modelEnd = false;
                    }
                }
                case 4 -> {
                    Map.Entry<Bpos, Bkey> e = modelEnd ? null : model.ceilingEntry(modelPos);
                    assertEquals(e == null ? null : e.getValue(), it.peek(), context + " peek");
                }
                default -> {
                    modelPos = Bpos.of(random.nextInt(keySpace + 2), 0);
                    modelEnd = false;
                    it.seek(modelPos);
                }
            }
            Bpos probe = Bpos.of(random.nextInt(keySpace), 0);
            assertEquals(model.get(probe), txn.get(TREE, probe), context + " get " + probe);
        }
    }

    private static Bkey key(Random random, int keySpace) {
        return new Bkey(Bpos.of(random.nextInt(keySpace), 0), KeyType.BLOB,
                new byte[] {(byte) random.nextInt(256)});
    }
}
