package io.keelfs.btree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.error.NoSpaceException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * {@link BucketNodeStore} against a model (a set of owned buckets, a set of used slots, a list
 * of pending frees): random adds, allocations, frees, releases and takes of empty buckets,
 * comparing counts, slot ownership and {@link BucketNodeStore#verify} after every step. Covers
 * the bitmaps only (no node images); seed {@code -Dkeelfs.seed=N}.
 */
class BucketNodeStoreModelTest {
    private static final int BUCKET = 64 << 10;
    private static final int NODE = 4 << 10;
    private static final int SLOTS = BUCKET / NODE;
    private static final long FIRST = 4;
    private static final long END = 60;
    private static final int STEPS = 20_000;

    @Test
    void matchesModel() {
        long seed = Long.getLong("keelfs.seed", System.nanoTime());
        Random random = new Random(seed);
        MemoryBlockDevice dev = new MemoryBlockDevice(64L * BUCKET, 4096, "bns");
        BucketNodeStore store = new BucketNodeStore(dev, BUCKET, NODE, FIRST, END);
        store.restrictToOwnedBuckets();
        TreeSet<Long> owned = new TreeSet<>();
        Set<Long> used = new HashSet<>();
        List<Long> pending = new ArrayList<>();
        List<Long> live = new ArrayList<>();
        long released = 0;
        for (int step = 0; step < STEPS; step++) {
            String where = "seed " + seed + " step " + step;
            int op = random.nextInt(10);
            if (op == 0 && owned.size() < END - FIRST) {
                long b;
                do {
                    b = FIRST + random.nextInt((int) (END - FIRST));
                } while (owned.contains(b));
                store.addBucket(b);
                owned.add(b);
            } else if (op <= 4) {
                long free = (long) owned.size() * SLOTS - used.size();
                if (free == 0) {
                    assertThrows(NoSpaceException.class, store::allocate, where);
                } else {
                    long offset = allocate(store, where);
                    assertTrue(owned.contains(offset / BUCKET), where);
                    assertTrue(used.add(offset), where + ": slot handed out twice " + offset);
                    live.add(offset);
                }
            } else if (op <= 7 && !live.isEmpty()) {
                long offset = live.remove(random.nextInt(live.size()));
                store.free(offset);
                pending.add(offset);
            } else if (op == 8) {
                long ticket = store.freedCount() - random.nextInt(pending.size() + 1);
                store.releasePending(ticket);
                int n = (int) (ticket - released);
                for (int i = 0; i < n; i++) {
                    used.remove(pending.remove(0));
                }
                released = ticket;
            } else {
                int spare = random.nextInt(3);
                for (long b : store.takeEmptyBuckets(spare)) {
                    assertTrue(owned.remove(b), where);
                    for (long s = 0; s < SLOTS; s++) {
                        assertFalse(used.contains(b * BUCKET + s * NODE), where
                                + ": took bucket " + b + " with a used slot");
                    }
                    assertFalse(store.isSlot(b * BUCKET), where);
                }
                assertTrue(store.emptyBucketCount() <= spare, where);
            }
            store.verify();
            assertEquals(used.size(), store.usedCount(), where);
            assertEquals((long) owned.size() * SLOTS - used.size(), store.freeSlotCount(), where);
            assertEquals(owned, new TreeSet<>(store.ownedBuckets()), where);
        }
    }

    private static long allocate(BucketNodeStore store, String where) {
        try {
            return store.allocate();
        } catch (NoSpaceException e) {
            throw new AssertionError(where, e);
        }
    }

    @Test
    void readsAnywhereInTheRegionUntilRestricted() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(64L * BUCKET, 4096, "bns");
        BucketNodeStore store = new BucketNodeStore(dev, BUCKET, NODE, FIRST, END);
        assertTrue(store.isSlot(10 * BUCKET + NODE));
        assertFalse(store.isSlot(2 * BUCKET), "before the region");
        assertFalse(store.isSlot(10 * BUCKET + 1), "unaligned");
        store.addBucket(10);
        store.restrictToOwnedBuckets();
        assertTrue(store.isSlot(10 * BUCKET + NODE));
        assertFalse(store.isSlot(11 * BUCKET));
        long offset = store.allocate();
        assertEquals(10L * BUCKET, offset);
        store.write(offset, ByteBuffer.allocate(NODE));
        assertThrows(IllegalArgumentException.class,
                () -> store.write(offset + NODE, ByteBuffer.allocate(NODE)));
        assertThrows(IllegalArgumentException.class, () -> store.addBucket(END));
    }
}
