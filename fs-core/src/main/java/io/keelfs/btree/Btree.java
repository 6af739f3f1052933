package io.keelfs.btree;

import com.google.common.base.Preconditions;
import io.keelfs.error.CorruptException;
import io.keelfs.error.DeviceIoException;
import io.keelfs.error.KeelException;
import io.keelfs.error.TopologyException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.format.NodeHeader;
import io.keelfs.format.NodePointer;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

/**
 * One copy-on-write B+tree: keys in leaves, fixed-size checksummed nodes, whole nodes rewritten
 * to fresh slots at {@link #checkpoint} (H2 MVStore / LMDB style, not bcachefs's appended
 * bsets).
 *
 * <p>Entry points: {@link #empty} and {@link #open}; {@link #get}, {@link #put} (a
 * {@link KeyType#DELETED} key deletes), {@link #iterator}; {@link #checkpoint}; {@link #root},
 * {@link #isDirty}, {@link #dirtyBytes}; {@link #verify}, {@link #appendTo}.
 *
 * <p>A change reads every node it needs first (the path to the leaf, and the siblings a merge
 * will need), then applies in memory with no I/O and no failure point, so a read error leaves
 * the tree unchanged. Changed nodes become dirty and stay pinned until the next checkpoint,
 * which writes them bottom-up to newly allocated slots and frees the slots of the images they
 * replace. Nodes split when their image would exceed the node size and merge with (or take
 * keys from) a sibling below a quarter of it; a root with one child is collapsed. The root
 * always covers [{@link Bpos#MIN}, {@link Bpos#MAX}] and children tile their parent's range.
 *
 * <p>Node write sequence numbers: {@code checkpointSeq << 28 | btreeId << 24 | counter}, the
 * counter counting node writes within one checkpoint seq. They are unique as long as every
 * checkpoint seq is at least the previous one (a failed checkpoint may be retried with the
 * same seq) and, after {@link #open}, greater than the one that wrote the root.
 *
 * <p>Thread-safety: callers serialise mutations and checkpoints; concurrent readers are
 * allowed only under the caller's read lock. Keep at most one Btree per root per
 * {@link NodeCache}: clean nodes in the cache are shared and become this tree's when dirtied.
 */
public final class Btree {
    static final int NODE_WRITE_COUNTER_BITS = 24;
    static final int CHECKPOINT_SEQ_SHIFT = NODE_WRITE_COUNTER_BITS + 4;
    /** Checkpoint seqs fit above the btree id and counter in a positive long. */
    public static final long CHECKPOINT_SEQ_MAX = (1L << (63 - CHECKPOINT_SEQ_SHIFT)) - 1;
    /** 16 M node writes per tree per checkpoint: 64 GiB of 4 KiB nodes, beyond any heap. */
    static final int NODE_WRITES_PER_SEQ_MAX = 1 << NODE_WRITE_COUNTER_BITS;
    /**
     * A node reached through a remembered reference tells the cache of one access in this
     * many, so that hot nodes keep their recency and frequency there at a 64th of the cost.
     */
    static final int REMEMBERED_HITS_PER_TOUCH = 64;

    static {
        if (BtreeId.COUNT_MAX > 1 << (CHECKPOINT_SEQ_SHIFT - NODE_WRITE_COUNTER_BITS)) {
            throw new ExceptionInInitializerError("btree ids do not fit in node seqs");
        }
    }

    final BtreeId id;
    final NodeStore store;
    final NodeCache cache;
    final int nodeSizeBytes;
    /** Largest key put() takes: a quarter of a node's key space, so a split always fits. */
    final int keyBytesMax;
    /** A non-root node using fewer bytes is merged with or refilled from a sibling. */
    final int underfullBytes;
    /** Two siblings merge when the result uses at most this many bytes; else they share. */
    final int mergedBytesMax;

    /** The root as of the last checkpoint (or open); null before the first checkpoint. */
    private NodePointer rootPtr;
    /** The root while it is dirty (pinned), else null. */
    Node dirtyRoot;
    /**
     * The clean root node, once read or written, so lookups skip the cache for it; used only
     * while its {@code onDisk} is {@link #rootPtr} (identity). Readers may set it concurrently.
     */
    private volatile Node cleanRoot;
    /** Bumped by every change to the keys, so iterators notice they must re-descend. */
    long modCount;
    int dirtyNodeCount;
    /** Slots of discarded nodes' last images, freed at the next checkpoint. */
    private long[] obsoleteOffsets = new long[8];
    private int obsoleteCount;
    private long checkpointSeqMin;
    private long writeSeq = -1;
    private int writeCounter;

