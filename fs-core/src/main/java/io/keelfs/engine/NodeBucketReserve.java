package io.keelfs.engine;

import com.google.common.math.LongMath;
import io.keelfs.btree.Btree;
import io.keelfs.btree.BtreeSet;
import io.keelfs.btree.BucketNodeStore;
import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import io.keelfs.error.NoSpaceException;
import io.keelfs.error.TopologyException;
import io.keelfs.format.BtreeId;
import io.keelfs.txn.Transaction;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Managed mode's btree node space (bcachefs {@code btree_reserve}): the engine's
 * {@link BucketNodeStore} and the {@link NodeBucketSource} its buckets come from.
 *
 * <p>Entry points: {@link #collectNodeOffsets} and {@link #adopt} (open), {@link #topUp}
 * (before a checkpoint takes the exclusive lock), {@link #hasFreeSlots} (the recheck under
 * it), {@link #returnSpare} (after a checkpoint).
 *
 * <p>Why reserve first: a checkpoint writes every dirty node, including those of the ALLOC
 * btree, under the engine's exclusive lock, so it cannot run the transaction that claims a
 * new bucket. The engine therefore tops the store up to the dirty node count plus a margin
 * with the lock not held, then rechecks under the lock and retries if concurrent updates
 * dirtied more ({@link Engine#NODE_RESERVE_ATTEMPTS_MAX}).
 *
 * <p>Re-entry: a claim or return is an engine transaction, which may itself checkpoint (the
 * journal is full). Such a nested checkpoint neither tops up nor returns buckets; it uses the
 * slots already there, which the margin and the spare buckets keep available.
 *
 * <p>Thread-safety: {@link #topUp} and {@link #returnSpare} are serialised on this object's
 * monitor, taken only without the engine lock held (lock order: reserve monitor, allocator
 * lock, engine lock).
 */
final class NodeBucketReserve {
    private static final Logger LOG = Logger.getLogger(NodeBucketReserve.class.getName());
    /**
     * Free slots a top-up leaves beyond what the checkpoint is known to need: covers some
     * updates between the top-up and the recheck (one split copies the path up to the root
     * and adds a node per level: 8 slots for a four-level tree; two trees: 16) and a nested
     * checkpoint (a claim's transaction finding the journal truly full). More dirtying than
     * that only costs a retry ({@link Engine#NODE_RESERVE_ATTEMPTS_MAX}). Kept small because
     * with 256 KiB nodes 16 slots are already 4 MiB.
     */
    static final int MARGIN_SLOTS = 16;
    /** Nodes listed in the message naming nodes found outside btree buckets. */
    static final int FOREIGN_NODES_LISTED_MAX = 16;

    private final Engine engine;
    private final BucketNodeStore store;
    private final NodeBucketSource source;
    private final EngineStats stats;
    /** Set while this thread claims or returns a bucket: a nested checkpoint must not. */
    private final ThreadLocal<Boolean> inSource = ThreadLocal.withInitial(() -> false);

    NodeBucketReserve(Engine engine, BucketNodeStore store, NodeBucketSource source,
            EngineStats stats) {
        this.engine = engine;
        this.store = store;
        this.source = source;
        this.stats = stats;
    }

    BucketNodeStore store() {
        return store;
    }

    /**
     * The offset of every node reachable from the (clean, just opened) trees, by tree: read
     * before replay dirties them, checked against the alloc records after ({@link #adopt}).
     */
    static Map<BtreeId, long[]> collectNodeOffsets(BtreeSet trees) throws KeelException {
        EnumMap<BtreeId, long[]> out = new EnumMap<>(BtreeId.class);
        for (BtreeId id : BtreeId.values()) {
            Btree tree = trees.tree(id);
            if (tree.root() == null) {
                continue;
            }
            long[][] buf = {new long[16]};
            int[] n = {0};
            tree.forEachNodeOffset(offset -> {
                if (n[0] == buf[0].length) {
                    buf[0] = Arrays.copyOf(buf[0], n[0] * 2);
                }
                buf[0][n[0]++] = offset;
            });
            out.put(id, Arrays.copyOf(buf[0], n[0]));
        }
        return out;
    }

    /**
     * At open, after replay: owns the buckets the source says hold nodes, marks the slot of
     * every collected node, then allows reads only there. A node outside those buckets is an
     * {@link InconsistentException} naming btree, offset and bucket (nothing is written).
     */
    void adopt(Map<BtreeId, long[]> nodeOffsets, Transaction txn) throws KeelException {
        for (long bucket : source.nodeBuckets(txn)) {
            // A record naming a bucket that cannot hold nodes is damage, not a caller mistake.
            if (!store.inRegion(bucket) || store.ownsBucket(bucket)) {
                throw new InconsistentException(String.format("%s: the alloc records name"
                        + " bucket %d as a btree bucket %s; refusing to write; run keelfs fsck",
                        engine.device().describe(), bucket, store.inRegion(bucket)
                                ? "twice" : "but it lies outside the node buckets"));
            }
            store.addBucket(bucket);
        }
        List<String> foreign = new ArrayList<>();
        for (Map.Entry<BtreeId, long[]> e : nodeOffsets.entrySet()) {
            for (long offset : e.getValue()) {
                long bucket = store.bucketOf(offset);
                if (!store.ownsBucket(bucket)) {
                    if (foreign.size() < FOREIGN_NODES_LISTED_MAX) {
                        foreign.add("btree " + e.getKey() + " node at offset " + offset
                                + " in bucket " + bucket);
                    }
                } else if (!store.markUsed(offset)) {
                    throw new TopologyException(String.format(
                            "btree %s: node slot at offset %d is referenced twice", e.getKey(),
                            offset), offset);
                }
            }
        }
        if (!foreign.isEmpty()) {
            throw new InconsistentException(String.format("%s: reachable btree nodes lie in"
                    + " buckets whose alloc record is not btree (shown up to %d): %s; refusing"
                    + " to write; open read-only or run keelfs fsck",
                    engine.device().describe(), FOREIGN_NODES_LISTED_MAX, foreign));
        }
        store.restrictToOwnedBuckets();
    }

    /** Whether the store has {@code slots} free slots now (the recheck under the lock). */
    boolean hasFreeSlots(long slots) {
        return store.freeSlotCount() >= slots;
    }

    /** True on a thread inside a claim or return: a nested checkpoint. */
    boolean isNested() {
        return inSource.get();
    }

    /**
     * Claims buckets until the store has {@code slotsNeeded} + {@link #MARGIN_SLOTS} free
     * slots. Call without the engine lock; does nothing inside a claim or return. Out of
     * buckets, it throws the source's NoSpaceException only if even {@code slotsNeeded} are
     * not free: the margin is a wish, not a need.
     */
    synchronized void topUp(long slotsNeeded) throws KeelException {
        if (isNested()) {
            return;
        }
        long target = slotsNeeded + MARGIN_SLOTS;
        long claimsMax = LongMath.divide(
                Math.max(0, target - store.freeSlotCount()),
                store.slotsPerBucket(), RoundingMode.CEILING);
        inSource.set(true);
        try {
            for (long i = 0; i < claimsMax && store.freeSlotCount() < target; i++) {
                long bucket = source.claimBucket(engine);
                store.addBucket(bucket);
                stats.nodeBucketsClaimed.incrementAndGet();
            }
        } catch (NoSpaceException e) {
            if (store.freeSlotCount() < slotsNeeded) {
                throw e;
            }
        } finally {
            inSource.set(false);
        }
    }

    NoSpaceException noSpace(long slotsNeeded, int attempts) {
        StringBuilder sb = new StringBuilder();
        store.appendTo(sb);
        return new NoSpaceException(String.format("checkpoint needs %d free btree node slots,"
                + " %d free after %d attempts to reserve them: %s", slotsNeeded,
                store.freeSlotCount(), attempts, sb));
    }

    /**
     * Gives back empty buckets beyond the source's spare count. Call without the engine
     * lock, after a checkpoint released its slots. A failed return keeps the bucket (and the
     * rest) in the store; an inconsistency (the record was not a btree bucket's) is thrown.
     */
    synchronized void returnSpare() throws KeelException {
        if (isNested()) {
            return;
        }
        List<Long> spare = store.takeEmptyBuckets(source.spareBucketsMax());
        inSource.set(true);
        try {
            for (int i = 0; i < spare.size(); i++) {
                try {
                    source.returnBucket(engine, spare.get(i));
                    stats.nodeBucketsReturned.incrementAndGet();
                } catch (KeelException e) {
                    for (long kept : spare.subList(i, spare.size())) {
                        store.addBucket(kept);
                    }
                    if (e instanceof InconsistentException) {
                        throw e;
                    }
                    LOG.warning("returning empty btree node bucket " + spare.get(i)
                            + " failed; kept it: " + e.getMessage());
                    return;
                }
            }
        } finally {
            inSource.set(false);
        }
    }
}
