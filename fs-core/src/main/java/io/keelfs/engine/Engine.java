package io.keelfs.engine;

import io.keelfs.block.BlockDevice;
import io.keelfs.btree.Btree;
import io.keelfs.btree.BtreeSet;
import io.keelfs.btree.BucketNodeStore;
import io.keelfs.btree.CheckpointWrites;
import io.keelfs.btree.NodeCache;
import io.keelfs.btree.SlotNodeStore;
import io.keelfs.btree.SlotStore;
import io.keelfs.error.DeviceIoException;
import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import io.keelfs.error.NoSpaceException;
import io.keelfs.error.SuperblockCorruptException;
import io.keelfs.format.Bkey;
import io.keelfs.format.BtreeId;
import io.keelfs.format.Geometry;
import io.keelfs.format.NodePointer;
import io.keelfs.format.Superblock;
import io.keelfs.journal.JournalEntry;
import io.keelfs.journal.JournalLayout;
import io.keelfs.journal.JournalReader;
import io.keelfs.journal.JournalRecord;
import io.keelfs.journal.JournalWriter;
import io.keelfs.journal.ReplayPlan;
import io.keelfs.keycache.BtreeKeyCache;
import io.keelfs.txn.Transaction;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.logging.Logger;

/**
 * The storage engine over one device: superblock, journal, btrees, key caches, transactions.
 *
 * <p>Entry points: {@link #open}, {@link Mkfs#format}, {@link #read}, {@link #update},
 * {@link #checkpoint}, {@link #close}.
 *
 * <p>Commit (under the exclusive lock): run the body against the committed trees plus its own
 * overlay; touch every updated position of a cached btree so no node read can fail there after
 * the journal append; append the updates to the journal (one entry, atomic); apply them to the
 * trees (cached btrees through their key cache). A node read failing while applying to an
 * uncached btree (a node evicted and damaged since) makes the engine read-only; see
 * {@link #touch}. A FLUSH commit then waits, without the lock, for the journal flush
 * it shares with concurrent committers.
 *
 * <p>Checkpoint (journal reclaim), one at a time ({@code checkpointLock}). Under the exclusive
 * lock, only the snapshot: write dirty key-cache entries into their btrees, checking
 * coherency; encode every dirty node copy-on-write into an image of its own in a newly
 * allocated slot, making the trees clean ({@link CheckpointWrites}). Then, without the engine
 * lock, so that updates go on into newly dirtied nodes: write the images; flush the device;
 * give the journal the new roots and lastSeq; wait until an entry carrying them is durable;
 * only then make the replaced node slots allocatable again. A failed node write or flush
 * leaves the trees pointing at slots that may not hold their images, so the engine goes
 * emergency read-only (the journal, whose lastSeq did not move, still replays right).
 * While a checkpoint runs, an update past the journal fill threshold commits without waiting
 * for it, up to {@link #hardFill} (then it waits, and checkpoints again if still past it).
 *
 * <p>Managed mode ({@link EngineOptions#nodeBucketSource} given): btree nodes live only in
 * buckets the source hands out ({@link NodeBucketReserve}). A checkpoint first tops the node
 * store up without the lock, rechecks under it (retrying a bounded number of times), and
 * after it gives empty node buckets beyond a small spare back to the source.
 *
 * <p>Allocation hold ({@link EngineOptions#holdAllocation}, fsck --repair): the open neither
 * adopts the node buckets the alloc records name nor checkpoints; until
 * {@link #startAllocation} every checkpoint is skipped, so no node is written and no bucket is
 * claimed or returned: commits live in memory and the journal (a crash replays them). Then the
 * (repaired) records are adopted and the first checkpoint runs. A journal that fills up
 * meanwhile fails the commit with NoSpaceException. Closing a held engine writes no node and
 * leaves the superblock unclean: the next open replays the journal.
 *
 * <p>Thread-safety: safe for many threads; see package-info.
 */