    final LongAdder nodeReads = new LongAdder();
    final LongAdder cacheHits = new LongAdder();
    final LongAdder corruptReads = new LongAdder();
    final LongAdder iteratorDescents = new LongAdder();
    long nodeWrites;
    long splits;
    long merges;
    long redistributions;
    long rootCollapses;

    /** Counters of the distinct paths (STYLE.md section 3). */
    public record Stats(long nodeReads, long cacheHits, long corruptReads, long iteratorDescents,
            long nodeWrites, long splits, long merges, long redistributions, long rootCollapses) {}

    private Btree(BtreeId id, NodeStore store, NodeCache cache, int nodeSizeBytes) {
        NodeHeader.checkNodeSize(nodeSizeBytes);
        this.id = Preconditions.checkNotNull(id);
        this.store = Preconditions.checkNotNull(store);
        this.cache = Preconditions.checkNotNull(cache);
        this.nodeSizeBytes = nodeSizeBytes;
        int keysBytes = nodeSizeBytes - NodeHeader.HEADER_BYTES;
        this.keyBytesMax = Math.min(Bkey.HEADER_BYTES + Bkey.VALUE_BYTES_MAX, keysBytes / 4);
        this.underfullBytes = nodeSizeBytes / 4;
        this.mergedBytesMax = nodeSizeBytes / 4 * 3;
    }

    /** A new, empty tree: one dirty empty leaf as root; {@link #root()} is null until written. */
    public static Btree empty(BtreeId id, NodeStore store, NodeCache cache, int nodeSizeBytes) {
        Btree tree = new Btree(id, store, cache, nodeSizeBytes);
        LeafNode root = new LeafNode(id, Bpos.MIN, Bpos.MAX, 0);
        root.dirty = true;
        tree.dirtyRoot = root;
        tree.dirtyNodeCount = 1;
        return tree;
    }

    /**
     * A tree whose root a checkpoint wrote. Nothing is read yet: a damaged root or child
     * surfaces as a {@link CorruptException} from the first call that reads it.
     */
    public static Btree open(
            BtreeId id, NodePointer root, NodeStore store, NodeCache cache, int nodeSizeBytes) {
        Btree tree = new Btree(id, store, cache, nodeSizeBytes);
        tree.rootPtr = Preconditions.checkNotNull(root, "null root for btree %s", id);
        tree.checkpointSeqMin = (root.seq() >>> CHECKPOINT_SEQ_SHIFT) + 1;
        return tree;
    }

    public BtreeId id() {
        return id;
    }

    public int nodeSizeBytes() {
        return nodeSizeBytes;
    }

    /** Largest {@link Bkey#encodedBytes()} that {@link #put} accepts with this node size. */
    public int keyBytesMax() {
        return keyBytesMax;
    }

    /** The root written by the last checkpoint (or given to open); null before the first. */
    public NodePointer root() {
        return rootPtr;
    }

    public boolean isDirty() {
        return dirtyRoot != null;
    }

    /** Bytes the next checkpoint will write: dirty nodes times the node size. */
    public long dirtyBytes() {
        return (long) dirtyNodeCount * nodeSizeBytes;
    }

    public int dirtyNodeCount() {
        return dirtyNodeCount;
    }

    public Stats stats() {
        return new Stats(nodeReads.sum(), cacheHits.sum(), corruptReads.sum(),
                iteratorDescents.sum(), nodeWrites, splits, merges, redistributions,
                rootCollapses);
    }

    /** The key at {@code pos}, or null when there is none. */
    public Bkey get(Bpos pos) throws KeelException {
        LeafNode leaf = findLeaf(pos);
        int i = leaf.lowerBound(pos);
        return i < leaf.count() && leaf.compareAt(i, pos) == 0 ? leaf.key(i) : null;
    }

