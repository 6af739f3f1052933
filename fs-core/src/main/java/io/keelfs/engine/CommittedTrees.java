package io.keelfs.engine;

import io.keelfs.btree.BtreeIterator;
import io.keelfs.btree.BtreeSet;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.keycache.BtreeKeyCache;
import io.keelfs.txn.TreeCursor;
import io.keelfs.txn.TreeReader;
import java.util.EnumMap;

/**
 * The committed state as transactions see it: btrees, with the key cache laid over cached
 * btrees. Positions come from the btree (creations and deletions write through the cache),
 * values of cached btrees from the cache when it holds a newer one.
 *
 * <p>Thread-safety: callers hold the engine lock.
 */
final class CommittedTrees implements TreeReader {
    private final BtreeSet trees;
    private final EnumMap<BtreeId, BtreeKeyCache> keyCaches;

    CommittedTrees(BtreeSet trees, EnumMap<BtreeId, BtreeKeyCache> keyCaches) {
        this.trees = trees;
        this.keyCaches = keyCaches;
    }

    @Override
    public Bkey get(BtreeId btree, Bpos pos) throws KeelException {
        BtreeKeyCache cache = keyCaches.get(btree);
        return cache != null ? cache.get(pos) : trees.tree(btree).get(pos);
    }

    @Override
    public TreeCursor cursor(BtreeId btree, Bpos start) {
        BtreeIterator it = trees.tree(btree).iterator(start);
        BtreeKeyCache cache = keyCaches.get(btree);
        return new TreeCursor() {
            @Override
            public void seek(Bpos pos) {
                it.seek(pos);
            }

            @Override
            public Bkey peek() throws KeelException {
                return overlay(it.peek());
            }

            @Override
            public Bkey next() throws KeelException {
                return overlay(it.next());
            }

            @Override
            public Bkey prev() throws KeelException {
                return overlay(it.prev());
            }

            private Bkey overlay(Bkey fromTree) {
                if (fromTree == null || cache == null) {
                    return fromTree;
                }
                Bkey dirty = cache.dirtyOrNull(fromTree.pos());
                return dirty != null ? dirty : fromTree;
            }
        };
    }
}
