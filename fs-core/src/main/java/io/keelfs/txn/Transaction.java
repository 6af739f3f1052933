package io.keelfs.txn;

import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.LongConsumer;

/**
 * One transaction: reads see the committed trees with this transaction's own updates laid
 * over them; updates are buffered here until the engine commits them in one journal entry.
 *
 * <p>Entry points: {@link #get}, {@link #put}, {@link #delete}, {@link #iterator},
 * {@link #onCommit}, {@link #updates} and {@link #committed} (for the commit).
 *
 * <p>Bounded: at most {@link #UPDATES_MAX} distinct updated positions, so one transaction always
 * fits in one journal entry of the smallest journal bucket mkfs allows (16 KiB buckets fit
 * ~200 small keys; callers with bigger batches split them).
 *
 * <p>Thread-safety: confined to one thread.
 */
public final class Transaction {
    public static final int UPDATES_MAX = 16_384;
    /** Callbacks one transaction may register (one per allocator call, say, each cheap). */
    public static final int COMMIT_CALLBACKS_MAX = 4_096;

    /** A buffered update: the key (DELETED type for a deletion) and its btree. */
    public record Update(BtreeId btree, Bkey key) {}

    private final TreeReader committed;
    private final boolean readOnly;
    private final EnumMap<BtreeId, TreeMap<Bpos, Bkey>> overlay = new EnumMap<>(BtreeId.class);
    private final List<LongConsumer> commitCallbacks = new ArrayList<>();
    private int updateCount;

    public Transaction(TreeReader committed, boolean readOnly) {
        this.committed = committed;
        this.readOnly = readOnly;
    }

    public boolean isReadOnly() {
        return readOnly;
    }

    /** The live key at pos as this transaction sees it, or null. */
    public Bkey get(BtreeId btree, Bpos pos) throws KeelException {
        TreeMap<Bpos, Bkey> mine = overlay.get(btree);
        if (mine != null) {
            Bkey k = mine.get(pos);
            if (k != null) {
                return k.isDeleted() ? null : k;
            }
        }
        return committed.get(btree, pos);
    }

    /** Buffers an insert or overwrite (a DELETED key is a deletion). */
    public void put(BtreeId btree, Bkey key) {
        if (readOnly) {
            throw new IllegalStateException("update of " + btree + " at " + key.pos()
                    + " in a read-only transaction");
        }
        TreeMap<Bpos, Bkey> mine = overlay.computeIfAbsent(btree, b -> new TreeMap<>());
        if (mine.put(key.pos(), key) == null) {
            updateCount++;
            if (updateCount > UPDATES_MAX) {
                throw new IllegalStateException("transaction exceeds " + UPDATES_MAX
                        + " updates; split it");
            }
        }
    }

    public void delete(BtreeId btree, Bpos pos) {
        put(btree, Bkey.deleted(pos));
    }

    /** An iterator over this transaction's view of one btree, just before {@code start}. */
    public TransactionIterator iterator(BtreeId btree, Bpos start) throws KeelException {
        NavigableMap<Bpos, Bkey> mine = overlay.computeIfAbsent(btree, b -> new TreeMap<>());
        return new TransactionIterator(mine, committed.cursor(btree, start), start);
    }

    /** Every buffered update, grouped by btree, in key order within each btree. */
    public List<Update> updates() {
        List<Update> all = new ArrayList<>(updateCount);
        for (Map.Entry<BtreeId, TreeMap<Bpos, Bkey>> e : overlay.entrySet()) {
            for (Bkey k : e.getValue().values()) {
                all.add(new Update(e.getKey(), k));
            }
        }
        return Collections.unmodifiableList(all);
    }

    /**
     * Registers a callback the engine runs with this transaction's journal seq once the commit
     * is applied, still under the engine's exclusive lock: so nothing can read the committed
     * updates before the callback has run. Never run for a transaction that does not commit
     * (the body threw, or it made no update). Callbacks must be quick and must not throw or
     * take locks a reader of the engine may hold.
     */
    public void onCommit(LongConsumer callback) {
        if (readOnly) {
            throw new IllegalStateException("onCommit in a read-only transaction");
        }
        if (commitCallbacks.size() >= COMMIT_CALLBACKS_MAX) {
            throw new IllegalStateException("transaction exceeds " + COMMIT_CALLBACKS_MAX
                    + " commit callbacks");
        }
        commitCallbacks.add(callback);
    }

    /** For the engine: runs the commit callbacks with the seq of the journal entry. */
    public void committed(long seq) {
        for (LongConsumer c : commitCallbacks) {
            c.accept(seq);
        }
    }

    public int updateCount() {
        return updateCount;
    }
}
