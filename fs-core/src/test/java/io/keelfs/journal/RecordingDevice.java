package io.keelfs.journal;

import io.keelfs.block.BlockDevice;
import io.keelfs.block.BlockIOException;
import io.keelfs.block.MemoryBlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;

/**
 * Test-only device over memory that keeps what a crash could lose: every write since the last
 * flush is pending, and {@link #crashImage} materialises a crash state from the flushed image
 * plus any subset of the pending writes, optionally tearing one multi-block write. Counts
 * writes and flushes; can hold flushes on a latch; calls a listener at every I/O so a test can
 * take crash images at many points.
 *
 * <p>Not the project's CrashSimDevice (written elsewhere): just enough for the journal.
 * Thread-safety: synchronized; a flush held on the gate does not hold the monitor.
 */
final class RecordingDevice implements BlockDevice {
    /** A write not yet covered by a completed flush. */
    record Pending(long offsetBytes, byte[] data) {}

    /** Called at the start of every write and flush, on the calling thread. */
    interface IoListener {
        void beforeIo(RecordingDevice device, boolean isFlush);
    }

    private static final AtomicLong INSTANCES = new AtomicLong();
    private final String name = "recording device " + INSTANCES.incrementAndGet();
    private final MemoryBlockDevice current;
    private final MemoryBlockDevice durable;
    private final List<Pending> pending = new ArrayList<>();
    final AtomicLong writes = new AtomicLong();
    final AtomicLong flushes = new AtomicLong();
    /** Writes and flushes in progress now, and the most ever at once (the journal's is 1). */
    final AtomicInteger ioInFlight = new AtomicInteger();
    final AtomicInteger ioInFlightMax = new AtomicInteger();
    private volatile CountDownLatch flushGate;
    private volatile CountDownLatch flushEntered;
    private volatile IoListener listener;
    /** Simulated flush latency, nanoseconds (a device with a slow cache flush). */
    volatile long flushLatencyNanos;
    /** Writes and flushes fail with EIO while set. */
    volatile boolean failWrites;
    /** Reads touching [failReadsFrom, failReadsTo) fail with EIO. */
    volatile long failReadsFrom = -1;
    volatile long failReadsTo = -1;

    RecordingDevice(long sizeBytes, int blockSizeBytes) {
        this(new MemoryBlockDevice(sizeBytes, blockSizeBytes));
    }

    /** Starts from an existing image, which counts as durable. */
    RecordingDevice(MemoryBlockDevice image) {
        this.current = image.snapshot();
        this.durable = image.snapshot();
    }

    /** Flushes wait for {@code gate}; {@code entered} counts down when one starts waiting. */
    void holdFlushes(CountDownLatch gate, CountDownLatch entered) {
        this.flushEntered = entered;
        this.flushGate = gate;
    }

    void setListener(IoListener listener) {
        this.listener = listener;
    }

    @Override
    public int blockSizeBytes() {
        return current.blockSizeBytes();
    }

    @Override
    public long sizeBytes() {
        return current.sizeBytes();
    }

    @Override
    public void read(long offsetBytes, ByteBuffer dst) throws IOException {
        if (offsetBytes < failReadsTo && offsetBytes + dst.remaining() > failReadsFrom) {
            throw new BlockIOException(name, offsetBytes, "injected read error", null);
        }
        synchronized (this) {
            current.read(offsetBytes, dst);
        }
    }

    @Override
    public void write(long offsetBytes, ByteBuffer src, boolean fua) throws IOException {
        ioInFlightMax.accumulateAndGet(ioInFlight.incrementAndGet(), Math::max);
        try {
            recordWrite(offsetBytes, src, fua);
        } finally {
            ioInFlight.decrementAndGet();
        }
    }

    private void recordWrite(long offsetBytes, ByteBuffer src, boolean fua) throws IOException {
        if (failWrites) {
            throw new BlockIOException(name, offsetBytes, "injected write error", null);
        }
        IoListener l = listener;
        if (l != null) {
            l.beforeIo(this, false);
        }
        byte[] data = new byte[src.remaining()];
        src.get(data);
        synchronized (this) {
            current.write(offsetBytes, ByteBuffer.wrap(data), false);
            if (fua) {
                durable.write(offsetBytes, ByteBuffer.wrap(data), false);
            } else {
                pending.add(new Pending(offsetBytes, data));
            }
        }
        writes.incrementAndGet();
    }