    /**
     * Inserts or replaces {@code key}; a key of type {@link KeyType#DELETED} removes the key at
     * its position (if any). The key's value array is kept, not copied: never modify it.
     *
     * @throws IllegalArgumentException if the key is larger than {@link #keyBytesMax()}
     */
    public void put(Bkey key) throws KeelException {
        // Not Preconditions: five message arguments would box and fill a varargs array per put.
        if (key.encodedBytes() > keyBytesMax) {
            throw new IllegalArgumentException(String.format(
                    "key at %s takes %s bytes, btree %s with %s-byte nodes takes at most %s",
                    key.pos(), key.encodedBytes(), id, nodeSizeBytes, keyBytesMax));
        }
        Path path = descend(key.pos());
        LeafNode leaf = (LeafNode) path.nodes[0];
        int i = leaf.lowerBound(key.pos());
        boolean present = i < leaf.count() && leaf.compareAt(i, key.pos()) == 0;
        int usedAfter;
        if (key.isDeleted()) {
            if (!present) {
                return;
            }
            usedAfter = leaf.usedBytes() - leaf.keyBytes(i);
        } else if (present) {
            if (leaf.sameContent(i, key)) {
                return;
            }
            usedAfter = leaf.usedBytes() - leaf.keyBytes(i) + key.encodedBytes();
        } else {
            usedAfter = leaf.usedBytes() + key.encodedBytes();
        }
        BtreeRebalance.MergePlan plan = usedAfter < underfullBytes && path.top > 0
                ? BtreeRebalance.plan(this, path, usedAfter)
                : null;
        // Everything needed is in memory: from here on no I/O and no failure.
        dirtyPath(path);
        if (key.isDeleted()) {
            leaf.remove(i);
        } else if (present) {
            leaf.replace(i, key);
        } else {
            leaf.insert(i, key);
        }
        modCount++;
        BtreeRebalance.afterChange(this, path, plan);
    }

    /** An iterator positioned before the first key at or after {@code start}. */
    public BtreeIterator iterator(Bpos start) {
        return new BtreeIterator(this, start);
    }

    /**
     * Writes every dirty node bottom-up to a newly allocated slot (a live image is never
     * overwritten), frees the slots of the images they replace and of discarded nodes, and
     * returns the new root. Afterwards every node is clean and evictable. The caller flushes
     * the device and journals the root; a failure leaves the tree consistent and still dirty,
     * and the checkpoint may be retried.
     *
     * @param seq the journal sequence that will record the roots; at least the seq of the
     *     previous checkpoint of this tree, and greater than the one that wrote an opened root
     */
    public NodePointer checkpoint(long seq) throws KeelException {
        return checkpoint(seq, null);
    }

    /**
     * {@link #checkpoint(long)} with the node writes deferred: each dirty node is encoded into
     * its own image, given a slot and made clean as there, but its image goes to
     * {@code writes} (see {@link CheckpointWrites}) instead of the device. A failure (no slot
     * left) leaves the nodes prepared so far in {@code writes}: the caller writes them before a
     * retry.
     */
    public NodePointer prepareCheckpoint(long seq, CheckpointWrites writes)
            throws KeelException {
        return checkpoint(seq, Preconditions.checkNotNull(writes));
    }

    private NodePointer checkpoint(long seq, CheckpointWrites deferred) throws KeelException {
        Preconditions.checkArgument(seq >= checkpointSeqMin && seq <= CHECKPOINT_SEQ_MAX,
                "checkpoint seq %s of btree %s not in [%s, %s]", seq, id, checkpointSeqMin,
                CHECKPOINT_SEQ_MAX);
        if (dirtyRoot == null) {
            return rootPtr;
        }
        if (seq != writeSeq) {
            writeSeq = seq;
            writeCounter = 0;
        }
        ByteBuffer image = deferred == null ? ByteBuffer.allocate(nodeSizeBytes) : null;
        NodePointer root = write(dirtyRoot, image, deferred);
        for (int i = 0; i < obsoleteCount; i++) {
            store.free(obsoleteOffsets[i]);
        }
        obsoleteCount = 0;
        cleanRoot = dirtyRoot;
        rootPtr = root;
        dirtyRoot = null;
        checkpointSeqMin = seq;
        return root;
    }

