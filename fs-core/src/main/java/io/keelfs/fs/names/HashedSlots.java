package io.keelfs.fs.names;

import io.keelfs.error.KeelException;
import io.keelfs.error.NoSpaceException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.txn.Transaction;
import java.util.Arrays;

/**
 * A hash table of named keys inside one btree (dirents, xattrs): the key of name N owned by
 * inode I sits at (I, slot, 0), where slot is the first free one at or after hash(N) in a
 * linear probe chain.
 *
 * <p>Entry points: {@link #probe} (lookup, and where an insert would go) and {@link #remove}.
 *
 * <p>Deletion keeps chains whole with whiteouts ({@link KeyType#HASH_WHITEOUT}): a removed key
 * whose next slot is occupied becomes a whiteout, which lookups step over and inserts reuse.
 * We chose whiteouts over rehashing (moving later keys back) because a key's position is also
 * its readdir offset: moving keys would make a concurrent readdir skip or repeat entries.
 * Whiteouts do not pile up: a removed key whose next slot is empty is deleted outright, and so
 * is every whiteout run that then ends at an empty slot; so an empty directory holds no keys.
 *
 * <p>Thread-safety: stateless apart from configuration; runs inside the caller's transaction.
 */
public final class HashedSlots {
    /**
     * Longest probe chain. With 62-bit hashes a collision at all is about n^2 / 2^63; 1024
     * bounds the walk even under a weak test hash with a few hundred names per bucket.
     */
    public static final int PROBES_MAX = 1024;

    /** Extracts the name a live key of this table holds. */
    @FunctionalInterface
    public interface NameOf {
        byte[] name(Bkey key) throws KeelException;
    }

    /**
     * What a probe found.
     *
     * @param found the live key holding the name, or null
     * @param freeOffset where an insert of the name goes (first whiteout or the empty slot);
     *     meaningful only when {@code found} is null
     */
    public record Probe(Bkey found, long freeOffset) {}

    private final BtreeId btree;
    private final long offsetMin;
    private final NameHash hash;
    private final NameOf nameOf;

    /** @param offsetMin first slot names may use (lower offsets are reserved by the caller) */
    public HashedSlots(BtreeId btree, long offsetMin, NameHash hash, NameOf nameOf) {
        this.btree = btree;
        this.offsetMin = offsetMin;
        this.hash = hash;
        this.nameOf = nameOf;
    }

    public BtreeId btree() {
        return btree;
    }

    public long offsetMin() {
        return offsetMin;
    }

    /**
     * Walks {@code name}'s chain in {@code owner} up to the first empty slot. A chain longer
     * than {@link #PROBES_MAX} is ENOSPC naming the owner and the chain start.
     */
    public Probe probe(Transaction txn, long owner, byte[] name) throws KeelException {
        long start = hash.slot(name, offsetMin);
        long free = -1;
        for (int i = 0; i < PROBES_MAX; i++) {
            long offset = start + i;
            Bkey k = txn.get(btree, Bpos.of(owner, offset));
            if (k == null) {
                return new Probe(null, free >= 0 ? free : offset);
            }
            if (k.type() == KeyType.HASH_WHITEOUT) {
                if (free < 0) {
                    free = offset;
                }
            } else if (Arrays.equals(nameOf.name(k), name)) {
                return new Probe(k, -1);
            }
        }
        if (free >= 0) {
            // The name is not in the (full) chain, but a whiteout can take it.
            return new Probe(null, free);
        }
        throw new NoSpaceException(String.format("%s of inode %d: probe chain from slot %d"
                + " longer than %d", btree, owner, start, PROBES_MAX));
    }

    /** Removes the key at (owner, offset), leaving a whiteout only where a chain goes on. */
    public void remove(Transaction txn, long owner, long offset) throws KeelException {
        if (txn.get(btree, Bpos.of(owner, offset + 1)) != null) {
            txn.put(btree, new Bkey(Bpos.of(owner, offset), KeyType.HASH_WHITEOUT, null));
            return;
        }
        txn.delete(btree, Bpos.of(owner, offset));
        // Whiteouts just before a now-empty slot end no chain any more: drop them.
        for (int i = 1; i < PROBES_MAX && offset - i >= offsetMin; i++) {
            Bpos p = Bpos.of(owner, offset - i);
            Bkey k = txn.get(btree, p);
            if (k == null || k.type() != KeyType.HASH_WHITEOUT) {
                return;
            }
            txn.delete(btree, p);
        }
    }
}
