package io.keelfs.btree;

import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;

/**
 * A cursor over one tree's keys in order, for lookups and range scans.
 *
 * <p>Entry points: {@link #peek}, {@link #next}, {@link #prev}, {@link #seek},
 * {@link #position}.
 *
 * <p>The cursor sits between keys, like {@link java.util.ListIterator}: {@link #next} returns
 * the first key at or after the cursor position and moves past it; {@link #prev} returns the
 * last key before it and moves before it, so next() after prev() returns the same key.
 *
 * <p>Iteration stays correct while the same caller changes the tree between calls: the
 * iterator keeps its position as a key position, not a node slot. Its fast path reuses the
 * last leaf and index while the tree's modification counter is unchanged; otherwise (or at a
 * leaf's edge) it descends again from the root.
 *
 * <p>Not thread-safe; use it under the same lock as the tree. A corrupt node on the way
 * surfaces as the typed {@link KeelException} from the call that needed it.
 */
public final class BtreeIterator {
    /**
     * Leaves visited to find the next key: the first may hold none after the position, and
     * the one after it holds at least one (only a root may be empty).
     */
    private static final int LEAF_HOPS_MAX = 2;

    private final Btree tree;
    /** next() returns the first key at or after this; null: past the key at Bpos.MAX. */
    private Bpos pos;
    /**
     * When non-null, the cursor sits just after this key and {@link #pos} is stale: next()
     * defers the successor until a slow path needs it ({@link #settle}), so a scan allocates
     * no position per key.
     */
    private Bpos passed;
    /** Fast path: the leaf last used, valid while the tree's modCount equals seenModCount. */
    private LeafNode leaf;
    /** Keys in {@link #leaf} before {@link #pos}. */
    private int index;
    private long seenModCount;

    BtreeIterator(Btree tree, Bpos start) {
        this.tree = tree;
        this.pos = start;
    }

    /** The cursor position: next() returns the first key at or after it; null past the end. */
    public Bpos position() {
        settle();
        return pos;
    }

    /** Moves the cursor before the first key at or after {@code position}. */
    public void seek(Bpos position) {
        this.pos = position;
        this.passed = null;
        this.leaf = null;
    }

    /** The key next() would return, without moving; null when there is none. */
    public Bkey peek() throws KeelException {
        return !pastEnd() && findForward() ? leaf.key(index) : null;
    }

    /** The first key at or after the cursor, moving past it; null (not moving) if none. */
    public Bkey next() throws KeelException {
        if (pastEnd() || !findForward()) {
            return null;
        }
        Bkey key = leaf.key(index);
        index++;
        passed = key.pos();
        return key;
    }

    /** Whether the cursor is past the key at {@link Bpos#MAX}. */
    private boolean pastEnd() {
        return passed != null ? passed.isMax() : pos == null;
    }

    /** Makes {@link #pos} current after next() deferred it. */
    private void settle() {
        if (passed != null) {
            pos = passed.isMax() ? null : passed.successor();
            passed = null;
        }
    }

    /** The last key before the cursor, moving before it; null (not moving) if none. */
    public Bkey prev() throws KeelException {
        settle();
        if (!findBackward()) {
            return null;
        }
        index--;
        Bkey key = leaf.key(index);
        pos = key.pos();
        return key;
    }

    private boolean fastPathValid() {
        return leaf != null && seenModCount == tree.modCount;
    }

    /** Sets leaf and index so that leaf.key(index) is the first key at or after pos. */
    private boolean findForward() throws KeelException {
        if (fastPathValid() && index < leaf.count()) {
            return true;
        }
        settle();
        Bpos target = pos;
        for (int hop = 0; hop < LEAF_HOPS_MAX; hop++) {
            LeafNode found = descend(target);
            remember(found, found.lowerBound(pos));
            if (index < found.count()) {
                return true;
            }
            if (found.maxKey.isMax()) {
                return false;
            }
            target = found.maxKey.successor();
        }
        throw hopsExceeded();
    }

    /** Sets leaf and index so that leaf.key(index - 1) is the last key before pos. */
    private boolean findBackward() throws KeelException {
        if (fastPathValid() && index > 0) {
            return true;
        }
        if (pos != null && pos.equals(Bpos.MIN)) {
            return false;
        }
        Bpos target = pos == null ? Bpos.MAX : pos.predecessor();
        for (int hop = 0; hop < LEAF_HOPS_MAX; hop++) {
            LeafNode found = descend(target);
            remember(found, pos == null ? found.count() : found.lowerBound(pos));
            if (index > 0) {
                return true;
            }
            if (found.minKey.equals(Bpos.MIN)) {
                return false;
            }
            target = found.minKey.predecessor();
        }
        throw hopsExceeded();
    }

    private LeafNode descend(Bpos target) throws KeelException {
        tree.iteratorDescents.increment();
        return tree.findLeaf(target);
    }

    private void remember(LeafNode found, int foundIndex) {
        leaf = found;
        index = foundIndex;
        seenModCount = tree.modCount;
    }

    private InconsistentException hopsExceeded() {
        return new InconsistentException(String.format(
                "btree %s iterator at %s found no key in %d leaves: empty non-root leaf [%s..%s]",
                tree.id, pos, LEAF_HOPS_MAX, leaf.minKey, leaf.maxKey));
    }
}
