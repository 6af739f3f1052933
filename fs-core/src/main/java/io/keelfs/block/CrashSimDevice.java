package io.keelfs.block;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A block device that records every write, discard and flush on its way to an inner device, so
 * that tests can rebuild any state a power cut could have left (like dm-log-writes plus
 * CrashMonkey's replay). Entry points: the {@link BlockDevice} methods, then {@link #log()},
 * {@link #crashImage(CrashState)}, {@link #durableImage()} and {@link #explorer()}.
 *
 * <p>Pass-through: reads, writes, flushes and discards go to the inner device, so the running
 * system sees its own writes. Logging follows dm-log-writes' rules (research/crash-testing.md
 * section 2), which give the worst case a power cut allows:
 * <ul>
 *   <li>a write or discard is logged when it <em>completes</em> (after the inner call
 *       returns), under the log's lock, so log order is completion order; a write's bytes are
 *       copied when it is issued;
 *   <li>a flush marker is logged when the flush is <em>issued</em> (before the inner flush),
 *       since a flush covers only the writes that completed before it was issued;
 *   <li>a FUA write is durable when it completes; a discard is a volatile write of zeros whose
 *       blocks survive or not independently. Zero-length writes and discards are not logged.
 * </ul>
 *
 * <p>Base image: the inner device's contents when this device is built, taken with
 * {@link MemoryBlockDevice#snapshot()} when the inner device is a {@link MemoryBlockDevice}
 * (build it while nothing writes to the inner device), otherwise read whole into memory (blocks
 * of zeros are skipped, so only the non-zero part costs heap).
 *
 * <p>Memory bound: the log holds a copy of every write. It is charged against
 * {@code logBytesMax} (default {@link #LOG_BYTES_MAX}); a write or flush that would pass it
 * throws {@link IllegalStateException} naming the bound, before it reaches the inner device.
 *
 * <p>Known gaps: a crash point after a flush marker assumes that flush completed; and a flush
 * whose inner call throws stays logged, which makes the crash model optimistic about it.
 *
 * <p>Thread-safety: safe for concurrent use, like every device. The log may be read and crash
 * images built while writes go on; a {@link WriteLog} sees the entries logged when it was
 * taken. The log stays readable after {@link #close()}, which closes the inner device.
 */
public final class CrashSimDevice implements BlockDevice {
    /** Default bound on log memory: 1 GiB, about 260 k logged 4 KiB writes. */
    public static final long LOG_BYTES_MAX = 1L << 30;
    /** Read unit of the base copy from a device that is not a MemoryBlockDevice. */
    static final int BASE_COPY_CHUNK_BYTES = 1 << 20;

    static {
        if (BASE_COPY_CHUNK_BYTES < BlockChecks.BLOCK_SIZE_BYTES_MAX
                || BASE_COPY_CHUNK_BYTES % BlockChecks.BLOCK_SIZE_BYTES_MAX != 0) {
            throw new ExceptionInInitializerError(
                    "BASE_COPY_CHUNK_BYTES must be a multiple of every block size");
        }
    }

    private final BlockDevice inner;
    private final LogStore store;
    private final CrashImages images;

    /** Wraps {@code inner} with the default log bound {@link #LOG_BYTES_MAX}. */
    public CrashSimDevice(BlockDevice inner) throws IOException {
        this(inner, LOG_BYTES_MAX);
    }

    /**
     * Wraps {@code inner}, capturing its current contents as the base image.
     *
     * @param logBytesMax bound on log memory: payload bytes plus a fixed charge per entry
     */
    public CrashSimDevice(BlockDevice inner, long logBytesMax) throws IOException {
        this.inner = Objects.requireNonNull(inner, "inner");
        checkArgument(logBytesMax > 0, "logBytesMax %s bytes must be positive", logBytesMax);
        this.store = new LogStore(describe(), logBytesMax);
        this.images = new CrashImages(captureBase(inner));
    }

    @Override
    public int blockSizeBytes() {
        return inner.blockSizeBytes();
    }

    @Override
    public long sizeBytes() {
        return inner.sizeBytes();
    }

    @Override
    public void read(long offsetBytes, ByteBuffer dst) throws IOException {
        inner.read(offsetBytes, dst);
    }

    @Override
    public void write(long offsetBytes, ByteBuffer src, boolean fua) throws IOException {
        BlockChecks.checkRange(offsetBytes, src.remaining(), sizeBytes(), blockSizeBytes());
        if (!src.hasRemaining()) {
            inner.write(offsetBytes, src, fua);
            return;
        }
        byte[] payload = new byte[src.remaining()];
        src.duplicate().get(payload);
        long chargeBytes = store.reserve(LogEntry.Kind.WRITE, offsetBytes, payload.length);
        boolean completed = false;
        try {
            inner.write(offsetBytes, src, fua);
            completed = true;
        } finally {
            if (!completed) {
                store.release(chargeBytes);
            }
        }
        store.append(LogEntry.Kind.WRITE, offsetBytes, payload.length, fua, payload, chargeBytes);
    }

    @Override
    public void flush() throws IOException {
        // Issue order: the marker covers exactly the writes logged (completed) before it.
        store.appendFlush();
        inner.flush();
    }

    @Override
    public void discard(long offsetBytes, long lengthBytes) throws IOException {
        BlockChecks.checkRange(offsetBytes, lengthBytes, sizeBytes(), blockSizeBytes());
        if (lengthBytes == 0) {
            inner.discard(offsetBytes, lengthBytes);
            return;
        }
        long chargeBytes = store.reserve(LogEntry.Kind.DISCARD, offsetBytes, 0);
        boolean completed = false;
        try {
            inner.discard(offsetBytes, lengthBytes);
            completed = true;
        } finally {
            if (!completed) {
                store.release(chargeBytes);
            }
        }
        store.append(LogEntry.Kind.DISCARD, offsetBytes, lengthBytes, false, null, chargeBytes);
    }

    @Override
    public String describe() {
        return "crash-sim over " + inner.describe();
    }

    /** Closes the inner device; the log and crash images stay usable. */
    @Override
    public void close() throws IOException {
        inner.close();
    }

    /** A read-only view of the log as it is now (O(1)). */
    public WriteLog log() {
        return new WriteLog(store, images, store.length(), blockSizeBytes());
    }

    /** The image a crash in {@code state} leaves, against the log as it is now. */
    public MemoryBlockDevice crashImage(CrashState state) {
        return log().crashImage(state);
    }

    /** The image a crash now leaves if every volatile write is lost. */
    public MemoryBlockDevice durableImage() {
        return log().durableImage();
    }

    /** Enumerates crash states over the log as it is now. */
    public CrashStateExplorer explorer() {
        return new CrashStateExplorer(log());
    }

    /** A copy of the inner device's contents before logging began. */
    public MemoryBlockDevice baseImage() {
        return crashImage(CrashState.dropAll(0));
    }

    /** Log memory charged so far against {@link #logBytesMax()}. */
    public long logBytes() {
        return store.loggedBytes();
    }

    public long logBytesMax() {
        return store.logBytesMax();
    }

    private static MemoryBlockDevice captureBase(BlockDevice inner) throws IOException {
        if (inner instanceof MemoryBlockDevice memory) {
            return memory.snapshot();
        }
        MemoryBlockDevice copy = new MemoryBlockDevice(inner.sizeBytes(), inner.blockSizeBytes(),
                "base image of " + inner.describe());
        ByteBuffer chunk = ByteBuffer.allocate(BASE_COPY_CHUNK_BYTES);
        for (long offsetBytes = 0; offsetBytes < inner.sizeBytes(); ) {
            int lengthBytes =
                    (int) Math.min(BASE_COPY_CHUNK_BYTES, inner.sizeBytes() - offsetBytes);
            chunk.clear().limit(lengthBytes);
            inner.read(offsetBytes, chunk);
            chunk.flip();
            if (!isAllZero(chunk)) {
                copy.write(offsetBytes, chunk, false);
            }
            offsetBytes += lengthBytes;
        }
        return copy;
    }

    private static boolean isAllZero(ByteBuffer buffer) {
        for (int i = buffer.position(); i < buffer.limit(); i++) {
            if (buffer.get(i) != 0) {
                return false;
            }
        }
        return true;
    }
}
