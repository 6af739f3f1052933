package io.keelfs.keycache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The key cache of one cached btree.
 *
 * <p>Entry points: {@link #get} (read through), {@link #update} (a committed update),
 * {@link #flushDirty} (write dirty entries back, checking coherency), {@link #dirtyCount}.
 *
 * <p>Lifecycle of an entry: absent, then clean (filled by a read), then dirty (an overwrite of
 * a key that exists in the btree), then clean again after {@link #flushDirty}. Dirty entries are
 * never evicted; clean ones are bounded in bytes by Caffeine. While a position is dirty its
 * clean entry, if any, is stale and never read.
 *
 * <p>Thread-safety: {@link #get} may run concurrently with other gets (shared engine lock);
 * everything else needs the exclusive engine lock.
 */
public final class BtreeKeyCache {
    /** Per-entry overhead estimate for the byte weigher: key objects, map entry, array header. */
    static final int ENTRY_OVERHEAD_BYTES = 96;

    /** The btree under the cache, read and written with the cache bypassed. */
    public interface Backing {
        /** The live key at pos in the btree, or null when absent or deleted. */
        Bkey get(Bpos pos) throws KeelException;

        void put(Bkey key) throws KeelException;
    }

    /** A dirty entry remembers the journal sequence of its update, for error messages. */
    private record Dirty(Bkey key, long journalSeq) {}

    private final BtreeId btree;
    private final Backing backing;
    // @GuardedBy("engine lock, exclusive")
    private final Map<Bpos, Dirty> dirty = new HashMap<>();
    private final Cache<Bpos, Bkey> clean;

    public BtreeKeyCache(BtreeId btree, Backing backing, long cleanBytesMax) {
        if (!btree.cached) {
            throw new IllegalArgumentException("btree " + btree + " is not a cached btree");
        }
        this.btree = btree;
        this.backing = backing;
        this.clean = Caffeine.newBuilder()
                .maximumWeight(cleanBytesMax)
                .weigher((Bpos p, Bkey k) -> ENTRY_OVERHEAD_BYTES + k.value().length)
                // Maintenance (eviction, buffer drains) on the calling thread, as NodeCache:
                // the default ForkJoinPool hand-off woke a pool thread on most inode and
                // dirent writes (seen in jstack of bench fs create/unlink).
                .executor(Runnable::run)
                .build();
    }

    public BtreeId btree() {
        return btree;
    }

    /** The current key at pos (dirty entry, clean entry, or the btree's), or null if none. */
    public Bkey get(Bpos pos) throws KeelException {
        Dirty d;
        synchronized (dirty) {
            d = dirty.get(pos);
        }
        if (d != null) {
            return d.key();
        }
        Bkey cached = clean.getIfPresent(pos);
        if (cached != null) {
            return cached;
        }
        Bkey fromBtree = backing.get(pos);
        if (fromBtree != null) {
            clean.put(pos, fromBtree);
        }
        return fromBtree;
    }

    /**
     * Applies a committed update. Creations and deletions write through to the btree so a dirty
     * entry always has a live btree key under it; overwrites of an existing key stay dirty here.
     */
    public void update(Bkey key, long journalSeq) throws KeelException {
        Bpos pos = key.pos();
        if (key.isDeleted()) {
            backing.put(key);
            synchronized (dirty) {
                dirty.remove(pos);
            }
            clean.invalidate(pos);
            return;
        }
        boolean live;
        synchronized (dirty) {
            live = dirty.containsKey(pos);
        }
        // A dirty or clean entry implies a live btree key (the coherency rule; clean entries
        // were read from the btree, written through or flushed, and deletes drop them), so
        // the btree lookup is needed only when neither is cached.
        if (!live && clean.getIfPresent(pos) == null && backing.get(pos) == null) {
            backing.put(key);
            clean.put(pos, key);
            return;
        }
        synchronized (dirty) {
            dirty.put(pos, new Dirty(key, journalSeq));
        }
        // A clean entry under a dirty one is left stale on purpose: get looks at dirty
        // entries first and the flush replaces it, while a Caffeine write here would run the
        // cache's maintenance on this thread on every overwrite (a third of an unlink's CPU).
    }

    /**
     * Writes every dirty entry into the btree. Before each write, checks the coherency rule:
     * the btree must hold a live key at that position. A violation stops the flush with an
     * {@link InconsistentException} naming btree, position and journal sequence; the engine
     * then goes emergency read-only. Entries flushed before the violation are clean.
     *
     * @return how many entries were written back
     */
    public int flushDirty() throws KeelException {
        List<Map.Entry<Bpos, Dirty>> entries;
        synchronized (dirty) {
            entries = new ArrayList<>(dirty.entrySet());
        }
        entries.sort(Map.Entry.comparingByKey());
        int flushed = 0;
        for (Map.Entry<Bpos, Dirty> e : entries) {
            Bpos pos = e.getKey();
            // Recheck under the exclusive lock: the btree must still hold a live key here.
            if (backing.get(pos) == null) {
                throw new InconsistentException(String.format(
                        "btree key cache coherency violated: dirty cached key in btree %s at %s"
                                + " (journal seq %d) has no live key in the btree; the filesystem"
                                + " is now read-only; run keelfs fsck",
                        btree, pos, e.getValue().journalSeq()));
            }
            backing.put(e.getValue().key());
            synchronized (dirty) {
                dirty.remove(pos, e.getValue());
            }
            clean.put(pos, e.getValue().key());
            flushed++;
        }
        return flushed;
    }

    /** The dirty value at pos, or null: what an iterator over the btree lays over its keys. */
    public Bkey dirtyOrNull(Bpos pos) {
        synchronized (dirty) {
            Dirty d = dirty.get(pos);
            return d == null ? null : d.key();
        }
    }

    public int dirtyCount() {
        synchronized (dirty) {
            return dirty.size();
        }
    }

    /** Forgets clean entries (for benchmarks that must not be flattered, and after a replay). */
    public void dropClean() {
        clean.invalidateAll();
    }
}
