package io.keelfs.block;

import static io.keelfs.block.FileBlockDeviceTest.assertContains;
import static io.keelfs.block.FileBlockDeviceTest.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests {@link FaultDevice} and {@link FaultRule} over a {@link MemoryBlockDevice} (and once
 * over a {@link FileBlockDevice}).
 *
 * <p>Covered: range rules fire only on overlapping requests and name the first failing block,
 * rate rules replay with the same seed, firesMax, removing and clearing rules, faults on every
 * operation, caller mistakes stay IllegalArgumentExceptions, per-op counts under concurrent
 * requests while rules change. Not covered: partial writes (a fault here always fails the
 * whole request before it reaches the device below).
 */
class FaultDeviceTest {
    private static final int BLOCK = 4096;
    private static final long SIZE = 1 << 20;
    private static final Set<BlockOp> WRITES = EnumSet.of(BlockOp.WRITE);
    private static final Set<BlockOp> READS = EnumSet.of(BlockOp.READ);

    @TempDir
    Path dir;

    @Test
    void rangeRuleFiresOnlyOnOverlappingRequests() throws IOException {
        FaultDevice device = new FaultDevice(new MemoryBlockDevice(SIZE, BLOCK), 1);
        device.addRule(FaultRule.range(WRITES, 2 * BLOCK, 4 * BLOCK));
        List<Long> failed = new ArrayList<>();
        for (long offsetBytes = 0; offsetBytes < SIZE; offsetBytes += BLOCK) {
            try {
                device.write(offsetBytes, ByteBuffer.allocate(BLOCK), false);
            } catch (InjectedFaultException e) {
                failed.add(offsetBytes);
                assertEquals(offsetBytes, e.offsetBytes());
            }
            device.read(offsetBytes, ByteBuffer.allocate(BLOCK));
        }
        assertEquals(List.of(2L * BLOCK, 3L * BLOCK), failed);
        assertEquals(2, device.faultCount(BlockOp.WRITE));
        assertEquals(0, device.faultCount(BlockOp.READ));
    }

    @Test
    void faultNamesOperationFirstFailingBlockAndDevice() {
        FaultDevice device = new FaultDevice(new MemoryBlockDevice(SIZE, BLOCK, "disk0"), 1);
        device.addRule(FaultRule.range(WRITES, 5 * BLOCK + 100, 6 * BLOCK));
        InjectedFaultException e = assertThrows(InjectedFaultException.class,
                () -> device.write(4 * BLOCK, ByteBuffer.allocate(4 * BLOCK), false));
        assertEquals(BlockOp.WRITE, e.op());
        assertEquals(5 * BLOCK, e.offsetBytes());
        assertContains(e.getMessage(), "injected EIO on write", "offset " + 5 * BLOCK,
                "request offset " + 4 * BLOCK, "length " + 4 * BLOCK, "disk0");
        assertTrue(e instanceof BlockIOException);
    }

    @Test
    void failedWriteChangesNothingAndFailedReadLeavesTheBuffer() throws IOException {
        MemoryBlockDevice memory = new MemoryBlockDevice(SIZE, BLOCK);
        FaultDevice device = new FaultDevice(memory, 1);
        device.write(0, pattern(BLOCK, 1, false), false);
        long ruleId = device.addRule(FaultRule.wholeDevice(EnumSet.allOf(BlockOp.class)));

        ByteBuffer other = pattern(BLOCK, 2, false);
        assertThrows(InjectedFaultException.class, () -> device.write(0, other, false));
        assertEquals(0, other.position(), "a failed write consumes nothing");
        ByteBuffer dst = ByteBuffer.allocate(BLOCK);
        assertThrows(InjectedFaultException.class, () -> device.read(0, dst));
        assertEquals(0, dst.position(), "a failed read fills nothing");
        assertThrows(InjectedFaultException.class, () -> device.discard(0, BLOCK));

        assertTrue(device.removeRule(ruleId));
        assertFalse(device.removeRule(ruleId));
        device.read(0, dst);
        assertEquals(pattern(BLOCK, 1, false), dst.flip());
    }

