package io.keelfs.keycache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.error.InconsistentException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Covers write-through rules and the coherency check; the engine-level test covers read-only. */
class BtreeKeyCacheTest {
    private final TreeMap<Bpos, Bkey> btree = new TreeMap<>();
    private final BtreeKeyCache cache = new BtreeKeyCache(BtreeId.INODES, new BtreeKeyCache.Backing() {
        @Override
        public Bkey get(Bpos pos) {
            return btree.get(pos);
        }

        @Override
        public void put(Bkey key) {
            if (key.isDeleted()) {
                btree.remove(key.pos());
            } else {
                btree.put(key.pos(), key);
            }
        }
    }, 1 << 20);

    private static Bkey key(long inode, int value) {
        return new Bkey(Bpos.of(inode, 0), KeyType.INODE, new byte[] {(byte) value});
    }

    @Test
    void creationWritesThroughOverwriteStaysDirtyUntilFlush() throws Exception {
        cache.update(key(1, 10), 5);
        assertEquals(0, cache.dirtyCount());
        assertArrayEquals(new byte[] {10}, btree.get(Bpos.of(1, 0)).value());

        cache.update(key(1, 11), 6);
        assertEquals(1, cache.dirtyCount());
        assertArrayEquals(new byte[] {10}, btree.get(Bpos.of(1, 0)).value(), "btree not yet written");
        assertArrayEquals(new byte[] {11}, cache.get(Bpos.of(1, 0)).value(), "cache has the new value");

        assertEquals(1, cache.flushDirty());
        assertEquals(0, cache.dirtyCount());
        assertArrayEquals(new byte[] {11}, btree.get(Bpos.of(1, 0)).value());
    }

    @Test
    void deletionWritesThroughAndDropsTheDirtyEntry() throws Exception {
        cache.update(key(2, 1), 1);
        cache.update(key(2, 2), 2);
        cache.update(Bkey.deleted(Bpos.of(2, 0)), 3);
        assertEquals(0, cache.dirtyCount());
        assertNull(btree.get(Bpos.of(2, 0)));
        assertNull(cache.get(Bpos.of(2, 0)));
    }

    @Test
    void dirtyKeyOverAbsentBtreeKeyIsATypedInconsistency() throws Exception {
        cache.update(key(3, 1), 1);
        cache.update(key(3, 2), 42);
        btree.remove(Bpos.of(3, 0)); // corrupt the btree under the cache
        InconsistentException e = assertThrows(InconsistentException.class, cache::flushDirty);
        assertTrue(e.getMessage().contains("INODES"), e.getMessage());
        assertTrue(e.getMessage().contains("at 3:0:0"), e.getMessage());
        assertTrue(e.getMessage().contains("journal seq 42"), e.getMessage());
        assertTrue(e.getMessage().contains("run keelfs fsck"), e.getMessage());
    }

    @Test
    void uncachedBtreeIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new BtreeKeyCache(BtreeId.DIRENTS, null, 1024));
    }
}
