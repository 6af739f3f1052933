package io.keelfs.btree;

import com.google.common.base.Preconditions;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.keelfs.block.BlockDevice;
import io.keelfs.error.DeviceIoException;
import io.keelfs.error.NoSpaceException;
import io.keelfs.format.NodeHeader;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link SlotStore} over whole buckets handed to it one at a time ({@link #addBucket}) by
 * whoever owns the device's buckets (the bucket allocator, through the engine), with a slot
 * bitmap per bucket. Empty buckets can be taken back ({@link #takeEmptyBuckets}).
 *
 * <p>Entry points: {@link #addBucket}, {@link #allocate}, {@link #write}, {@link #read},
 * {@link #free}, {@link #releasePending}, {@link #markUsed} (rebuilding the bitmaps at open),
 * {@link #freeSlotCount}, {@link #takeEmptyBuckets}, {@link #restrictToOwnedBuckets}.
 *
 * <p>Which slots are readable: until {@link #restrictToOwnedBuckets} is called, every
 * node-aligned offset in the node region {@code [regionFirstBucket, regionEndBucket)} is a
 * slot for reading ({@link #isSlot}): at open the trees are read (journal replay) before the
 * alloc records saying which buckets hold nodes are known, and a read-only open never learns
 * them. Afterwards only slots of owned buckets are. Allocation, writes and frees always need an
 * owned bucket.
 *
 * <p>Allocation prefers the lowest partly used bucket, then the lowest empty one, so that
 * nodes pack into few buckets and empty buckets stay empty long enough to be given back.
 *
 * <p>Bucket lifecycle: (1) {@link #addBucket}: owned, every slot free; (2) slots are
 * allocated, freed, released; (3) once every slot is free and released the bucket is empty and
 * {@link #takeEmptyBuckets} may remove it: from then on nothing is allocated, written or read
 * there, and the caller gives the bucket back to the allocator.
 *
 * <p>Thread-safety: thread-safe. Bitmap methods are synchronized; {@link #isSlot} and
 * {@link #read} read the concurrent owner map without the monitor.
 */
public final class BucketNodeStore implements SlotStore {
    /** Empty buckets one message lists before it is cut short. */
    private static final int BUCKETS_LISTED_MAX = 16;

    /** The slot bitmaps of one owned bucket. */
    private static final class Slots {
        final BitSet used = new BitSet();
        final BitSet pending = new BitSet();
        int usedCount;
    }

    private final BlockDevice device;
    private final int nodeSizeBytes;
    private final int bucketSizeBytes;
    private final int slotsPerBucket;
    private final long regionFirstBucket;
    private final long regionEndBucket;
    /** Owned buckets; changed only under the monitor, read without it by isSlot. */
    private final ConcurrentHashMap<Long, Slots> owned = new ConcurrentHashMap<>();
    private volatile boolean restricted;
    @GuardedBy("this")
    private final TreeSet<Long> partlyUsed = new TreeSet<>();
    @GuardedBy("this")
    private final TreeSet<Long> empty = new TreeSet<>();
    @GuardedBy("this")
    private final List<Long> pendingOrder = new ArrayList<>();
    @GuardedBy("this")
    private long freedCount;
    @GuardedBy("this")
    private long releasedCount;
    @GuardedBy("this")
    private int usedCount;

    /**
     * @param regionFirstBucket first bucket that may ever hold nodes
     * @param regionEndBucket one past the last such bucket
     */
    public BucketNodeStore(BlockDevice device, int bucketSizeBytes, int nodeSizeBytes,
            long regionFirstBucket, long regionEndBucket) {
        NodeHeader.checkNodeSize(nodeSizeBytes);
        Preconditions.checkArgument(nodeSizeBytes % device.blockSizeBytes() == 0,
                "node size %s is not a multiple of the block size %s of %s", nodeSizeBytes,
                device.blockSizeBytes(), device.describe());
        Preconditions.checkArgument(bucketSizeBytes % nodeSizeBytes == 0,
                "bucket size %s is not a multiple of the node size %s", bucketSizeBytes,
                nodeSizeBytes);
        Preconditions.checkArgument(regionFirstBucket >= 0 && regionFirstBucket < regionEndBucket
                && regionEndBucket * bucketSizeBytes <= device.sizeBytes(),
                "node region [%s, %s) of %s-byte buckets not inside %s bytes", regionFirstBucket,
                regionEndBucket, bucketSizeBytes, device.sizeBytes());
        this.device = device;
        this.nodeSizeBytes = nodeSizeBytes;
        this.bucketSizeBytes = bucketSizeBytes;
        this.slotsPerBucket = bucketSizeBytes / nodeSizeBytes;
        this.regionFirstBucket = regionFirstBucket;
        this.regionEndBucket = regionEndBucket;
    }

    public int nodeSizeBytes() {
        return nodeSizeBytes;
    }

    public int slotsPerBucket() {
        return slotsPerBucket;
    }

    /** The bucket holding {@code offsetBytes}. */
    public long bucketOf(long offsetBytes) {
        return Math.floorDiv(offsetBytes, bucketSizeBytes);
    }

    /** Owns a new bucket, every slot free. The caller's claim on it must have committed. */
    public synchronized void addBucket(long bucket) {
        Preconditions.checkArgument(bucket >= regionFirstBucket && bucket < regionEndBucket,
                "bucket %s outside the node region [%s, %s)", bucket, regionFirstBucket,
                regionEndBucket);
        Preconditions.checkState(!owned.containsKey(bucket), "bucket %s is already owned",
                bucket);
        owned.put(bucket, new Slots());
        empty.add(bucket);
    }

    /** Whether {@code bucket} lies in the node region (where {@link #addBucket} accepts it). */
    public boolean inRegion(long bucket) {
        return bucket >= regionFirstBucket && bucket < regionEndBucket;
    }

    public boolean ownsBucket(long bucket) {
        return owned.containsKey(bucket);
    }

    /** The owned buckets, sorted. */
    public synchronized List<Long> ownedBuckets() {
        return new ArrayList<>(new TreeSet<>(owned.keySet()));
    }

    /** From now on only slots of owned buckets are readable (see the class comment). */
    public void restrictToOwnedBuckets() {
        restricted = true;
    }

    /** Slots of owned buckets neither allocated nor waiting for release. */
    public synchronized long freeSlotCount() {
        return (long) owned.size() * slotsPerBucket - usedCount;
    }

    public synchronized int emptyBucketCount() {
        return empty.size();
    }

    @Override
    public synchronized int usedCount() {
        return usedCount;
    }

    public synchronized int pendingCount() {
        return pendingOrder.size();
    }

    @Override
    public synchronized long freedCount() {
        return freedCount;
    }

    @Override
    public boolean isSlot(long offsetBytes) {
        if (offsetBytes < 0 || offsetBytes % nodeSizeBytes != 0) {
            return false;
        }
        long bucket = bucketOf(offsetBytes);
        if (restricted) {
            return owned.containsKey(bucket);
        }
        return bucket >= regionFirstBucket && bucket < regionEndBucket;
    }

    @Override
    public ByteBuffer read(long offsetBytes, int sizeBytes) throws DeviceIoException {
        Preconditions.checkArgument(sizeBytes == nodeSizeBytes && isSlot(offsetBytes),
                "read of %s bytes at %s is not a node slot", sizeBytes, offsetBytes);
        return NodeImageIo.read(device, offsetBytes, sizeBytes);
    }

    @Override
    public void write(long offsetBytes, ByteBuffer image) throws DeviceIoException {
        Preconditions.checkArgument(image.remaining() == nodeSizeBytes,
                "node image of %s bytes, node size %s", image.remaining(), nodeSizeBytes);
        synchronized (this) {
            Slots s = owned.get(bucketOf(offsetBytes));
            int slot = slotInBucket(offsetBytes);
            Preconditions.checkArgument(s != null && slot >= 0 && s.used.get(slot)
                    && !s.pending.get(slot),
                    "write to offset %s, which is not an allocated node slot", offsetBytes);
        }
        NodeImageIo.write(device, offsetBytes, image);
    }

    @Override
    public synchronized long allocate() throws NoSpaceException {
        Long bucket = !partlyUsed.isEmpty() ? partlyUsed.first()
                : !empty.isEmpty() ? empty.first() : null;
        if (bucket == null) {
            throw new NoSpaceException(String.format(
                    "no free btree node slot on %s: %d buckets of %d slots of %d bytes, %d in use,"
                            + " of which %d freed and waiting for a durable journal entry",
                    device.describe(), owned.size(), slotsPerBucket, nodeSizeBytes, usedCount,
                    pendingOrder.size()));
        }
        Slots s = owned.get(bucket);
        int slot = s.used.nextClearBit(0);
        Preconditions.checkState(slot < slotsPerBucket, "bucket %s listed with a free slot but"
                + " has %s of %s used", bucket, s.usedCount, slotsPerBucket);
        s.used.set(slot);
        s.usedCount++;
        usedCount++;
        place(bucket, s);
        return bucket * bucketSizeBytes + (long) slot * nodeSizeBytes;
    }

    @Override
    public synchronized void free(long offsetBytes) {
        Slots s = owned.get(bucketOf(offsetBytes));
        int slot = slotInBucket(offsetBytes);
        Preconditions.checkArgument(s != null && slot >= 0,
                "free of %s, not a slot of an owned bucket", offsetBytes);
        Preconditions.checkState(s.used.get(slot) && !s.pending.get(slot),
                "free of node slot at %s, which is %s", offsetBytes,
                s.pending.get(slot) ? "already freed" : "not in use");
        s.pending.set(slot);
        pendingOrder.add(offsetBytes);
        freedCount++;
    }

    /** Makes every pending slot allocatable (no checkpoint may have happened since its roots). */
    public synchronized void releasePending() {
        releasePending(freedCount);
    }

    @Override
    public synchronized void releasePending(long freedCountAtCheckpoint) {
        Preconditions.checkArgument(freedCountAtCheckpoint <= freedCount,
                "release up to free %s, only %s frees so far", freedCountAtCheckpoint,
                freedCount);
        int n = (int) Math.max(0, freedCountAtCheckpoint - releasedCount);
        List<Long> released = pendingOrder.subList(0, n);
        for (long offset : released) {
            long bucket = bucketOf(offset);
            Slots s = owned.get(bucket);
            int slot = slotInBucket(offset);
            s.pending.clear(slot);
            s.used.clear(slot);
            s.usedCount--;
            usedCount--;
            place(bucket, s);
        }
        released.clear();
        releasedCount += n;
    }

    /**
     * Marks a slot of an owned bucket as holding a live node, while rebuilding the bitmaps at
     * open. Returns false if it was already marked: two pointers to one slot.
     */
    public synchronized boolean markUsed(long offsetBytes) {
        long bucket = bucketOf(offsetBytes);
        Slots s = owned.get(bucket);
        int slot = slotInBucket(offsetBytes);
        Preconditions.checkArgument(s != null && slot >= 0,
                "mark of %s, not a slot of an owned bucket", offsetBytes);
        if (s.used.get(slot)) {
            return false;
        }
        s.used.set(slot);
        s.usedCount++;
        usedCount++;
        place(bucket, s);
        return true;
    }

    /**
     * Removes empty buckets beyond the {@code spareMax} lowest ones and returns them (highest
     * first): the store no longer allocates, writes or reads there. The caller gives them back
     * to the allocator, or {@link #addBucket}s them again if that fails.
     */
    public synchronized List<Long> takeEmptyBuckets(int spareMax) {
        Preconditions.checkArgument(spareMax >= 0, "spare %s < 0", spareMax);
        List<Long> taken = new ArrayList<>();
        while (empty.size() > spareMax) {
            long bucket = empty.pollLast();
            owned.remove(bucket);
            taken.add(bucket);
        }
        return taken;
    }

    @Override
    public synchronized void verify() {
        int used = 0;
        int pending = 0;
        for (var e : owned.entrySet()) {
            Slots s = e.getValue();
            Preconditions.checkState(s.used.cardinality() == s.usedCount
                    && s.used.length() <= slotsPerBucket,
                    "bucket %s: used bitmap %s, count %s", e.getKey(), s.used, s.usedCount);
            long b = e.getKey();
            boolean isEmpty = s.usedCount == 0;
            boolean isPartly = s.usedCount > 0 && s.usedCount < slotsPerBucket;
            Preconditions.checkState(empty.contains(b) == isEmpty
                    && partlyUsed.contains(b) == isPartly,
                    "bucket %s with %s of %s slots used is listed wrongly", b, s.usedCount,
                    slotsPerBucket);
            used += s.usedCount;
            pending += s.pending.cardinality();
        }
        Preconditions.checkState(used == usedCount, "buckets have %s slots used, count %s",
                used, usedCount);
        Preconditions.checkState(pending == pendingOrder.size()
                && freedCount - releasedCount == pending,
                "%s pending slots in bitmaps, %s listed, %s freed, %s released", pending,
                pendingOrder.size(), freedCount, releasedCount);
        Preconditions.checkState(owned.keySet().containsAll(empty)
                && owned.keySet().containsAll(partlyUsed), "a listed bucket is not owned");
    }

    @Override
    public synchronized void appendTo(StringBuilder out) {
        List<Long> emptyListed = new ArrayList<>(empty).subList(0,
                Math.min(empty.size(), BUCKETS_LISTED_MAX));
        out.append(String.format("BucketNodeStore[%s: %d buckets of %d slots of %d bytes,"
                        + " %d slots used, %d pending, %d freed, %d released, empty buckets %s%s]",
                device.describe(), owned.size(), slotsPerBucket, nodeSizeBytes, usedCount,
                pendingOrder.size(), freedCount, releasedCount, emptyListed,
                empty.size() > BUCKETS_LISTED_MAX ? "..." : ""));
    }

    /** Files the bucket under empty, partly used, or neither (full). */
    @GuardedBy("this")
    private void place(long bucket, Slots s) {
        empty.remove(bucket);
        partlyUsed.remove(bucket);
        if (s.usedCount == 0) {
            empty.add(bucket);
        } else if (s.usedCount < slotsPerBucket) {
            partlyUsed.add(bucket);
        }
    }

    /** The slot index of an aligned offset within its bucket, or -1 when not aligned. */
    private int slotInBucket(long offsetBytes) {
        if (offsetBytes < 0 || offsetBytes % nodeSizeBytes != 0) {
            return -1;
        }
        return (int) ((offsetBytes % bucketSizeBytes) / nodeSizeBytes);
    }
}
