package io.keelfs.btree;

import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.NodeHeader;
import io.keelfs.format.NodePointer;
import java.nio.ByteBuffer;

/**
 * One btree node in memory: a {@link LeafNode} holding keys or an {@link InteriorNode}
 * holding child pointers, covering the closed key range [{@link #minKey}, {@link #maxKey}].
 *
 * <p>Lifecycle:
 * <ol>
 *   <li>clean: read from disk (or just written); {@link #onDisk} is its image; it sits in the
 *       {@link NodeCache} and may be evicted and re-read at any time; it is never modified;
 *   <li>dirty: about to change or changed since its last write; removed from the cache and
 *       pinned by its parent's {@code dirtyChildren} slot (or the tree's dirty root);
 *       {@link #onDisk} still names the old image, freed when the node is next written;
 *   <li>discarded: merged away or replaced as root; its old image is freed at the next
 *       checkpoint and the object is never used again.
 * </ol>
 *
 * <p>Invariant: a dirty node's parent is dirty (a change moves every node up to the root).
 *
 * <p>Not thread-safe: clean nodes are read concurrently only while nobody mutates the tree.
 */
abstract sealed class Node permits LeafNode, InteriorNode {
    /** Rough object header plus fields, for heap estimates. */
    static final int OBJECT_HEAP_BYTES = 64;
    static final int ARRAY_HEAP_BYTES = 16;

    final BtreeId btreeId;
    final int level;
    Bpos minKey;
    Bpos maxKey;
    /** The image this node was read from or last written to; null if never written. */
    NodePointer onDisk;
    boolean dirty;
    /**
     * Set when the {@link NodeCache} evicts (or drops) this clean node: references that parents
     * remember to it ({@link InteriorNode#cleanChild}) are cleared and never followed again, so
     * the cache's bound holds. Reset when the node is dirtied (it is pinned then).
     */
    volatile boolean evicted;
    /** The interior node that last remembered this one as a clean child, or null. */
    volatile InteriorNode rememberedBy;
    /**
     * Descents that reached this node through a remembered reference since the last time the
     * cache was told of an access ({@link Btree#child}). Racy on purpose: it only samples.
     */
    int rememberedHits;

    Node(BtreeId btreeId, int level, Bpos minKey, Bpos maxKey) {
        this.btreeId = btreeId;
        this.level = level;
        this.minKey = minKey;
        this.maxKey = maxKey;
    }

    /** Keys (leaf) or children (interior). */
    abstract int count();

    /** Bytes the node's image uses: header plus encoded keys. */
    abstract int usedBytes();

    /** Estimated heap bytes, the node cache's weight. */
    abstract long heapBytes();

    /** Writes the keys after the header, in order, at {@code out}'s position. */
    abstract void encodeKeysTo(ByteBuffer out);

    final boolean isLeaf() {
        return level == 0;
    }

    static int keysBytes(int usedBytes) {
        return usedBytes - NodeHeader.HEADER_BYTES;
    }

    /** Grows an array capacity by half, at least to {@code needed}. */
    static int grownCapacity(int capacity, int needed) {
        return Math.max(needed, capacity + (capacity >> 1) + 4);
    }

    void appendSummaryTo(StringBuilder out) {
        out.append(isLeaf() ? "leaf" : "interior L").append(isLeaf() ? "" : level)
                .append(" [").append(minKey).append("..").append(maxKey).append("] ")
                .append(count()).append(isLeaf() ? " keys, " : " children, ")
                .append(usedBytes()).append(" bytes, ")
                .append(dirty ? "dirty" : "clean");
        if (onDisk != null) {
            out.append(", image ").append(onDisk);
        }
    }
}