    @Override
    public void flush() throws IOException {
        ioInFlightMax.accumulateAndGet(ioInFlight.incrementAndGet(), Math::max);
        try {
            recordFlush();
        } finally {
            ioInFlight.decrementAndGet();
        }
    }

    private void recordFlush() throws IOException {
        if (failWrites) {
            throw new BlockIOException(name, 0, "injected flush error", null);
        }
        IoListener l = listener;
        if (l != null) {
            l.beforeIo(this, true);
        }
        int covered;
        synchronized (this) {
            covered = pending.size();
        }
        CountDownLatch gate = flushGate;
        if (gate != null) {
            flushEntered.countDown();
            try {
                if (!gate.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("test flush gate never opened");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        long latency = flushLatencyNanos;
        if (latency > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(latency);
        }
        synchronized (this) {
            // Only writes that completed before the flush was issued become durable.
            for (Pending p : pending.subList(0, covered)) {
                durable.write(p.offsetBytes(), ByteBuffer.wrap(p.data()), false);
            }
            pending.subList(0, covered).clear();
        }
        flushes.incrementAndGet();
    }

    @Override
    public void discard(long offsetBytes, long lengthBytes) {
        throw new UnsupportedOperationException("the journal never discards");
    }

    @Override
    public String describe() {
        return name;
    }

    @Override
    public void close() {}

    synchronized int pendingCount() {
        return pending.size();
    }

    /** The image with every write applied, as if nothing crashed. */
    synchronized MemoryBlockDevice currentImage() {
        return current.snapshot();
    }

    /** The image holding only flushed writes: the harshest crash. */
    synchronized MemoryBlockDevice durableImage() {
        return durable.snapshot();
    }

    /**
     * A chosen crash state: flushed writes plus the pending writes {@code keepWrite} accepts;
     * pending write {@code tornIndex} (-1: none) keeps only the blocks {@code keepBlock} accepts.
     */
    synchronized MemoryBlockDevice crashImage(
            IntPredicate keepWrite, int tornIndex, IntPredicate keepBlock) {
        MemoryBlockDevice image = durable.snapshot();
        int block = current.blockSizeBytes();
        for (int i = 0; i < pending.size(); i++) {
            if (!keepWrite.test(i)) {
                continue;
            }
            Pending p = pending.get(i);
            for (int b = 0; b < p.data().length / block; b++) {
                if (i != tornIndex || keepBlock.test(b)) {
                    image.write(p.offsetBytes() + (long) b * block,
                            ByteBuffer.wrap(p.data(), b * block, block), false);
                }
            }
        }
        return image;
    }

    /**
     * A crash state: flushed writes plus each pending write kept with probability
     * {@code keepProbability}; if {@code tear}, one kept multi-block write keeps only a random
     * subset of its blocks. Returns a description of what was kept in {@code log}.
     */
    synchronized MemoryBlockDevice crashImage(
            Random random, double keepProbability, boolean tear, StringBuilder log) {
        MemoryBlockDevice image = durable.snapshot();
        int block = current.blockSizeBytes();
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < pending.size(); i++) {
            if (random.nextDouble() < keepProbability) {
                kept.add(i);
            }
        }
        List<Integer> multiBlock = new ArrayList<>();
        for (int i : kept) {
            if (pending.get(i).data().length > block) {
                multiBlock.add(i);
            }
        }
        int torn = tear && !multiBlock.isEmpty()
                ? multiBlock.get(random.nextInt(multiBlock.size())) : -1;
        for (int i : kept) {
            Pending p = pending.get(i);
            int blocks = p.data().length / block;
            for (int b = 0; b < blocks; b++) {
                if (i == torn && random.nextBoolean()) {
                    continue;
                }
                image.write(p.offsetBytes() + (long) b * block,
                        ByteBuffer.wrap(p.data(), b * block, block), false);
            }
        }
        log.append("kept ").append(kept).append(" of ").append(pending.size())
                .append(" pending, torn ").append(torn);
        return image;
    }
}