public final class Engine implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Engine.class.getName());
    /** Runs of one transaction body when the journal is full (each run checkpoints first). */
    static final int COMMIT_RESTARTS_MAX = 3;
    /** How long an append waits for journal space before the commit checkpoints and restarts. */
    static final long JOURNAL_FULL_WAIT_MS = 200;
    /**
     * Managed mode: top-ups before one checkpoint gives up with NoSpaceException. Each retry
     * means updates dirtied more than the margin between the top-up and the recheck.
     */
    static final int NODE_RESERVE_ATTEMPTS_MAX = 4;

    /** A transaction body. It may run more than once only if a future version restarts. */
    @FunctionalInterface
    public interface Body<T> {
        T run(Transaction txn) throws KeelException;
    }

    private final BlockDevice device;
    private final EngineOptions options;
    private final Geometry geometry;
    private final SlotStore store;
    /** Managed mode's node buckets; null when the engine uses every node bucket. */
    private final NodeBucketReserve reserve;
    private final NodeCache nodeCache;
    private final BtreeSet trees;
    private final EnumMap<BtreeId, BtreeKeyCache> keyCaches = new EnumMap<>(BtreeId.class);
    private final CommittedTrees committed;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /**
     * Held through a whole checkpoint, taken before {@link #lock}: checkpoints are serialised,
     * so a deferred checkpoint's slots and lastSeq are never overtaken by the next one.
     */
    private final ReentrantLock checkpointLock = new ReentrantLock();
    private final ReadOnlyState readOnly;
    private final List<String> openMessages;
    private final EngineStats stats = new EngineStats();
    private volatile Superblock superblock;
    private JournalWriter journal;
    private Reclaimer reclaimer;
    /**
     * Managed mode under an allocation hold: the reachable node offsets collected at open,
     * adopted by {@link #startAllocation}; null when not held (or started).
     */
    private volatile Map<BtreeId, long[]> heldNodeOffsets;
    private boolean closed;

    private Engine(BlockDevice device, EngineOptions options, Superblock superblock,
            SlotStore store, NodeCache nodeCache, BtreeSet trees, List<String> messages) {
        this.device = device;
        this.options = options;
        this.superblock = superblock;
        this.geometry = superblock.geometry();
        this.store = store;
        this.nodeCache = nodeCache;
        this.trees = trees;
        this.readOnly = new ReadOnlyState(options.readOnly());
        this.openMessages = messages;
        this.reserve = store instanceof BucketNodeStore managed
                ? new NodeBucketReserve(this, managed, options.nodeBucketSource(), stats)
                : null;
        for (BtreeId id : BtreeId.values()) {
            if (id.cached) {
                Btree tree = trees.tree(id);
                keyCaches.put(id, new BtreeKeyCache(id, new TreeBacking(tree),
                        options.keyCacheBytesMax()));
            }
        }
        this.committed = new CommittedTrees(trees, keyCaches);
    }

    /**
     * Opens a formatted device: reads the superblock (newest valid copy), replays the journal
     * into the btrees, and (unless read-only) marks the superblock not clean, checkpoints the
     * replayed state and starts background reclaim.
     */
    public static Engine open(BlockDevice device, EngineOptions options) throws KeelException {
        SuperblockIo.ReadResult sb = SuperblockIo.read(device);
        List<String> messages = new ArrayList<>(sb.problems());
        Superblock superblock = sb.superblock();
        checkDevice(device, superblock);
        checkNodeSpaceMode(device, superblock, options);
        Geometry g = superblock.geometry();
        JournalLayout layout = journalLayout(superblock);
        PreRead preRead = options.preRead();
        ReplayPlan plan = preRead != null && preRead.plan() != null ? preRead.plan()
                : JournalReader.read(device, layout, options.allowJournalTruncation());
        plan = ReplayTail.trim(plan, options.replayCheck(), messages);
        plan.problems().forEach(p -> messages.add("journal: " + p));
        NodeCache cache = preRead != null && preRead.nodeCache() != null ? preRead.nodeCache()
                : new NodeCache(options.nodeCacheBytesMax());
        Engine engine;
        Map<BtreeId, NodePointer> roots = new EnumMap<>(BtreeId.class);
        roots.putAll(plan.roots());
        roots.keySet().removeAll(options.salvagedTrees().keySet());
        if (options.isManaged()) {
            BucketNodeStore store = new BucketNodeStore(device, g.bucketSizeBytes(),
                    g.nodeSizeBytes(), g.firstNodeBucket(), g.endNodeBucket());
            BtreeSet trees = BtreeSet.open(roots, store, cache, g.nodeSizeBytes());
            // The walk needs clean trees (before replay); which buckets hold nodes is known
            // only from the replayed alloc records (after it).
            Map<BtreeId, long[]> nodes = options.readOnly()
                    ? Map.of() : NodeBucketReserve.collectNodeOffsets(trees);
            if (!options.readOnly()) {
                options.salvagedTrees().forEach((id, salvage) ->
                        nodes.put(id, salvage.nodeOffsets()));
            }
            engine = new Engine(device, options, superblock, store, cache, trees, messages);
            engine.replay(plan);
            if (!options.readOnly() && options.holdAllocation()) {
                engine.heldNodeOffsets = nodes;
            } else if (!options.readOnly()) {
                engine.reserve.adopt(nodes, new Transaction(engine.committed, true));
            }
        } else {
            SlotNodeStore store = nodeStore(device, g, options.nodeBucketsEnd());
            BtreeSet trees = BtreeSet.open(roots, store, cache, g.nodeSizeBytes());
            if (!options.readOnly()) {
                // Allocation needs the slot map; a read-only open must serve what is readable.
                trees.markNodesUsed(store);
                for (TreeSalvage salvage : options.salvagedTrees().values()) {
                    for (long offset : salvage.nodeOffsets()) {
                        store.markUsed(offset);
                    }
                }
            }
            engine = new Engine(device, options, superblock, store, cache, trees, messages);
            engine.replay(plan);
        }
        messages.forEach(m -> LOG.warning(device.describe() + ": " + m));
        if (!options.readOnly()) {
            try {
                engine.startWriting(layout, plan);
            } catch (KeelException | RuntimeException e) {
                engine.closeAfterFailedOpen(e);
                throw e;
            }
        }
        return engine;
    }

    /**
     * The node slots of the geometry's node buckets (up to {@code nodeBucketsEnd} when not 0),
     * none marked used yet.
     */
    static SlotNodeStore nodeStore(BlockDevice device, Geometry g, long nodeBucketsEnd) {
        long end = g.endNodeBucket();
        if (nodeBucketsEnd != 0) {
            if (nodeBucketsEnd <= g.firstNodeBucket() || nodeBucketsEnd > end) {
                throw new IllegalArgumentException(String.format(
                        "node buckets end %d outside (%d, %d] of %s", nodeBucketsEnd,
                        g.firstNodeBucket(), end, device.describe()));
            }
            end = nodeBucketsEnd;
        }
        return new SlotNodeStore(device, List.of(new SlotNodeStore.Range(
                g.bucketOffsetBytes(g.firstNodeBucket()),
                (end - g.firstNodeBucket()) * g.bucketSizeBytes())), g.nodeSizeBytes());
    }

    public static JournalLayout journalLayout(Superblock superblock) {
        Geometry g = superblock.geometry();
        List<Long> offsets = new ArrayList<>();
        for (long bucket : superblock.journalBuckets()) {
            offsets.add(g.bucketOffsetBytes(bucket));
        }
        return new JournalLayout(offsets, g.bucketSizeBytes(), g.blockSizeBytes());
    }

    /**
     * A writable open must match how the image places nodes: managed (a node bucket source)
     * exactly when it has alloc records. Unmanaged on such an image would write nodes over
     * file data; managed without records would find no bucket to claim. Read-only opens
     * write no node and may open either.
     */
    private static void checkNodeSpaceMode(BlockDevice device, Superblock sb,
            EngineOptions options) {
        boolean allocRecords = (sb.features() & Superblock.FEATURE_ALLOC_RECORDS) != 0;
        if (!options.readOnly() && allocRecords != options.isManaged()) {
            throw new IllegalArgumentException(allocRecords
                    ? device.describe() + " has alloc records: open it writable in managed mode"
                            + " (io.keelfs.alloc.ManagedEngine), or read-only"
                    : device.describe() + " has no alloc records: managed mode needs an image"
                            + " formatted by io.keelfs.alloc.AllocFormat");
        }
    }

    /** Refuses a device the superblock does not fit: truncated, block size, unknown features. */
    static void checkDevice(BlockDevice device, Superblock sb)
            throws SuperblockCorruptException {
        Geometry g = sb.geometry();
        if (device.sizeBytes() < g.usedBytes()) {
            throw new SuperblockCorruptException(String.format(
                    "%s is %d bytes but its superblock describes %d buckets of %d bytes (%d bytes):"
                            + " the image was truncated", device.describe(), device.sizeBytes(),
                    g.bucketCount(), g.bucketSizeBytes(), g.usedBytes()), -1);
        }
        if (g.blockSizeBytes() % device.blockSizeBytes() != 0) {
            throw new SuperblockCorruptException(String.format(
                    "%s has block size %d, the filesystem needs a multiple: %d",
                    device.describe(), device.blockSizeBytes(), g.blockSizeBytes()), -1);
        }
        long unknown = sb.features() & ~Superblock.FEATURES_KNOWN;
        if (unknown != 0) {
            throw new SuperblockCorruptException(String.format(
                    "%s uses features %x this build does not know", device.describe(), unknown),
                    -1);
        }
    }

    /**
     * Puts the keys of salvaged trees into their (empty) btrees, then applies the journal's key
     * updates, in seq order, straight into the btrees.
     */
    private void replay(ReplayPlan plan) throws KeelException {
        for (Map.Entry<BtreeId, TreeSalvage> e : options.salvagedTrees().entrySet()) {
            Btree tree = trees.tree(e.getKey());
            for (Bkey key : e.getValue().keys()) {
                tree.put(key);
            }
        }
        long keys = 0;
        for (JournalEntry entry : plan.entries()) {
            for (JournalRecord.KeyUpdate u : entry.updates()) {
                trees.tree(u.btree()).put(u.key());
                keys++;
            }
        }
        stats.replayedKeys = keys;
        stats.replayedEntries = plan.entries().size();
    }

    private void startWriting(JournalLayout layout, ReplayPlan plan) throws KeelException {
        JournalWriter.Options defaults = JournalWriter.Options.defaults();
        journal = JournalWriter.resume(device, layout, plan, superblock.isClean(),
                new JournalWriter.Options(defaults.writeDelayMs(), defaults.entryCloseBytes(),
                        JOURNAL_FULL_WAIT_MS), this::requestReclaim);
        writeSuperblock(false);
        if (heldNodeOffsets == null) {
            checkpoint();
        }
        reclaimer = new Reclaimer(this, options.checkpointIntervalMs(),
                options.checkpointJournalFill());
        reclaimer.start();
    }

    private void writeSuperblock(boolean clean) throws DeviceIoException {
        Superblock next = superblock.withSeqAndFlags(superblock.seq() + 1,
                clean ? Superblock.FLAG_CLEAN : 0);
        SuperblockIo.write(device, next);
        superblock = next;
    }

    /**
     * Writes everything back ({@link #checkpoint}), then forgets every cached node and
     * key-cache entry, as {@code sync; echo 3 > /proc/sys/vm/drop_caches} does for a kernel
     * filesystem: later reads come from the device. Entries dirtied between the two steps stay
     * (dirty state is never dropped). The forgetting runs under the exclusive lock, which the
     * node cache's remembered references need (see {@link NodeCache}).
     */
    public void dropCaches() throws KeelException {
        checkpoint();
        lock.writeLock().lock();
        try {
            nodeCache.invalidateAll();
            for (BtreeKeyCache cache : keyCaches.values()) {
                cache.dropClean();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Runs a read-only transaction under the shared lock. */
    public <T> T read(Body<T> body) throws KeelException {
        lock.readLock().lock();
        try {
            return body.run(new Transaction(committed, true));
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Runs a read-write transaction and commits it atomically. With {@link Durability#FLUSH}
     * returns only once the commit is durable.
     */
    public <T> T update(Body<T> body, Durability durability) throws KeelException {
        for (int attempt = 0; ; attempt++) {
            readOnly.checkWritable("update");
            // A claim of node buckets for a checkpoint (nested) must not itself checkpoint at
            // the fill threshold: it would need the slots it is claiming. The journal still has
            // room past the threshold; a truly full one restarts below.
            if (mustCheckpointBeforeCommit() && (reserve == null || !reserve.isNested())) {
                checkpointAtThreshold();
            }
            try {
                return commitOnce(body, durability);
            } catch (NoSpaceException e) {
                // The journal was full: nothing was applied, so checkpoint and run the body again.
                if (attempt + 1 >= COMMIT_RESTARTS_MAX) {
                    throw e;
                }
                if (heldNodeOffsets != null) {
                    throw new NoSpaceException("the journal is full while btree node writes"
                            + " are held until the alloc records are checked (fsck): "
                            + e.getMessage());
                }
                stats.commitRestarts++;
                checkpoint();
            }
        }
    }

    /**
     * Whether an update must first checkpoint: the journal is past its fill threshold, and
     * neither another thread's checkpoint nor background reclaim can take it (or the journal is
     * past {@link #hardFill} too). A running checkpoint will lower the fill when its roots are
     * durable, and a woken {@link Reclaimer} starts one at once; waiting for either earlier
     * would only stall commits, as would checkpointing in the committer (bcachefs likewise
     * leaves journal reclaim to its thread until space is short). (An update run by the
     * checkpointing thread itself, a nested one, checkpoints as before: it would not wait for
     * itself.)
     */
    private boolean mustCheckpointBeforeCommit() {
        double fill = journal.fillRatio();
        if (fill <= options.checkpointJournalFill()) {
            return false;
        }
        if (fill > hardFill() || checkpointLock.isHeldByCurrentThread()) {
            return true;
        }
        if (checkpointLock.isLocked()) {
            return false; // another thread's checkpoint is under way
        }
        Reclaimer r = reclaimer;
        if (r != null && r.isRunning()) {
            r.wakeForFill();
            return false;
        }
        return true;
    }

    /** Halfway from the fill threshold to a full journal. */
    private double hardFill() {
        return options.checkpointJournalFill() + (1 - options.checkpointJournalFill()) / 2;
    }

    /**
     * The checkpoint an update runs when the journal passes its fill threshold. Managed mode
     * may be out of node buckets: the update then still commits while the journal has room,
     * so that the transactions that free space (deleting data, freeing buckets) can run; a
     * truly full journal fails the commit with NoSpaceException.
     */
    private void checkpointAtThreshold() throws KeelException {
        try {
            checkpoint(true);
        } catch (NoSpaceException e) {
            if (reserve == null) {
                throw e;
            }
            stats.nodeReserveFailures.incrementAndGet();
        }
    }

    private <T> T commitOnce(Body<T> body, Durability durability) throws KeelException {
        long seq;
        T result;
        lock.writeLock().lock();
        try {
            readOnly.checkWritable("update");
            Transaction txn = new Transaction(committed, false);
            result = body.run(txn);
            List<Transaction.Update> updates = txn.updates();
            if (updates.isEmpty()) {
                return result;
            }
            touch(updates);
            seq = journal.append(toRecords(updates));
            options.hooks().afterJournalAppend(seq);
            apply(updates, seq);
            txn.committed(seq);
            stats.commits++;
        } finally {
            lock.writeLock().unlock();
        }
        if (durability == Durability.FLUSH) {
            journal.awaitDurable(seq);
        }
        return result;
    }

    /**
     * Reads every updated position of a cached btree, so that applying cannot meet an unread
     * or corrupt node there. Uncached btrees are not touched: {@link Btree#put} reads all it
     * needs before its first change, so a read failure while applying leaves the keys before it
     * applied and the rest not, and {@link #apply} goes read-only (the journal replays all of
     * them). Touching them would descend each key twice, about a third of an insert's time.
     */
    private void touch(List<Transaction.Update> updates) throws KeelException {
        for (Transaction.Update u : updates) {
            if (keyCaches.containsKey(u.btree())) {
                trees.tree(u.btree()).get(u.key().pos());
            }
        }
    }

    private static List<JournalRecord.KeyUpdate> toRecords(List<Transaction.Update> updates) {
        List<JournalRecord.KeyUpdate> records = new ArrayList<>(updates.size());
        for (Transaction.Update u : updates) {
            records.add(new JournalRecord.KeyUpdate(u.btree(), u.key()));
        }
        return records;
    }

    /**
     * Applies journaled updates. A failure here leaves memory and journal apart: that is an
     * internal inconsistency, so the engine goes read-only (the journal still replays right).
     */
    private void apply(List<Transaction.Update> updates, long seq) throws KeelException {
        try {
            for (Transaction.Update u : updates) {
                BtreeKeyCache cache = keyCaches.get(u.btree());
                if (cache != null) {
                    cache.update(u.key(), seq);
                } else {
                    trees.tree(u.btree()).put(u.key());
                }
            }
        } catch (KeelException e) {
            readOnly.emergency("applying journal seq " + seq + " failed: " + e.getMessage());
            throw new InconsistentException("applying journal seq " + seq + " failed after it"
                    + " was journaled; the filesystem is now read-only; run keelfs fsck: "
                    + e.getMessage());
        }
    }

    /** Called by the journal when it is full: wake reclaim (never inline: we may hold the lock). */
    private void requestReclaim() {
        Reclaimer r = reclaimer;
        if (r != null) {
            r.wake();
        }
    }

    /**
     * Writes everything in memory to its btree nodes and moves the journal's lastSeq past it.
     * On an inconsistency the engine goes read-only and the error is returned.
     */
    public void checkpoint() throws KeelException {
        checkpoint(false);
    }

    /**
     * Background reclaim's checkpoint at the fill threshold: like a committer's, it rechecks
     * the fill under the lock, so a checkpoint that finished meanwhile is not followed by a
     * second one that would rewrite every node dirtied since (at random keys, most of them).
     */
    void checkpointAtFill() throws KeelException {
        checkpoint(true);
    }

    /**
     * Takes the exclusive lock and checkpoints. With {@code onlyIfJournalFull} (a committer
     * found the journal past its fill threshold), rechecks the fill under the lock first:
     * another committer may have checkpointed meanwhile, and a second checkpoint would only
     * stall commits.
     */
    private void checkpoint(boolean onlyIfJournalFull) throws KeelException {
        checkpointLock.lock();
        try {
            if (heldNodeOffsets != null) {
                stats.checkpointsHeld.incrementAndGet();
                return; // allocation held: the journal keeps everything (class comment)
            }
            if (reserve != null) {
                managedCheckpoint(onlyIfJournalFull);
                return;
            }
            PreparedCheckpoint prepared = null;
            lock.writeLock().lock();
            try {
                readOnly.checkWritable("checkpoint");
                if (!onlyIfJournalFull
                        || journal.fillRatio() > options.checkpointJournalFill()) {
                    prepared = prepareLocked();
                }
            } finally {
                lock.writeLock().unlock();
            }
            if (prepared != null) {
                finish(prepared);
            }
        } finally {
            checkpointLock.unlock();
        }
    }

    /**
     * Managed mode's checkpoint: reserve node slots without the lock (claiming buckets is a
     * transaction), recheck under it, checkpoint; then return spare empty buckets.
     */
    private void managedCheckpoint(boolean onlyIfJournalFull) throws KeelException {
        if (onlyIfJournalFull && journal.fillRatio() <= options.checkpointJournalFill()) {
            return; // another committer checkpointed: claim nothing (rechecked under the lock)
        }
        long needed = dirtyNodeEstimate();
        PreparedCheckpoint prepared;
        for (int attempt = 1; ; attempt++) {
            reserve.topUp(needed);
            options.hooks().afterNodeTopUp();
            lock.writeLock().lock();
            try {
                readOnly.checkWritable("checkpoint");
                if (onlyIfJournalFull
                        && journal.fillRatio() <= options.checkpointJournalFill()) {
                    return;
                }
                // Key-cache entries dirty tree nodes when flushed: flush first, then count.
                flushKeyCaches();
                // Recheck under lock: updates since the top-up may have dirtied more nodes.
                needed = trees.dirtyBytes() / geometry.nodeSizeBytes();
                if (reserve.hasFreeSlots(needed)) {
                    prepared = prepareLocked();
                    break;
                }
                if (attempt >= NODE_RESERVE_ATTEMPTS_MAX || reserve.isNested()) {
                    throw reserve.noSpace(needed, attempt);
                }
                stats.nodeReserveRetries.incrementAndGet();
            } finally {
                lock.writeLock().unlock();
            }
        }
        finish(prepared);
        try {
            reserve.returnSpare();
        } catch (InconsistentException e) {
            readOnly.emergency(e.getMessage());
            throw e;
        }
    }

    /** Dirty nodes now, read under the shared lock: the first guess of a top-up. */
    private long dirtyNodeEstimate() {
        lock.readLock().lock();
        try {
            return trees.dirtyBytes() / geometry.nodeSizeBytes();
        } finally {
            lock.readLock().unlock();
        }
    }

    private void flushKeyCaches() throws KeelException {
        options.hooks().beforeKeyCacheFlush();
        try {
            for (BtreeKeyCache cache : keyCaches.values()) {
                cache.flushDirty();
            }
        } catch (InconsistentException e) {
            readOnly.emergency(e.getMessage());
            throw e;
        }
    }

    /** A checkpoint between its snapshot (under the exclusive lock) and its durable end. */
    private record PreparedCheckpoint(CheckpointWrites writes, Map<BtreeId, NodePointer> roots,
            long lastSeq, long freedCountAtPrepare) {}

    /**
     * The snapshot of a checkpoint, under the exclusive lock: key caches into the trees, every
     * dirty node encoded into a new slot (see {@link CheckpointWrites}). When no slot is left
     * midway, the nodes prepared so far are written at once, as a synchronous checkpoint
     * would have, so the trees stay consistent and the checkpoint may be retried.
     */
    private PreparedCheckpoint prepareLocked() throws KeelException {
        flushKeyCaches();
        long lastSeq = journal.nextSeq();
        CheckpointWrites writes = new CheckpointWrites(store, nodeCache);
        Map<BtreeId, NodePointer> roots;
        try {
            roots = trees.prepareCheckpoint(lastSeq, writes);
        } catch (KeelException | RuntimeException e) {
            writeNodes(writes);
            throw e;
        }
        return new PreparedCheckpoint(writes, roots, lastSeq, store.freedCount());
    }

    /**
     * The I/O of a checkpoint, without the engine lock (under {@link #checkpointLock}): node
     * images, device flush, then the roots into the journal; only once an entry carrying them
     * is durable are the replaced slots released.
     */
    private void finish(PreparedCheckpoint prepared) throws KeelException {
        options.hooks().beforeCheckpointWrites();
        writeNodes(prepared.writes());
        try {
            device.flush();
        } catch (IOException e) {
            readOnly.emergency("flushing the btree nodes of a checkpoint failed: " + e);
            throw new DeviceIoException("flushing btree nodes of a checkpoint; the filesystem"
                    + " is now read-only", e);
        }
        journal.setCheckpoint(prepared.roots(), prepared.lastSeq());
        journal.awaitCheckpointDurable();
        store.releasePending(prepared.freedCountAtPrepare());
        stats.checkpoints++;
    }

    /**
     * Writes prepared node images. The trees already point at their slots: a failure goes
     * emergency read-only (reads keep working: the unwritten nodes stay in memory).
     */
    private void writeNodes(CheckpointWrites writes) throws DeviceIoException {
        try {
            writes.writeAll();
        } catch (DeviceIoException e) {
            readOnly.emergency("writing the btree nodes of a checkpoint failed: "
                    + e.getMessage());
            throw e;
        }
    }

    /**
     * Ends an allocation hold ({@link EngineOptions#holdAllocation}): adopts the node buckets
     * the alloc records now name (checking every reachable node lies in one, as an open does)
     * and checkpoints, claiming buckets as needed. An inconsistency there makes the engine
     * emergency read-only and is thrown. Does nothing when not held.
     */
    public void startAllocation() throws KeelException {
        checkpointLock.lock();
        try {
            Map<BtreeId, long[]> nodes = heldNodeOffsets;
            if (nodes == null) {
                return;
            }
            lock.writeLock().lock();
            try {
                readOnly.checkWritable("start allocation");
                reserve.adopt(nodes, new Transaction(committed, true));
            } catch (KeelException | RuntimeException e) {
                readOnly.emergency("adopting the btree node buckets failed: " + e.getMessage());
                throw e;
            } finally {
                lock.writeLock().unlock();
            }
            heldNodeOffsets = null;
            checkpoint();
        } finally {
            checkpointLock.unlock();
        }
    }

    /** Whether an allocation hold is in force (see {@link EngineOptions#holdAllocation}). */
    public boolean allocationHeld() {
        return heldNodeOffsets != null;
    }

    /**
     * An inconsistency found by a layer above (STYLE.md section 2, tier 2): logs it and makes
     * the engine emergency read-only, so nothing built on the bad state is written. The caller
     * returns its typed error.
     */
    public void inconsistent(String reason) {
        readOnly.emergency(reason);
    }

    /**
     * The highest journal seq known durable: every commit with a seq at most this survives a
     * crash. 0 on a read-only engine (nothing is written, so nothing new needs durability).
     */
    public long durableJournalSeq() {
        return journal == null ? 0 : journal.durableSeq();
    }

    /**
     * Makes every commit made so far durable: waits for the journal to write and flush the
     * entry of the newest one (no checkpoint; one device flush, shared with any concurrent
     * waiter, or none when it is durable already). Returns the seq now durable. On a
     * read-only engine it does nothing and returns 0.
     */
    public long flushJournal() throws KeelException {
        if (journal == null || readOnly.isReadOnly()) {
            return durableJournalSeq();
        }
        long seq = journal.lastAppendedSeq();
        if (seq > journal.durableSeq()) {
            journal.awaitDurable(seq);
        }
        return seq;
    }

    /** True when the engine may not write (mounted read-only, or emergency read-only). */
    public boolean isReadOnly() {
        return readOnly.isReadOnly();
    }

    /** Why the engine went emergency read-only, or null. */
    public String emergencyReason() {
        return readOnly.emergencyReason();
    }

    public Superblock superblock() {
        return superblock;
    }

    /** Notes made while opening: superblock fallbacks, journal problems cut at replay. */
    public List<String> openMessages() {
        return openMessages;
    }

    public EngineStats stats() {
        return stats;
    }

    /** The journal's counters (flushes, entries), or null on a read-only engine. */
    public JournalWriter.Stats journalStats() {
        return journal == null ? null : journal.stats();
    }

    /** The largest key (header and value) btree {@code id} accepts, in bytes. */
    public int keyBytesMax(BtreeId id) {
        return trees.tree(id).keyBytesMax();
    }

    /** Test access to a btree under the cache (e.g. to corrupt it); not for production code. */
    Btree btreeForTest(BtreeId id) {
        return trees.tree(id);
    }

    BlockDevice device() {
        return device;
    }

    /** Managed mode's node store (tests, reports); null when unmanaged. */
    public BucketNodeStore managedNodeStore() {
        return reserve == null ? null : reserve.store();
    }

    /** Open failed after the journal started: stop it, write nothing more. */
    private void closeAfterFailedOpen(Exception cause) {
        readOnly.emergency("open failed: " + cause.getMessage());
        try {
            close();
        } catch (KeelException | RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    double journalFillRatio() {
        return journal == null ? 0 : journal.fillRatio();
    }

    /**
     * Checkpoints, stops the journal and marks the superblock clean. After an emergency
     * read-only, or under an allocation hold, nothing more is written: the next open replays
     * the journal.
     */
    @Override
    public void close() throws KeelException {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (reclaimer != null) {
            reclaimer.stop();
        }
        if (journal == null) {
            return;
        }
        boolean clean = false;
        try {
            if (!readOnly.isReadOnly() && heldNodeOffsets == null) {
                checkpoint();
                clean = true;
            }
        } finally {
            journal.close();
            if (clean) {
                writeSuperblock(true);
            }
        }
    }
}