    @Test
    void rateRuleReplaysWithTheSameSeed() throws IOException {
        List<Integer> first = failingReads(42, 0.3);
        List<Integer> again = failingReads(42, 0.3);
        List<Integer> otherSeed = failingReads(43, 0.3);
        assertEquals(first, again);
        assertNotEquals(first, otherSeed);
        // 2000 reads at 0.3: mean 600, standard deviation about 20.
        assertTrue(first.size() > 450 && first.size() < 750, "fired " + first.size());
    }

    private static List<Integer> failingReads(long seed, double probability) throws IOException {
        FaultDevice device = new FaultDevice(new MemoryBlockDevice(SIZE, BLOCK), seed);
        // An always-rule elsewhere must not disturb the draws.
        device.addRule(FaultRule.range(WRITES, 0, BLOCK));
        device.addRule(FaultRule.rate(READS, probability));
        List<Integer> failed = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            try {
                device.read((i % 256) * (long) BLOCK, ByteBuffer.allocate(BLOCK));
            } catch (InjectedFaultException e) {
                failed.add(i);
            }
        }
        assertEquals(failed.size(), device.faultCount(BlockOp.READ));
        return failed;
    }

    @Test
    void firesMaxIsRespected() throws IOException {
        FaultDevice device = new FaultDevice(new MemoryBlockDevice(SIZE, BLOCK), 1);
        long ruleId = device.addRule(FaultRule.wholeDevice(WRITES).withFiresMax(3));
        int failures = 0;
        for (int i = 0; i < 10; i++) {
            try {
                device.write(0, ByteBuffer.allocate(BLOCK), false);
            } catch (InjectedFaultException e) {
                assertEquals(i, failures, "the first writes fail, then none");
                failures++;
            }
        }
        assertEquals(3, failures);
        assertEquals(3, device.firedCount(ruleId));
        assertEquals(3, device.faultCount(BlockOp.WRITE));
    }

    @Test
    void clearRulesStopsFaultsAndKeepsCounts() throws IOException {
        FaultDevice device = new FaultDevice(new MemoryBlockDevice(SIZE, BLOCK), 1);
        device.addRule(FaultRule.wholeDevice(EnumSet.of(BlockOp.FLUSH)));
        device.addRule(FaultRule.range(EnumSet.of(BlockOp.DISCARD), 0, SIZE));
        InjectedFaultException flush = assertThrows(InjectedFaultException.class, device::flush);
        assertEquals(BlockOp.FLUSH, flush.op());
        assertContains(flush.getMessage(), "flush");
        InjectedFaultException discard = assertThrows(InjectedFaultException.class,
                () -> device.discard(8 * BLOCK, 2 * BLOCK));
        assertEquals(8 * BLOCK, discard.offsetBytes());

        device.clearRules();
        device.flush();
        device.discard(8 * BLOCK, 2 * BLOCK);
        device.write(0, ByteBuffer.allocate(BLOCK), true);
        assertEquals(1, device.faultCount(BlockOp.FLUSH));
        assertEquals(1, device.faultCount(BlockOp.DISCARD));
        assertEquals(0, device.faultCount(BlockOp.WRITE));
    }

    @Test
    void callerMistakesAreIllegalArgumentsNotFaults() {
        FaultDevice device = new FaultDevice(new MemoryBlockDevice(SIZE, BLOCK), 1);
        device.addRule(FaultRule.wholeDevice(EnumSet.allOf(BlockOp.class)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> device.read(100, ByteBuffer.allocate(BLOCK)));
        assertContains(e.getMessage(), "offset 100", "length 4096", "size " + SIZE, "block size");
        assertThrows(IllegalArgumentException.class, () -> device.discard(SIZE, BLOCK));
        assertEquals(0, device.faultCount(BlockOp.READ));
        assertEquals(0, device.faultCount(BlockOp.DISCARD));
    }

    @Test
    void invalidRulesAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> FaultRule.rate(EnumSet.noneOf(BlockOp.class), 0.5));
        assertContains(assertThrows(IllegalArgumentException.class,
                () -> FaultRule.rate(READS, 0)).getMessage(), "probability 0.0");
        assertThrows(IllegalArgumentException.class, () -> FaultRule.rate(READS, 1.5));
        assertThrows(IllegalArgumentException.class, () -> FaultRule.rate(READS, Double.NaN));
        assertContains(assertThrows(IllegalArgumentException.class,
                () -> FaultRule.range(READS, BLOCK, BLOCK)).getMessage(), "[4096, 4096)");
        assertThrows(IllegalArgumentException.class, () -> FaultRule.range(READS, -1, BLOCK));
        assertThrows(IllegalArgumentException.class,
                () -> FaultRule.wholeDevice(READS).withFiresMax(0));
        Set<BlockOp> ops = EnumSet.of(BlockOp.READ);
        FaultRule rule = FaultRule.wholeDevice(ops);
        ops.add(BlockOp.WRITE);
        assertEquals(Set.of(BlockOp.READ), rule.ops(), "the rule keeps its own copy");
    }

    @Test
    void faultsFlippedOnMidWorkloadAreCountedExactly() throws Exception {
        FaultDevice device = new FaultDevice(new MemoryBlockDevice(SIZE, BLOCK), 7);
        int threads = 4;
        int readsPerPhase = 500;
        CountDownLatch cleanPhaseDone = new CountDownLatch(threads);
        CountDownLatch rulesOn = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<int[]>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    int[] faults = new int[2];
                    faults[0] = readMany(device, readsPerPhase);
                    cleanPhaseDone.countDown();
                    assertTrue(rulesOn.await(60, TimeUnit.SECONDS));
                    faults[1] = readMany(device, readsPerPhase);
                    return faults;
                }));
            }
            assertTrue(cleanPhaseDone.await(60, TimeUnit.SECONDS));
            device.addRule(FaultRule.rate(READS, 0.25));
            rulesOn.countDown();
            int faultsSeen = 0;
            for (Future<int[]> result : results) {
                int[] faults = result.get(60, TimeUnit.SECONDS);
                assertEquals(0, faults[0], "no faults before the rule was added");
                faultsSeen += faults[1];
            }
            assertEquals(faultsSeen, device.faultCount(BlockOp.READ));
            assertTrue(faultsSeen > 0, "a 0.25 rule over 2000 reads fired " + faultsSeen);
        } finally {
            pool.shutdownNow();
        }
    }

    private static int readMany(FaultDevice device, int count) throws IOException {
        int faults = 0;
        ByteBuffer dst = ByteBuffer.allocate(BLOCK);
        for (int i = 0; i < count; i++) {
            try {
                device.read((i % 256) * (long) BLOCK, dst.clear());
            } catch (InjectedFaultException e) {
                faults++;
            }
        }
        return faults;
    }

    @Test
    void wrapsAFileDeviceAndClosesIt() throws IOException {
        Path image = dir.resolve("f.img");
        FileBlockDevice file = FileBlockDevice.create(image, SIZE, BLOCK);
        FaultDevice device = new FaultDevice(file, 1);
        assertSame(file, device.delegate());
        assertEquals(SIZE, device.sizeBytes());
        device.addRule(FaultRule.range(READS, 0, BLOCK));
        device.write(0, pattern(BLOCK, 5, true), true);
        InjectedFaultException e = assertThrows(InjectedFaultException.class,
                () -> device.read(0, ByteBuffer.allocate(BLOCK)));
        assertContains(e.getMessage(), image.toString(), "offset 0");
        device.close();
        assertThrows(IllegalStateException.class, () -> file.read(0, ByteBuffer.allocate(BLOCK)));
        FileBlockDevice.open(image, BLOCK, false).close();
    }
}
