package io.keelfs.engine;

import io.keelfs.btree.Btree;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.keycache.BtreeKeyCache;

/** A btree as the key cache's backing store: the cache never sees the btree package. */
record TreeBacking(Btree tree) implements BtreeKeyCache.Backing {
    @Override
    public Bkey get(Bpos pos) throws KeelException {
        return tree.get(pos);
    }

    @Override
    public void put(Bkey key) throws KeelException {
        tree.put(key);
    }
}
