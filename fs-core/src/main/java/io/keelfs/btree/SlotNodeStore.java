package io.keelfs.btree;

import com.google.common.base.Preconditions;
import io.keelfs.block.BlockDevice;
import io.keelfs.error.DeviceIoException;
import io.keelfs.error.NoSpaceException;
import io.keelfs.format.NodeHeader;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;

/**
 * A {@link NodeStore} over byte ranges of a {@link BlockDevice} reserved for btree nodes, with
 * an in-memory bitmap of slots.
 *
 * <p>Entry points: {@link #allocate}, {@link #write}, {@link #read}, {@link #free},
 * {@link #releasePending}, and {@link #markUsed} to rebuild the bitmap at open by walking the
 * trees from their roots (see {@link BtreeSet#markNodesUsed}).
 *
 * <p>Deferred frees: {@link #free} only puts the slot on a pending list, because the roots made
 * durable last may still reference it. The engine calls {@link #releasePending(long)} with the
 * {@link #freedCount()} it read right after a checkpoint, once the journal entry carrying that
 * checkpoint's roots is durable: every slot freed up to then becomes allocatable. Releasing
 * later frees early would let a checkpoint overwrite a node the durable roots still need.
 *
 * <p>Slots are handed out next-fit from a cursor, which spreads writes over the ranges.
 *
 * <p>Thread-safety: the bitmap methods are synchronized; {@link #read} and {@link #write} go
 * straight to the (thread-safe) device.
 */
public final class SlotNodeStore implements SlotStore {

    /** A byte range reserved for nodes: offset aligned to the node size, whole slots long. */
    public record Range(long offsetBytes, long lengthBytes) {
        public Range {
            Preconditions.checkArgument(offsetBytes >= 0 && lengthBytes > 0,
                    "node range offset %s length %s", offsetBytes, lengthBytes);
        }
    }

    private final BlockDevice device;
    private final int nodeSizeBytes;
    /** Sorted by offset; rangeFirstSlot[i] is the slot index of ranges.get(i)'s first slot. */
    private final List<Range> ranges;
    private final int[] rangeFirstSlot;
    private final int slotCount;
    // @GuardedBy("this")
    private final BitSet used;
    private final BitSet pending = new BitSet();
    private final List<Long> pendingOrder = new ArrayList<>();
    private long freedCount;
    private long releasedCount;
    private int usedCount;
    private int cursor;

    /**
     * @param ranges disjoint ranges inside the device; each offset a multiple of the node size
     *     and each length a whole number of node slots
     */
    public SlotNodeStore(BlockDevice device, List<Range> ranges, int nodeSizeBytes) {
        NodeHeader.checkNodeSize(nodeSizeBytes);
        Preconditions.checkArgument(nodeSizeBytes % device.blockSizeBytes() == 0,
                "node size %s is not a multiple of the block size %s of %s", nodeSizeBytes,
                device.blockSizeBytes(), device.describe());
        this.device = device;
        this.nodeSizeBytes = nodeSizeBytes;
        this.ranges = new ArrayList<>(ranges);
        this.ranges.sort(Comparator.comparingLong(Range::offsetBytes));
        this.rangeFirstSlot = new int[this.ranges.size()];
        long slots = 0;
        long previousEnd = 0;
        for (int i = 0; i < this.ranges.size(); i++) {
            Range r = this.ranges.get(i);
            Preconditions.checkArgument(r.offsetBytes() % nodeSizeBytes == 0
                    && r.lengthBytes() % nodeSizeBytes == 0,
                    "node range %s is not aligned to the node size %s", r, nodeSizeBytes);
            Preconditions.checkArgument(r.offsetBytes() >= previousEnd,
                    "node range %s overlaps the one ending at %s", r, previousEnd);
            Preconditions.checkArgument(r.offsetBytes() + r.lengthBytes() <= device.sizeBytes(),
                    "node range %s ends past the device (%s bytes)", r, device.sizeBytes());
            rangeFirstSlot[i] = (int) slots;
            slots += r.lengthBytes() / nodeSizeBytes;
            previousEnd = r.offsetBytes() + r.lengthBytes();
        }
        Preconditions.checkArgument(slots <= Integer.MAX_VALUE, "%s node slots", slots);
        this.slotCount = (int) slots;
        this.used = new BitSet(slotCount);
    }

    public int nodeSizeBytes() {
        return nodeSizeBytes;
    }

    public int slotCount() {
        return slotCount;
    }

    /** Slots allocated or freed but not yet released. */
    public synchronized int usedCount() {
        return usedCount;
    }

    public synchronized int pendingCount() {
        return pendingOrder.size();
    }

    /** How many frees have happened since construction: the ticket for releasePending. */
    public synchronized long freedCount() {
        return freedCount;
    }