    /**
     * Writes {@code node}'s dirty subtree, children first. With {@code deferred} null the
     * image goes through {@code scratch} to the device at once; else each node gets its own
     * image, handed to {@code deferred}.
     */
    private NodePointer write(Node node, ByteBuffer scratch, CheckpointWrites deferred)
            throws KeelException {
        if (node instanceof InteriorNode interior) {
            for (int i = 0; i < interior.count(); i++) {
                Node child = interior.dirtyChild(i);
                if (child != null) {
                    interior.setWritten(i, write(child, scratch, deferred));
                    interior.setCleanChild(i, child);
                }
            }
            interior.trim();
        } else {
            ((LeafNode) node).trim();
        }
        Preconditions.checkState(writeCounter < NODE_WRITES_PER_SEQ_MAX,
                "btree %s wrote %s nodes at checkpoint seq %s", id, writeCounter, writeSeq);
        long nodeSeq = writeSeq << CHECKPOINT_SEQ_SHIFT
                | (long) id.id << NODE_WRITE_COUNTER_BITS | writeCounter++;
        ByteBuffer image = deferred == null ? scratch : ByteBuffer.allocate(nodeSizeBytes);
        int crc = NodeCodec.encode(node, nodeSeq, image);
        long offset = store.allocate();
        if (deferred == null) {
            try {
                store.write(offset, image);
            } catch (DeviceIoException e) {
                store.free(offset);
                throw e;
            }
        }
        NodePointer ptr = new NodePointer(node.minKey, node.maxKey, offset, nodeSeq, crc,
                node.level);
        if (node.onDisk != null) {
            store.free(node.onDisk.offsetBytes());
        }
        node.onDisk = ptr;
        node.dirty = false;
        dirtyNodeCount--;
        nodeWrites++;
        if (deferred != null) {
            deferred.add(offset, image, node);
        }
        cache.put(offset, node);
        return ptr;
    }

    /**
     * Calls {@code consumer} with the offset of every node reachable from the root, reading
     * interior nodes only: how the slot bitmap is rebuilt at open. The tree must be clean.
     */
    public void forEachNodeOffset(LongConsumer consumer) throws KeelException {
        Preconditions.checkState(dirtyRoot == null, "btree %s is dirty", id);
        walkOffsets(rootPtr, true, consumer);
    }

    private void walkOffsets(NodePointer ptr, boolean isRoot, LongConsumer consumer)
            throws KeelException {
        consumer.accept(ptr.offsetBytes());
        if (ptr.level() > 0) {
            InteriorNode node = (InteriorNode) load(ptr, isRoot);
            for (int i = 0; i < node.count(); i++) {
                walkOffsets(node.ptr(i), false, consumer);
            }
        }
    }

    /** Checks ordering, tiling, levels, sizes and dirty bookkeeping of the whole tree. */
    public void verify() throws KeelException {
        BtreeVerifier.verify(this);
    }

    /** Walks (and verifies) the whole tree, counting its keys. */
    public long countKeys() throws KeelException {
        return BtreeVerifier.verify(this);
    }

    /** A dump of the root and the dirty nodes, for messages and debugging. */
    public void appendTo(StringBuilder out) {
        BtreeVerifier.appendTo(this, out);
    }

    @Override
    public String toString() {
        return "Btree[" + id + " root " + rootPtr + (isDirty() ? ", dirty]" : "]");
    }

    // ---- Reading -------------------------------------------------------------------------

    /** The nodes from the root down to the leaf holding a position. */
    static final class Path {
        /** nodes[level]; nodes[top] is the root. */
        final Node[] nodes;
        /** index[level]: where nodes[level] sits in nodes[level + 1]. */
        final int[] index;
        final int top;

        Path(int top) {
            this.top = top;
            this.nodes = new Node[top + 1];
            this.index = new int[top + 1];
        }
    }

    Node rootNode() throws KeelException {
        if (dirtyRoot != null) {
            return dirtyRoot;
        }
        Node clean = cleanRoot;
        if (clean != null && clean.onDisk == rootPtr && !clean.dirty) {
            return clean;
        }
        if (!rootPtr.minKey().equals(Bpos.MIN) || !rootPtr.maxKey().equals(Bpos.MAX)) {
            throw new TopologyException(String.format(
                    "root of btree %s covers [%s..%s], not the whole key space: %s", id,
                    rootPtr.minKey(), rootPtr.maxKey(), rootPtr), rootPtr.offsetBytes());
        }
        clean = load(rootPtr, true);
        cleanRoot = clean;
        return clean;
    }

    LeafNode findLeaf(Bpos pos) throws KeelException {
        Node node = rootNode();
        while (node instanceof InteriorNode interior) {
            node = child(interior, interior.childIndex(pos));
        }
        return (LeafNode) node;
    }

    Path descend(Bpos pos) throws KeelException {
        Node root = rootNode();
        Path path = new Path(root.level);
        path.nodes[root.level] = root;
        for (int level = root.level; level > 0; level--) {
            InteriorNode interior = (InteriorNode) path.nodes[level];
            int i = interior.childIndex(pos);
            path.index[level - 1] = i;
            path.nodes[level - 1] = child(interior, i);
        }
        return path;
    }

