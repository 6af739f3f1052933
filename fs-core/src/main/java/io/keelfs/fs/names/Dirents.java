package io.keelfs.fs.names;

import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.txn.Transaction;
import io.keelfs.txn.TransactionIterator;
import java.util.ArrayList;
import java.util.List;

/**
 * The entries of directories in {@link BtreeId#DIRENTS}, hashed by name (see
 * {@link HashedSlots}). Slots start at {@link #OFFSET_MIN}: readdir offsets 0, 1 and 2 are the
 * start, after "." and after "..", and an entry's readdir cookie is its slot + 1.
 *
 * <p>Entry points: {@link #lookup}, {@link #insert}, {@link #remove}, {@link #replace},
 * {@link #isEmpty}, {@link #list}.
 *
 * <p>Thread-safety: stateless; runs inside the caller's transaction.
 */
public final class Dirents {
    public static final long OFFSET_MIN = 3;

    private final HashedSlots slots;

    public Dirents(NameHash hash) {
        this.slots = new HashedSlots(BtreeId.DIRENTS, OFFSET_MIN, hash, Dirent::nameOf);
    }

    /** The entry named {@code name} in {@code dirIno}, or null. */
    public Dirent lookup(Transaction txn, long dirIno, byte[] name) throws KeelException {
        Bkey k = slots.probe(txn, dirIno, name).found();
        return k == null ? null : Dirent.decode(k);
    }

    /** Adds an entry; the caller has checked the name is not there. Returns its slot. */
    public long insert(Transaction txn, long dirIno, byte[] name, long childIno, int mode)
            throws KeelException {
        HashedSlots.Probe p = slots.probe(txn, dirIno, name);
        if (p.found() != null) {
            throw new IllegalStateException("dirent " + new String(name) + " in " + dirIno
                    + " exists; caller must check");
        }
        put(txn, new Dirent(dirIno, p.freeOffset(), childIno, mode & 0170000, name));
        return p.freeOffset();
    }

    /** Points an existing entry at another inode (rename over it, exchange). */
    public void replace(Transaction txn, Dirent existing, long childIno, int mode) {
        put(txn, new Dirent(existing.dirIno(), existing.offset(), childIno, mode & 0170000,
                existing.name()));
    }

    public void remove(Transaction txn, Dirent existing) throws KeelException {
        slots.remove(txn, existing.dirIno(), existing.offset());
    }

    private static void put(Transaction txn, Dirent d) {
        txn.put(BtreeId.DIRENTS, new Bkey(Bpos.of(d.dirIno(), d.offset()), KeyType.DIRENT,
                d.encodeValue()));
    }

    /** True when {@code dirIno} has no entries (whiteouts do not count). */
    public boolean isEmpty(Transaction txn, long dirIno) throws KeelException {
        return list(txn, dirIno, OFFSET_MIN, 1).isEmpty();
    }

    /**
     * Up to {@code entriesMax} entries of {@code dirIno} at slots {@code >= fromOffset}, in
     * slot order. Whiteouts are skipped; they are bounded by live entries after them
     * ({@link HashedSlots}), so the walk is bounded by about entriesMax * PROBES_MAX keys.
     */
    public List<Dirent> list(Transaction txn, long dirIno, long fromOffset, int entriesMax)
            throws KeelException {
        List<Dirent> out = new ArrayList<>();
        TransactionIterator it = txn.iterator(BtreeId.DIRENTS,
                Bpos.of(dirIno, Math.max(fromOffset, OFFSET_MIN)));
        while (out.size() < entriesMax) {
            Bkey k = it.next();
            if (k == null || k.pos().inode() != dirIno) {
                break;
            }
            if (k.type() == KeyType.DIRENT) {
                out.add(Dirent.decode(k));
            }
        }
        return out;
    }
}
