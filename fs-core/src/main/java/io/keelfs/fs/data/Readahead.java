package io.keelfs.fs.data;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.keelfs.block.BlockDevice;
import io.keelfs.engine.Engine;
import io.keelfs.error.KeelException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Readahead for sequential file reads: a read that starts where the previous read of the same
 * file ended continues a stream, and a stream keeps the device ranges of the next
 * {@link #WINDOW_BYTES} of the file advised ({@link BlockDevice#adviseWillNeed}), refilled
 * when less than half the window is left ahead. The extents of a file need not lie in device
 * order, so the device's own readahead (sequential offsets on the device) can miss them; this
 * follows the extents instead, and the kernel reads the window while the caller works on the
 * current read.
 *
 * <p>Entry point: {@link #onRead}. Counters: {@link #advisedBytes}.
 *
 * <p>Thread-safety: one monitor over the bounded stream table; the extent lookup and the hints
 * run outside it.
 */
final class Readahead {
    /**
     * How far ahead of a sequential reader the device is advised: 8 MiB is 8 reads of a FUSE
     * max_read of 1 MiB, 16 full extents, and a few milliseconds of a disk.
     */
    static final long WINDOW_BYTES = 8L << 20;
    /** Files followed at once; the least recently read stream is dropped beyond it. */
    static final int STREAMS_MAX = 64;
    /** Extents one refill looks up: a window of full extents, with room for smaller ones. */
    static final int EXTENTS_PER_REFILL_MAX = 64;

    /** One sequential reader: where its next read should start, how far it is advised. */
    private static final class Stream {
        long nextBytes;
        long advisedUpToBytes;
    }

    private final Engine engine;
    private final BlockDevice device;
    private final ExtentUpdates extents;
    private final long bucketSizeBytes;
    @GuardedBy("this")
    private final Map<Long, Stream> streams = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Stream> eldest) {
            return size() > STREAMS_MAX;
        }
    };
    private long advisedBytes;

    Readahead(Engine engine, BlockDevice device, ExtentUpdates extents, long bucketSizeBytes) {
        this.engine = engine;
        this.device = device;
        this.extents = extents;
        this.bucketSizeBytes = bucketSizeBytes;
    }

    /**
     * Called before a read of file bytes {@code [offsetBytes, offsetBytes + lengthBytes)} of
     * {@code ino} (already clipped to the file size). Advises the window after it when the
     * read continues a stream.
     */
    void onRead(long ino, long offsetBytes, long lengthBytes) throws KeelException {
        long end = offsetBytes + lengthBytes;
        long from;
        long to;
        synchronized (this) {
            Stream s = streams.get(ino);
            if (s == null || s.nextBytes != offsetBytes) {
                s = new Stream();
                s.advisedUpToBytes = end;
                s.nextBytes = end;
                streams.put(ino, s);
                return;
            }
            s.nextBytes = end;
            if (s.advisedUpToBytes - end >= WINDOW_BYTES / 2) {
                return;
            }
            from = Math.max(end, s.advisedUpToBytes);
            to = end + WINDOW_BYTES;
            s.advisedUpToBytes = to;
        }
        advise(ino, from, to);
    }

    /** Advises the device ranges of the extents in [from, to), contiguous ones as one. */
    private void advise(long ino, long from, long to) throws KeelException {
        List<Extent> list = engine.read(txn -> extents.lookup(txn, ino, from, to,
                EXTENTS_PER_REFILL_MAX).extents());
        long runStart = -1;
        long runEnd = -1;
        for (Extent e : list) {
            long start = e.bucket() * bucketSizeBytes + e.offsetInBucketBytes();
            if (start != runEnd) {
                flush(runStart, runEnd);
                runStart = start;
            }
            runEnd = start + e.lengthBytes();
        }
        flush(runStart, runEnd);
    }

    private void flush(long start, long end) {
        if (start >= 0 && end > start) {
            device.adviseWillNeed(start, end - start);
            synchronized (this) {
                advisedBytes += end - start;
            }
        }
    }

    /** Device bytes advised so far (tests and stats). */
    synchronized long advisedBytes() {
        return advisedBytes;
    }
}
