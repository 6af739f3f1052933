package io.keelfs.txn;

import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;

/** A committed state held in TreeMaps: the reference the transaction layer is tested against. */
final class TreeMapReader implements TreeReader {
    final EnumMap<BtreeId, TreeMap<Bpos, Bkey>> trees = new EnumMap<>(BtreeId.class);

    TreeMap<Bpos, Bkey> tree(BtreeId id) {
        return trees.computeIfAbsent(id, b -> new TreeMap<>());
    }

    @Override
    public Bkey get(BtreeId btree, Bpos pos) {
        return tree(btree).get(pos);
    }

    @Override
    public TreeCursor cursor(BtreeId btree, Bpos start) {
        TreeMap<Bpos, Bkey> map = tree(btree);
        return new TreeCursor() {
            Bpos position = start;
            boolean atEnd;

            @Override
            public void seek(Bpos pos) {
                position = pos;
                atEnd = false;
            }

            @Override
            public Bkey peek() {
                if (atEnd) {
                    return null;
                }
                Map.Entry<Bpos, Bkey> e = map.ceilingEntry(position);
                return e == null ? null : e.getValue();
            }

            @Override
            public Bkey next() {
                Bkey k = peek();
                if (k != null) {
                    if (k.pos().isMax()) {
                        atEnd = true;
                    } else {
                        position = k.pos().successor();
                    }
                }
                return k;
            }

            @Override
            public Bkey prev() {
                Map.Entry<Bpos, Bkey> e = atEnd ? map.lastEntry() : map.lowerEntry(position);
                if (e == null) {
                    return null;
                }
                position = e.getKey();
                atEnd = false;
                return e.getValue();
            }
        };
    }
}