    /**
     * Child {@code i} of {@code parent}: pinned if dirty, else the remembered clean child
     * (see {@link InteriorNode}), else through the cache, then remembered.
     */
    Node child(InteriorNode parent, int i) throws KeelException {
        Node dirty = parent.dirtyChild(i);
        if (dirty != null) {
            return dirty;
        }
        Node clean = parent.cleanChild(i);
        if (clean != null && !clean.dirty) {
            if (++clean.rememberedHits % REMEMBERED_HITS_PER_TOUCH == 0) {
                cache.touch(clean.onDisk.offsetBytes());
            }
            return clean;
        }
        Node node = load(parent.ptr(i), false);
        parent.setCleanChild(i, node);
        return node;
    }

    /** The clean node {@code ptr} leads to, from the cache or read and checked. */
    Node load(NodePointer ptr, boolean isRoot) throws KeelException {
        Node node = cached(ptr);
        if (node != null) {
            return node;
        }
        ByteBuffer image = readImage(ptr);
        try {
            node = NodeCodec.decode(image, ptr, id, isRoot);
        } catch (CorruptException e) {
            corruptReads.increment();
            throw e;
        }
        cache.put(ptr.offsetBytes(), node);
        return node;
    }

    /**
     * Checks the leaf {@code ptr} leads to as {@link #load} would and returns its key count,
     * without making (or caching) the node when it is not cached: for {@link TreeCheck},
     * whose walk of every leaf would otherwise build each one only to drop it.
     */
    int checkLeaf(NodePointer ptr) throws KeelException {
        Node node = cached(ptr);
        if (node != null) {
            return node.count();
        }
        ByteBuffer image = readImage(ptr);
        try {
            return NodeCodec.checkLeaf(image, ptr, id, false);
        } catch (CorruptException e) {
            corruptReads.increment();
            throw e;
        }
    }

    /** The cached node {@code ptr} leads to, checked against it; null if not cached. */
    private Node cached(NodePointer ptr) throws KeelException {
        Node node = cache.get(ptr.offsetBytes());
        if (node != null) {
            cacheHits.increment();
            NodeCodec.checkCached(node, ptr, id);
        }
        return node;
    }

    /** The image at {@code ptr}'s offset, which must be a node slot. */
    private ByteBuffer readImage(NodePointer ptr) throws KeelException {
        if (!store.isSlot(ptr.offsetBytes())) {
            corruptReads.increment();
            throw new TopologyException(String.format("%s points at offset %d, not a node slot",
                    NodeCodec.describe(id, ptr), ptr.offsetBytes()), ptr.offsetBytes());
        }
        nodeReads.increment();
        return store.read(ptr.offsetBytes(), nodeSizeBytes);
    }

    // ---- Dirty bookkeeping (callers hold the exclusive lock) ------------------------------

    private void dirtyPath(Path path) {
        Node root = path.nodes[path.top];
        if (!root.dirty) {
            markDirty(root);
            dirtyRoot = root;
        }
        for (int level = path.top - 1; level >= 0; level--) {
            markDirtyChild((InteriorNode) path.nodes[level + 1], path.index[level],
                    path.nodes[level]);
        }
    }

    /** Makes child {@code i} of the dirty {@code parent} dirty and pins it. */
    void markDirtyChild(InteriorNode parent, int i, Node child) {
        if (!child.dirty) {
            markDirty(child);
            parent.setDirtyChild(i, child);
        }
    }

    private void markDirty(Node node) {
        node.dirty = true;
        node.evicted = false; // pinned from now on; evicted only in a race within this put
        dirtyNodeCount++;
        if (node.onDisk != null) {
            cache.invalidate(node.onDisk.offsetBytes());
        }
    }

    /** A new node made by a split or a root split: dirty from birth. */
    void adoptNew(Node node) {
        node.dirty = true;
        dirtyNodeCount++;
    }

    /** A dirty node merged away or collapsed: its last image is freed at the next checkpoint. */
    void discard(Node node) {
        Preconditions.checkState(node.dirty, "discarding clean node %s", node.onDisk);
        node.dirty = false;
        dirtyNodeCount--;
        if (node.onDisk != null) {
            if (obsoleteCount == obsoleteOffsets.length) {
                obsoleteOffsets = Arrays.copyOf(obsoleteOffsets, obsoleteCount * 2);
            }
            obsoleteOffsets[obsoleteCount++] = node.onDisk.offsetBytes();
            node.onDisk = null;
        }
    }

    int obsoleteCount() {
        return obsoleteCount;
    }
}
