package io.keelfs.txn;

import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import java.util.Map;
import java.util.NavigableMap;

/**
 * Iterates a transaction's view of one btree: its own buffered updates merged with the
 * committed tree, deletions hiding committed keys. Stays correct while the same transaction
 * updates keys between calls: the overlay is read live, and the committed cursor is re-seeked
 * whenever the position it was valid for is not the current one.
 *
 * <p>Like {@link java.util.ListIterator}, the iterator sits between keys at {@link #position()}:
 * {@link #next} returns the first visible key at or after it, {@link #prev} the last one before.
 *
 * <p>Thread-safety: confined to the transaction's thread.
 */
public final class TransactionIterator {
    private final NavigableMap<Bpos, Bkey> overlay;
    private final TreeCursor tree;
    /** Visible keys are those at or after {@code position} for next(), before it for prev(). */
    private Bpos position;
    /**
     * When non-null, the true position is just after this key and {@code position} is stale:
     * the fast path of {@link #next} defers the successor until something needs it (see
     * {@link #settle}), so a scan allocates no position per key.
     */
    private Bpos passed;
    /** True when the tree cursor sits just before {@code position}; else seek first. */
    private boolean treeAligned;
    private boolean atEnd;

    TransactionIterator(NavigableMap<Bpos, Bkey> overlay, TreeCursor tree, Bpos start) {
        this.overlay = overlay;
        this.tree = tree;
        this.position = start;
        this.treeAligned = true;
    }

    /** Where the iterator sits; {@code null} after the last key ({@link Bpos#MAX} was passed). */
    public Bpos position() {
        settle();
        return atEnd ? null : position;
    }

    public void seek(Bpos pos) {
        passed = null;
        position = pos;
        atEnd = false;
        treeAligned = false;
    }

    /** The key {@link #next} would return, without moving. */
    public Bkey peek() throws KeelException {
        settle();
        Bpos saved = position;
        boolean savedEnd = atEnd;
        Bkey k = next();
        passed = null;
        position = saved;
        atEnd = savedEnd;
        treeAligned = false;
        return k;
    }

    /** The first visible key at or after the position, or null; at the end the position stays. */
    public Bkey next() throws KeelException {
        // Fast path, no buffered update of this tree: the aligned tree cursor's next key is
        // the answer (committed trees hold live keys only), and at the end nothing moves.
        if (overlay.isEmpty() && treeAligned && !atEnd && (passed == null || !passed.isMax())) {
            Bkey k = tree.next();
            if (k != null) {
                passed = k.pos();
            }
            return k;
        }
        settle();
        return moveOrStay(this::nextSkippingDeleted);
    }

    /** The last visible key before the position, or null; at the start the position stays. */
    public Bkey prev() throws KeelException {
        settle();
        return moveOrStay(this::prevSkippingDeleted);
    }

    /** Makes {@code position} and {@code atEnd} current after fast-path steps. */
    private void settle() {
        if (passed != null) {
            advancePast(passed);
            passed = null;
        }
    }

    /** One step over the visible keys, in either direction. */
    @FunctionalInterface
    private interface Step {
        Bkey take() throws KeelException;
    }

    /**
     * Takes a step; when it finds no key, puts the position back where it was, so skipping
     * deleted keys on the way to the end does not move the iterator past keys added later.
     */
    private Bkey moveOrStay(Step step) throws KeelException {
        Bpos start = position;
        boolean startEnd = atEnd;
        Bkey k = step.take();
        if (k == null) {
            position = start;
            atEnd = startEnd;
            treeAligned = false;
        }
        return k;
    }

    private Bkey nextSkippingDeleted() throws KeelException {
        while (!atEnd) {
            if (!treeAligned) {
                tree.seek(position);
                treeAligned = true;
            }
            Bkey fromTree = tree.peek();
            Map.Entry<Bpos, Bkey> fromOverlay = overlay.ceilingEntry(position);
            Bkey chosen = pickLower(fromTree, fromOverlay);
            if (chosen == null) {
                return null;
            }
            if (fromTree != null && fromTree.pos().equals(chosen.pos())) {
                tree.next(); // consumed (or shadowed by the overlay): the cursor stays aligned
            }
            advancePast(chosen.pos());
            if (!chosen.isDeleted()) {
                return chosen;
            }
        }
        return null;
    }

    private Bkey prevSkippingDeleted() throws KeelException {
        while (true) {
            Bkey fromTree = treeBefore();
            Map.Entry<Bpos, Bkey> fromOverlay =
                    atEnd ? overlay.lastEntry() : overlay.lowerEntry(position);
            Bkey chosen = pickHigher(fromTree, fromOverlay);
            if (chosen == null) {
                return null;
            }
            position = chosen.pos();
            atEnd = false;
            treeAligned = false;
            if (!chosen.isDeleted()) {
                return chosen;
            }
        }
    }

    private Bkey treeBefore() throws KeelException {
        if (atEnd) {
            tree.seek(Bpos.MAX);
            Bkey last = tree.peek();
            if (last != null) {
                return last; // a key at MAX itself
            }
        } else if (!treeAligned) {
            tree.seek(position);
        }
        treeAligned = false;
        return tree.prev();
    }

    private void advancePast(Bpos pos) {
        if (pos.isMax()) {
            atEnd = true;
        } else {
            position = pos.successor();
        }
    }

    /** The lower-positioned of the two candidates; at equal positions the overlay wins. */
    private static Bkey pickLower(Bkey fromTree, Map.Entry<Bpos, Bkey> fromOverlay) {
        if (fromOverlay == null) {
            return fromTree;
        }
        if (fromTree == null || fromOverlay.getKey().compareTo(fromTree.pos()) <= 0) {
            return fromOverlay.getValue();
        }
        return fromTree;
    }

    private static Bkey pickHigher(Bkey fromTree, Map.Entry<Bpos, Bkey> fromOverlay) {
        if (fromOverlay == null) {
            return fromTree;
        }
        if (fromTree == null || fromOverlay.getKey().compareTo(fromTree.pos()) >= 0) {
            return fromOverlay.getValue();
        }
        return fromTree;
    }
}