    @Override
    public boolean isSlot(long offsetBytes) {
        return slotIndex(offsetBytes) >= 0;
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
            int slot = slotIndex(offsetBytes);
            Preconditions.checkArgument(slot >= 0 && used.get(slot) && !pending.get(slot),
                    "write to offset %s, which is not an allocated node slot", offsetBytes);
        }
        NodeImageIo.write(device, offsetBytes, image);
    }

    @Override
    public synchronized long allocate() throws NoSpaceException {
        if (usedCount >= slotCount) {
            throw new NoSpaceException(String.format(
                    "no free btree node slot on %s: %d slots of %d bytes, %d in use, of which"
                            + " %d freed and waiting for a durable journal entry",
                    device.describe(), slotCount, nodeSizeBytes, usedCount,
                    pendingOrder.size()));
        }
        int slot = used.nextClearBit(cursor);
        if (slot >= slotCount) {
            slot = used.nextClearBit(0);
        }
        used.set(slot);
        usedCount++;
        cursor = slot + 1 == slotCount ? 0 : slot + 1;
        return offsetOf(slot);
    }

    @Override
    public synchronized void free(long offsetBytes) {
        int slot = slotIndex(offsetBytes);
        Preconditions.checkArgument(slot >= 0, "free of %s, not a node slot", offsetBytes);
        Preconditions.checkState(used.get(slot) && !pending.get(slot),
                "free of node slot at %s, which is %s", offsetBytes,
                pending.get(slot) ? "already freed" : "not in use");
        pending.set(slot);
        pendingOrder.add(offsetBytes);
        freedCount++;
    }

    /** Makes every pending slot allocatable (no checkpoint may have happened since its roots). */
    public synchronized void releasePending() {
        releasePending(freedCount);
    }

    /**
     * Makes the slots of the first {@code freedCountAtCheckpoint} frees allocatable. Call it
     * with {@link #freedCount()} read right after a checkpoint, once the journal entry holding
     * that checkpoint's roots is durable.
     */
    public synchronized void releasePending(long freedCountAtCheckpoint) {
        Preconditions.checkArgument(freedCountAtCheckpoint <= freedCount,
                "release up to free %s, only %s frees so far", freedCountAtCheckpoint,
                freedCount);
        int n = (int) Math.max(0, freedCountAtCheckpoint - releasedCount);
        List<Long> released = pendingOrder.subList(0, n);
        for (long offset : released) {
            int slot = slotIndex(offset);
            pending.clear(slot);
            used.clear(slot);
            usedCount--;
        }
        released.clear();
        releasedCount += n;
    }

    /**
     * Marks a slot as holding a live node, while rebuilding the bitmap at open. Returns false
     * if it was already marked: two pointers to one slot, which the caller reports.
     */
    public synchronized boolean markUsed(long offsetBytes) {
        int slot = slotIndex(offsetBytes);
        Preconditions.checkArgument(slot >= 0, "mark of %s, not a node slot", offsetBytes);
        if (used.get(slot)) {
            return false;
        }
        used.set(slot);
        usedCount++;
        return true;
    }

    /** Checks the counts against the bitmaps (tests, fsck). */
    public synchronized void verify() {
        Preconditions.checkState(used.cardinality() == usedCount && usedCount <= slotCount,
                "used bitmap has %s slots set, count says %s of %s", used.cardinality(),
                usedCount, slotCount);
        Preconditions.checkState(pending.cardinality() == pendingOrder.size(),
                "pending bitmap has %s slots set, list has %s", pending.cardinality(),
                pendingOrder.size());
        Preconditions.checkState(freedCount - releasedCount == pendingOrder.size(),
                "%s freed, %s released, %s pending", freedCount, releasedCount,
                pendingOrder.size());
    }

    public synchronized void appendTo(StringBuilder out) {
        out.append(String.format("SlotNodeStore[%s: %d slots of %d bytes in %d ranges, %d used,"
                        + " %d pending, %d freed, %d released]", device.describe(), slotCount,
                nodeSizeBytes, ranges.size(), usedCount, pendingOrder.size(), freedCount,
                releasedCount));
    }

    /** The slot index of a slot start, or -1 when {@code offsetBytes} is not one. */
    private int slotIndex(long offsetBytes) {
        if (offsetBytes < 0 || offsetBytes % nodeSizeBytes != 0) {
            return -1;
        }
        int lo = 0;
        int hi = ranges.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Range r = ranges.get(mid);
            if (offsetBytes < r.offsetBytes()) {
                hi = mid - 1;
            } else if (offsetBytes >= r.offsetBytes() + r.lengthBytes()) {
                lo = mid + 1;
            } else {
                long slotInRange = (offsetBytes - r.offsetBytes()) / nodeSizeBytes;
                return rangeFirstSlot[mid] + (int) slotInRange;
            }
        }
        return -1;
    }

    private long offsetOf(int slot) {
        int lo = 0;
        int hi = ranges.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (rangeFirstSlot[mid] <= slot) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return ranges.get(lo).offsetBytes() + (long) (slot - rangeFirstSlot[lo]) * nodeSizeBytes;
    }
}
