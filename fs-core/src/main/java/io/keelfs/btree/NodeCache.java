package io.keelfs.btree;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import com.google.common.base.Preconditions;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Clean btree nodes, by device offset, bounded by their estimated heap bytes.
 *
 * <p>Entry points: the constructor (the bound) and the statistics; the trees use the
 * package-private {@link #get}, {@link #put} and {@link #invalidate}.
 *
 * <p>Only clean nodes are cached: a node leaves the cache when it becomes dirty (its dirty
 * parent pins it instead) and enters it under its new offset when a checkpoint writes it. An
 * evicted node is re-read, and re-checked, from disk on its next use. Offsets are only unique
 * within one {@link NodeStore}, so one cache serves the trees of one store.
 *
 * <p>Remembered references: parents remember clean children ({@link InteriorNode#cleanChild})
 * so that descents skip this cache. Every way a node leaves the cache other than being dirtied
 * (eviction, replacement by another copy, {@link #invalidateAll}) marks it
 * {@link Node#evicted} and clears those references, so they never hold nodes beyond the bound.
 * Descents through them call {@link #touch} now and then, so the policy still sees hot nodes.
 *
 * <p>Unwritten nodes: a deferred checkpoint ({@link CheckpointWrites}) makes nodes clean before
 * their images reach the device. Until they do, such a node is also held here, outside the
 * bound, so that an eviction cannot send a reader to a slot that does not hold the image yet.
 * {@link #invalidateAll} keeps them for the same reason.
 *
 * <p>Thread-safety: safe for concurrent use (Caffeine, ConcurrentHashMap). Maintenance runs on
 * the calling thread, so eviction is deterministic enough for tests and needs no thread pool.
 * An eviction clears parents' references from the evicting thread: callers use the cache under
 * the trees' lock (readers shared, writers exclusive), so it never races a writer shifting
 * those references; a call without it ({@link #weightBytes} in a report) could at worst leave
 * one reference to an evicted node, which {@link Node#evicted} stops anyone following.
 */
public final class NodeCache {
    /** Weights are int in Caffeine; no node image (at most 1 MiB) comes near this. */
    private static final long NODE_WEIGHT_MAX = Integer.MAX_VALUE;

    private final Cache<Long, Node> cache;
    private final long maximumWeightBytes;
    /** Clean nodes whose images are not on the device yet, by their new offset. */
    private final ConcurrentHashMap<Long, Node> unwritten = new ConcurrentHashMap<>();

    /** A cache holding at most about {@code maximumWeightBytes} of clean nodes. */
    public NodeCache(long maximumWeightBytes) {
        Preconditions.checkArgument(maximumWeightBytes >= 0,
                "node cache bound %s bytes is negative", maximumWeightBytes);
        this.maximumWeightBytes = maximumWeightBytes;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maximumWeightBytes)
                .weigher((Long offset, Node node) -> weightOf(node))
                .evictionListener((Long offset, Node node, RemovalCause cause) -> forget(node))
                .executor(Runnable::run)
                .recordStats()
                .build();
    }

    public long maximumWeightBytes() {
        return maximumWeightBytes;
    }

    /** Estimated heap bytes of the cached nodes (after pending maintenance). */
    public long weightBytes() {
        cache.cleanUp();
        return cache.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L);
    }

    public long nodeCount() {
        return cache.estimatedSize();
    }

    public CacheStats stats() {
        return cache.stats();
    }

    /** Drops every cached node (they are all clean, so nothing is lost). */
    public void invalidateAll() {
        cache.asMap().values().forEach(NodeCache::forget);
        cache.invalidateAll();
    }

    /** A node leaves the cache: parents must stop following their references to it. */
    private static void forget(Node node) {
        if (node == null) {
            return;
        }
        node.evicted = true;
        InteriorNode parent = node.rememberedBy;
        if (parent != null) {
            parent.forgetCleanChild(node);
        }
    }

    /** Tells the policy of an access to a node reached without a lookup (the class comment). */
    void touch(long offsetBytes) {
        cache.getIfPresent(offsetBytes);
    }

    Node get(long offsetBytes) {
        Node node = cache.getIfPresent(offsetBytes);
        if (node == null && !unwritten.isEmpty()) {
            node = unwritten.get(offsetBytes);
        }
        return node;
    }

    /** Holds a node made clean whose image is not written yet (see the class comment). */
    void pinUnwritten(long offsetBytes, Node node) {
        unwritten.put(offsetBytes, node);
    }

    /** The image at {@code offsetBytes} is on the device: the bound applies again. */
    void unpinWritten(long offsetBytes) {
        unwritten.remove(offsetBytes);
    }

    /** Nodes held because their images are not written yet (tests). */
    public int unwrittenCount() {
        return unwritten.size();
    }

    void put(long offsetBytes, Node node) {
        Preconditions.checkArgument(!node.dirty, "dirty node at offset %s offered to the cache",
                offsetBytes);
        Node previous = cache.asMap().put(offsetBytes, node);
        if (previous != null && previous != node) {
            forget(previous); // two readers read the same image: keep one copy
        }
    }

    void invalidate(long offsetBytes) {
        cache.invalidate(offsetBytes);
    }

    private static int weightOf(Node node) {
        return (int) Math.min(NODE_WEIGHT_MAX, node.heapBytes());
    }

    @Override
    public String toString() {
        return String.format("NodeCache[%d nodes, %d of %d bytes]", nodeCount(), weightBytes(),
                maximumWeightBytes);
    }
}
