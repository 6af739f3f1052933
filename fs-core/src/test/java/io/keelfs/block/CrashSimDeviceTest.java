package io.keelfs.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Unit tests of {@link CrashSimDevice} and {@link WriteLog} on hand-built logs whose answers are
 * worked out by hand in the comments.
 *
 * <p>Covered: pass-through reads, the log's entries, images along the flushes, explicit subsets,
 * torn writes and discards, FUA durability, the log bound, flush-issue order with a concurrent
 * write, the base copy from a device that is not a MemoryBlockDevice, rejected states, and the
 * prefix cache (images equal whichever order states are built in). Not covered here: the
 * explorer's counts (CrashStateExplorerTest) and arbitrary workloads against a model
 * (CrashSimDevicePropertyTest).
 */
class CrashSimDeviceTest {
    static final int BLOCK_SIZE_BYTES = 4096;
    static final int BLOCK_COUNT = 32;
    /** Fixed seed for the sampled tests; printed in every failure message. */
    static final long SEED = 0x5eed_c0ffeeL;

    /** A device of BLOCK_COUNT blocks whose block i holds the byte 100 + i. */
    static MemoryBlockDevice baseDevice() {
        MemoryBlockDevice device = new MemoryBlockDevice(
                (long) BLOCK_COUNT * BLOCK_SIZE_BYTES, BLOCK_SIZE_BYTES, "test base");
        for (int block = 0; block < BLOCK_COUNT; block++) {
            device.write(offset(block), fill(1, 100 + block), false);
        }
        return device;
    }

    static long offset(int block) {
        return (long) block * BLOCK_SIZE_BYTES;
    }

    /** {@code blockCount} blocks; block j holds the byte tag + j. */
    static ByteBuffer fill(int blockCount, int tag) {
        ByteBuffer buffer = ByteBuffer.allocate(blockCount * BLOCK_SIZE_BYTES);
        for (int j = 0; j < blockCount; j++) {
            for (int i = 0; i < BLOCK_SIZE_BYTES; i++) {
                buffer.put((byte) (tag + j));
            }
        }
        return buffer.flip();
    }

