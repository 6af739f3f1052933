package io.keelfs.btree;

import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.format.NodeHeader;
import io.keelfs.format.NodePointer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * An interior node: its children in key order. Child {@code i} covers
 * [{@link #childMin}(i), {@link #childMax}(i)]; the children tile the node's range exactly.
 *
 * <p>Each child has a pointer to its last written image ({@code ptrs[i]}, null for a child
 * never written) and, while the child is dirty, a strong reference ({@code dirtyChildren[i]})
 * that pins it in memory. Clean children are found through the node cache by pointer, so a
 * clean subtree costs no heap once evicted. Invariant: for every child, the dirty reference or
 * the pointer is non-null; a clean child's pointer range equals the child's range.
 *
 * <p>Clean children are also remembered in {@code cleanChildren} (a pointer cache, as
 * bcachefs keeps node pointers in its btree node hash table and the path's cached locks), so
 * that a descent on a warm cache meets no hash lookup at all. Such a reference is used only
 * while it is the node the pointer was made for ({@code child.onDisk == ptrs[i]}, compared by
 * identity: a checkpoint and a read both give the node the very pointer object stored here),
 * so a stale one is never followed, and only while the cache holds the child: an eviction sets
 * {@link Node#evicted} and clears the references ({@link #forgetCleanChild}), so remembered
 * leaves do not escape the cache's bound. Readers under a shared lock may set and clear them
 * concurrently, hence volatile access and the recheck in {@link #setCleanChild}.
 *
 * <p>Not thread-safe (see {@link Node}).
 */
final class InteriorNode extends Node {
    /** Encoded bytes per child: key header (pos, type, length) plus the pointer. */
    static final int ENTRY_BYTES = Bkey.HEADER_BYTES + NodePointer.ENCODED_BYTES;
    /** Heap bytes per child: four references, an inode, a Bpos, a NodePointer with two Bpos. */
    private static final int ENTRY_HEAP_BYTES = 16 + 8 + 40 + 56 + 80;

    private Bpos[] childMaxKeys;
    /**
     * childMaxKeys[i].inode() as a column, so that a search compares primitives in one array
     * and dereferences a Bpos only on an inode tie.
     */
    private long[] childMaxInodes;
    private NodePointer[] ptrs;
    private Node[] dirtyChildren;
    /** Clean interior children already read, or null; see the class comment. */
    private Node[] cleanChildren;
    private int count;
    private static final VarHandle CLEAN_CHILD = MethodHandles.arrayElementVarHandle(Node[].class);

    InteriorNode(BtreeId btreeId, int level, Bpos minKey, Bpos maxKey, int capacity) {
        super(btreeId, level, minKey, maxKey);
        childMaxKeys = new Bpos[capacity];
        childMaxInodes = new long[capacity];
        ptrs = new NodePointer[capacity];
        dirtyChildren = new Node[capacity];
        cleanChildren = new Node[capacity];
    }

    @Override
    int count() {
        return count;
    }

    @Override
    int usedBytes() {
        return NodeHeader.HEADER_BYTES + count * ENTRY_BYTES;
    }

    @Override
    long heapBytes() {
        return OBJECT_HEAP_BYTES + 5L * ARRAY_HEAP_BYTES + (long) count * ENTRY_HEAP_BYTES
                + (childMaxKeys.length - count) * 24L;
    }

    /** The child whose range holds {@code pos}: the first with childMax at or after it. */
    int childIndex(Bpos pos) {
        int lo = 0;
        int hi = count - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            int c = Long.compareUnsigned(childMaxInodes[mid], pos.inode());
            if (c == 0) {
                c = childMaxKeys[mid].compareTo(pos);
            }
            if (c < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    Bpos childMin(int i) {
        return i == 0 ? minKey : childMaxKeys[i - 1].successor();
    }

    Bpos childMax(int i) {
        return childMaxKeys[i];
    }

    NodePointer ptr(int i) {
        return ptrs[i];
    }

    /** The dirty child at {@code i}, or null when the child is clean (on disk). */
    Node dirtyChild(int i) {
        return dirtyChildren[i];
    }

    /**
     * The clean interior child at {@code i} remembered for pointer {@code ptrs[i]}, or null.
     * Callers check that the child is still clean.
     */
    Node cleanChild(int i) {
        Node child = (Node) CLEAN_CHILD.getAcquire(cleanChildren, i);
        return child != null && child.onDisk == ptrs[i] && !child.evicted ? child : null;
    }

    /** The reference remembered at {@code i} as stored, unchecked (tests of the bound). */
    Node rememberedChild(int i) {
        return (Node) CLEAN_CHILD.getVolatile(cleanChildren, i);
    }

    /** Remembers a clean child read (or written) for pointer {@code ptrs[i]}. */
    void setCleanChild(int i, Node child) {
        child.rememberedBy = this;
        CLEAN_CHILD.setVolatile(cleanChildren, i, child);
        // Recheck: an eviction that ran before the store above found no reference to clear.
        // (Volatile store, then volatile load, against the eviction's store then load.)
        if (child.evicted) {
            CLEAN_CHILD.compareAndSet(cleanChildren, i, child, null);
        }
    }

    /**
     * Clears every remembered reference to {@code child}, which the cache just evicted. Runs
     * on whichever thread's cache call evicted it; by identity, so a shifted slot is found too.
     */
    void forgetCleanChild(Node child) {
        Node[] children = cleanChildren;
        for (int i = 0; i < children.length; i++) {
            if (CLEAN_CHILD.getVolatile(children, i) == child) {
                CLEAN_CHILD.compareAndSet(children, i, child, null);
            }
        }
    }

    void setChildMax(int i, Bpos max) {
        childMaxKeys[i] = max;
        childMaxInodes[i] = max.inode();
    }

    /** Pins a child that has just become dirty. */
    void setDirtyChild(int i, Node child) {
        dirtyChildren[i] = child;
    }

    /** Records a child just written: its new image, and no longer pinned. */
    void setWritten(int i, NodePointer ptr) {
        ptrs[i] = ptr;
        dirtyChildren[i] = null;
    }

    /** Inserts a child entry at {@code i}. */
    void insert(int i, Bpos childMax, NodePointer ptr, Node dirtyChild) {
        ensureCapacity(count + 1);
        shift(i, i + 1, count - i);
        count++;
        childMaxKeys[i] = childMax;
        childMaxInodes[i] = childMax.inode();
        ptrs[i] = ptr;
        dirtyChildren[i] = dirtyChild;
        cleanChildren[i] = null;
    }

    void remove(int i) {
        shift(i + 1, i, count - i - 1);
        count--;
        childMaxKeys[count] = null;
        ptrs[count] = null;
        dirtyChildren[count] = null;
        cleanChildren[count] = null;
    }

    private void shift(int from, int to, int n) {
        System.arraycopy(childMaxKeys, from, childMaxKeys, to, n);
        System.arraycopy(childMaxInodes, from, childMaxInodes, to, n);
        System.arraycopy(ptrs, from, ptrs, to, n);
        System.arraycopy(dirtyChildren, from, dirtyChildren, to, n);
        System.arraycopy(cleanChildren, from, cleanChildren, to, n);
    }

    private void ensureCapacity(int needed) {
        if (needed > childMaxKeys.length) {
            resize(grownCapacity(childMaxKeys.length, needed));
        }
    }

    private void resize(int capacity) {
        childMaxKeys = Arrays.copyOf(childMaxKeys, capacity);
        childMaxInodes = Arrays.copyOf(childMaxInodes, capacity);
        ptrs = Arrays.copyOf(ptrs, capacity);
        dirtyChildren = Arrays.copyOf(dirtyChildren, capacity);
        cleanChildren = Arrays.copyOf(cleanChildren, capacity);
    }

    /** Drops spare capacity, for nodes about to become clean and cached. */
    void trim() {
        if (childMaxKeys.length > count) {
            resize(count);
        }
    }

    /**
     * Moves {@code n} children starting at {@code srcFrom} of {@code src} to index {@code dstAt}
     * of {@code dst}, with their pointers and pins. The caller fixes both nodes' ranges.
     */
    static void moveChildren(InteriorNode src, int srcFrom, InteriorNode dst, int dstAt, int n) {
        dst.ensureCapacity(dst.count + n);
        dst.shift(dstAt, dstAt + n, dst.count - dstAt);
        System.arraycopy(src.childMaxKeys, srcFrom, dst.childMaxKeys, dstAt, n);
        System.arraycopy(src.childMaxInodes, srcFrom, dst.childMaxInodes, dstAt, n);
        System.arraycopy(src.ptrs, srcFrom, dst.ptrs, dstAt, n);
        System.arraycopy(src.dirtyChildren, srcFrom, dst.dirtyChildren, dstAt, n);
        System.arraycopy(src.cleanChildren, srcFrom, dst.cleanChildren, dstAt, n);
        for (int i = dstAt; i < dstAt + n; i++) {
            if (dst.cleanChildren[i] != null) {
                dst.cleanChildren[i].rememberedBy = dst;
            }
        }
        dst.count += n;
        src.shift(srcFrom + n, srcFrom, src.count - srcFrom - n);
        int end = src.count;
        src.count -= n;
        Arrays.fill(src.childMaxKeys, src.count, end, null);
        Arrays.fill(src.ptrs, src.count, end, null);
        Arrays.fill(src.dirtyChildren, src.count, end, null);
        Arrays.fill(src.cleanChildren, src.count, end, null);
    }

    @Override
    void encodeKeysTo(ByteBuffer out) {
        for (int i = 0; i < count; i++) {
            childMaxKeys[i].encodeTo(out);
            out.put((byte) KeyType.BTREE_PTR);
            out.putShort((short) NodePointer.ENCODED_BYTES);
            ptrs[i].encodeTo(out);
        }
    }
}