    /** The byte every position of the block holds, or -1 if the block is not uniform. */
    static int tagOf(BlockDevice device, int block) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(BLOCK_SIZE_BYTES);
        device.read(offset(block), buffer);
        byte first = buffer.get(0);
        for (int i = 1; i < BLOCK_SIZE_BYTES; i++) {
            if (buffer.get(i) != first) {
                return -1;
            }
        }
        return first & 0xff;
    }

    static byte[] contents(BlockDevice device) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(device.sizeBytes()));
        device.read(0, buffer);
        return buffer.array();
    }

    @Test
    void readsThroughTheDeviceSeeEveryWrite() throws IOException {
        MemoryBlockDevice inner = baseDevice();
        CrashSimDevice device = new CrashSimDevice(inner);
        device.write(offset(3), fill(2, 10), false);
        device.write(offset(4), fill(1, 20), true);
        device.discard(offset(7), 2L * BLOCK_SIZE_BYTES);
        device.flush();
        device.write(offset(8), fill(1, 30), false);
        assertEquals(10, tagOf(device, 3));
        assertEquals(20, tagOf(device, 4));
        assertEquals(0, tagOf(device, 7));
        assertEquals(30, tagOf(device, 8));
        assertEquals(105, tagOf(device, 5));
        assertArrayEquals(contents(inner), contents(device));
        // Keep-all at the end of the log is what the running system sees.
        assertArrayEquals(contents(device),
                contents(device.crashImage(CrashState.keepAll(device.log().size()))));
    }

    @Test
    void logRecordsEveryOperationReadOnly() throws IOException {
        CrashSimDevice device = new CrashSimDevice(baseDevice());
        device.write(offset(1), fill(3, 10), false);
        device.flush();
        device.write(offset(2), fill(1, 20), true);
        device.discard(offset(5), BLOCK_SIZE_BYTES);
        device.write(offset(6), ByteBuffer.allocate(0), false);
        WriteLog log = device.log();
        assertEquals(List.of(
                new LogEntry(0, LogEntry.Kind.WRITE, offset(1), 3L * BLOCK_SIZE_BYTES, false),
                new LogEntry(1, LogEntry.Kind.FLUSH, 0, 0, false),
                new LogEntry(2, LogEntry.Kind.WRITE, offset(2), BLOCK_SIZE_BYTES, true),
                new LogEntry(3, LogEntry.Kind.DISCARD, offset(5), BLOCK_SIZE_BYTES, false)),
                log.entries());
        assertThrows(UnsupportedOperationException.class, () -> log.entries().remove(0));
        log.verify();
        device.write(offset(9), fill(1, 40), false);
        assertEquals(4, log.size(), "a view keeps the length it was taken at");
        assertEquals(5, device.log().size());
        StringBuilder dump = new StringBuilder();
        device.log().appendTo(dump);
        assertTrue(dump.toString().contains("#2 write [8192, +4096) fua"), dump.toString());
    }

    /**
     * 0 W a, 1 W b, 2 F, 3 W c FUA, 4 W d, 5 W e, 6 F, 7 W f, 8 D g, 9 W h FUA, 10 W i, 11 F,
     * 12 W j, 13 W k. Write x goes to block x - 'a' and holds the byte x.
     */
    static CrashSimDevice handBuiltLog() throws IOException {
        CrashSimDevice device = new CrashSimDevice(baseDevice());
        String script = "ab|Cde|fGHi|jk";
        for (char c : script.toCharArray()) {
            if (c == '|') {
                device.flush();
            } else if (c == 'G') {
                device.discard(offset('g' - 'a'), BLOCK_SIZE_BYTES);
            } else {
                char lower = Character.toLowerCase(c);
                device.write(offset(lower - 'a'), fill(1, lower), Character.isUpperCase(c));
            }
        }
        assertEquals(14, device.log().size(), device.log().entries().toString());
        return device;
    }

    @Test
    void handBuiltLogImagesFollowTheFlushes() throws IOException {
        CrashSimDevice device = handBuiltLog();
        WriteLog log = device.log();
        assertEquals(List.of('f', 'g', 'i'), log.volatileWrites(11).stream()
                .map(entry -> (char) ('a' + entry.offsetBytes() / BLOCK_SIZE_BYTES)).toList());
        MemoryBlockDevice durable = device.durableImage();
        for (char c = 'a'; c <= 'i'; c++) {
            int expected = c == 'g' ? 0 : c;
            assertEquals(expected, tagOf(durable, c - 'a'), log.describe(CrashState.dropAll(14)));
        }
        assertEquals(100 + 9, tagOf(durable, 'j' - 'a'), "j is volatile and dropped");
        // Before the second flush, only a and b (first epoch) and FUA c are durable.
        MemoryBlockDevice beforeFlush = log.crashImage(CrashState.dropAll(6));
        assertEquals(List.of((int) 'a', (int) 'b', (int) 'c', 103, 104),
                List.of(tagOf(beforeFlush, 0), tagOf(beforeFlush, 1), tagOf(beforeFlush, 2),
                        tagOf(beforeFlush, 3), tagOf(beforeFlush, 4)));
    }

    @Test
    void explicitSubsetKeepsOnlyChosenWritesInLogOrder() throws IOException {
        CrashSimDevice device = new CrashSimDevice(baseDevice());
        device.flush();
        device.write(offset(0), fill(1, 10), false); // volatile 0
        device.write(offset(1), fill(1, 11), false); // volatile 1
        device.write(offset(2), fill(1, 12), false); // volatile 2
        device.write(offset(0), fill(1, 13), false); // volatile 3, over volatile 0
        int end = device.log().size();
        MemoryBlockDevice image = device.crashImage(
                new CrashState(end, Survival.KeepWrites.of(0, 2)));
        assertEquals(List.of(10, 101, 12), List.of(
                tagOf(image, 0), tagOf(image, 1), tagOf(image, 2)));
        MemoryBlockDevice both =
                device.crashImage(new CrashState(end, Survival.KeepWrites.of(0, 3)));
        assertEquals(13, tagOf(both, 0), "the later of two kept writes wins");
        MemoryBlockDevice laterOnly =
                device.crashImage(new CrashState(end, Survival.KeepWrites.of(3)));
        assertEquals(13, tagOf(laterOnly, 0));
        assertEquals(100, tagOf(device.crashImage(CrashState.dropAll(end)), 0));
    }

    @Test
    void tornWriteKeepsSomeBlocksAndNotOthers() throws IOException {
        CrashSimDevice device = new CrashSimDevice(baseDevice());
        device.write(offset(4), fill(4, 40), false);
        BitSet kept = new BitSet();
        kept.set(0);
        kept.set(2);
        CrashState state = new CrashState(1, new Survival.KeepBlocks(List.of(kept)));
        MemoryBlockDevice image = device.crashImage(state);
        assertEquals(List.of(40, 105, 42, 107), List.of(tagOf(image, 4), tagOf(image, 5),
                tagOf(image, 6), tagOf(image, 7)), device.log().describe(state));
        assertTrue(device.log().describe(state).contains("blocks {0, 2} of 4 kept"),
                device.log().describe(state));
    }

    @Test
    void discardIsAVolatileWriteOfZeros() throws IOException {
        CrashSimDevice device = new CrashSimDevice(baseDevice());
        device.discard(offset(10), 2L * BLOCK_SIZE_BYTES);
        BitSet second = new BitSet();
        second.set(1);
        MemoryBlockDevice torn = device.crashImage(
                new CrashState(1, new Survival.KeepBlocks(List.of(second))));
        assertEquals(List.of(110, 0), List.of(tagOf(torn, 10), tagOf(torn, 11)));
        MemoryBlockDevice dropped = device.crashImage(CrashState.dropAll(1));
        assertEquals(List.of(110, 111), List.of(tagOf(dropped, 10), tagOf(dropped, 11)));
        device.flush();
        MemoryBlockDevice flushed = device.durableImage();
        assertEquals(List.of(0, 0), List.of(tagOf(flushed, 10), tagOf(flushed, 11)));
    }

    @Test
    void fuaWriteIsDurableWithoutAFlush() throws IOException {
        CrashSimDevice device = new CrashSimDevice(baseDevice());
        device.write(offset(0), fill(1, 10), false);
        device.write(offset(1), fill(1, 11), true);
        device.write(offset(2), fill(1, 12), false);
        MemoryBlockDevice durable = device.durableImage();
        assertEquals(List.of(100, 11, 102),
                List.of(tagOf(durable, 0), tagOf(durable, 1), tagOf(durable, 2)));
        assertEquals(2, device.log().volatileWriteCount(3), "the FUA write is not volatile");
    }

    @Test
    void logBoundExceededIsAClearErrorBeforeTheWrite() throws IOException {
        MemoryBlockDevice inner = baseDevice();
        long logBytesMax = 3L * (BLOCK_SIZE_BYTES + LogStore.ENTRY_OVERHEAD_BYTES);
        CrashSimDevice device = new CrashSimDevice(inner, logBytesMax);
        for (int i = 0; i < 3; i++) {
            device.write(offset(i), fill(1, 10 + i), false);
        }
        assertEquals(logBytesMax, device.logBytes());
        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> device.write(offset(3), fill(1, 13), false));
        assertTrue(error.getMessage().contains("logBytesMax " + logBytesMax), error.getMessage());
        assertTrue(error.getMessage().contains("crash-sim over test base"), error.getMessage());
        assertEquals(103, tagOf(inner, 3), "the refused write never reached the inner device");
        assertEquals(3, device.log().size());
        assertThrows(IllegalStateException.class, device::flush);
        assertThrows(IllegalArgumentException.class, () -> new CrashSimDevice(inner, 0));
    }

    @Test
    void flushCoversOnlyWritesCompletedBeforeItWasIssued() throws Exception {
        CountDownLatch flushEntered = new CountDownLatch(1);
        CountDownLatch releaseFlush = new CountDownLatch(1);
        BlockDevice slowFlush = new ForwardingDevice(baseDevice()) {
            @Override
            public void flush() throws IOException {
                flushEntered.countDown();
                await(releaseFlush);
                super.flush();
            }
        };
        CrashSimDevice device = new CrashSimDevice(slowFlush);
        device.write(offset(0), fill(1, 10), false);
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<?> flush = executor.submit(() -> {
                device.flush();
                return null;
            });
            await(flushEntered);
            device.write(offset(1), fill(1, 11), false); // completes while the flush runs
            releaseFlush.countDown();
            flush.get(10, TimeUnit.SECONDS);
        } finally {
            executor.shutdownNow();
        }
        WriteLog log = device.log();
        assertEquals(LogEntry.Kind.FLUSH, log.entry(1).kind());
        assertEquals(List.of(log.entry(2)), log.volatileWrites(3));
        MemoryBlockDevice durable = log.durableImage();
        assertEquals(List.of(10, 101), List.of(tagOf(durable, 0), tagOf(durable, 1)));
    }

    static void await(CountDownLatch latch) throws IOException {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IOException("latch not released within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    @Test
    void baseIsCopiedFromADeviceThatIsNotInMemory() throws IOException {
        MemoryBlockDevice memory = baseDevice();
        memory.discard(offset(20), 4L * BLOCK_SIZE_BYTES);
        BlockDevice inner = new ForwardingDevice(memory);
        byte[] before = contents(inner);
        CrashSimDevice device = new CrashSimDevice(inner);
        device.write(offset(0), fill(2, 50), false);
        device.flush();
        assertArrayEquals(before, contents(device.baseImage()));
        assertArrayEquals(before, contents(device.crashImage(CrashState.dropAll(0))));
        assertEquals(List.of(50, 51), List.of(tagOf(device.durableImage(), 0),
                tagOf(device.durableImage(), 1)));
    }

    @Test
    void invalidStatesAreRejectedWithTheNumbers() throws IOException {
        CrashSimDevice device = new CrashSimDevice(baseDevice());
        device.write(offset(0), fill(2, 10), false);
        device.write(offset(2), fill(1, 20), false);
        IllegalArgumentException ordinal = assertThrows(IllegalArgumentException.class,
                () -> device.crashImage(new CrashState(2, Survival.KeepWrites.of(2))));
        assertTrue(ordinal.getMessage().contains("only 2 volatile writes"), ordinal.getMessage());
        assertThrows(IllegalArgumentException.class, () -> device.crashImage(
                new CrashState(2, new Survival.KeepBlocks(List.of(new BitSet())))));
        BitSet tooFar = new BitSet();
        tooFar.set(2);
        IllegalArgumentException block = assertThrows(IllegalArgumentException.class,
                () -> device.crashImage(new CrashState(2,
                        new Survival.KeepBlocks(List.of(tooFar, new BitSet())))));
        assertTrue(block.getMessage().contains("which has 2 blocks"), block.getMessage());
        IllegalArgumentException point = assertThrows(IllegalArgumentException.class,
                () -> device.crashImage(CrashState.dropAll(3)));
        assertTrue(point.getMessage().contains("outside [0, 2]"), point.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CrashState.dropAll(-1));
        assertThrows(IllegalArgumentException.class,
                () -> device.write(1, fill(1, 1), false));
    }

    @Test
    void imagesDoNotDependOnTheOrderStatesAreBuiltIn() throws IOException {
        CrashSimDevice device = handBuiltLog();
        WriteLog log = device.log();
        List<CrashState> states = new ArrayList<>(device.explorer().subsetStates(2, 100));
        states.addAll(device.explorer().randomStates(SEED, 50));
        List<byte[]> forward = new ArrayList<>();
        for (CrashState state : states) {
            forward.add(contents(log.crashImage(state)));
        }
        for (int i = states.size() - 1; i >= 0; i--) {
            MemoryBlockDevice image = log.crashImage(states.get(i));
            assertArrayEquals(forward.get(i), contents(image), "seed " + SEED + ": "
                    + log.describe(states.get(i)));
            image.write(0, fill(1, 1), false); // images are private copies
        }
        assertArrayEquals(forward.get(0), contents(log.crashImage(states.get(0))));
    }
}
