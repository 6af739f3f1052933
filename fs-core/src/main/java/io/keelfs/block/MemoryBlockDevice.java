package io.keelfs.block;

import com.google.common.math.LongMath;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A device in memory, allocated lazily in chunks, with cheap copy-on-write {@link #snapshot()}s.
 *
 * <p>Chunks never written read as zeros and take no memory, so a sparse 1 GiB device costs only
 * what was written. Snapshots share chunks until either side writes one, which is what makes
 * materialising thousands of crash images from one base affordable.
 *
 * <p>Thread-safety: safe for concurrent reads and writes; {@link #snapshot()} must not race
 * with writes to this device (the crash simulator takes snapshots only while quiescent).
 * Flush is a no-op: memory is the stable storage here.
 */
public final class MemoryBlockDevice implements BlockDevice {
    /** Copy-on-write unit. 64 KiB keeps a snapshot's first write to a chunk cheap. */
    static final int CHUNK_SIZE_BYTES = 64 * 1024;

    private final int blockSizeBytes;
    private final long sizeBytes;
    private final String name;
    // @GuardedBy("this") for the array slots; chunk contents are written without a lock.
    private final byte[][] chunks;
    /** owned[i]: chunks[i] belongs to this device alone and may be written in place. */
    private final boolean[] owned;
    private volatile boolean closed;

    public MemoryBlockDevice(long sizeBytes, int blockSizeBytes) {
        this(sizeBytes, blockSizeBytes, "memory device");
    }

    public MemoryBlockDevice(long sizeBytes, int blockSizeBytes, String name) {
        BlockChecks.checkBlockSize(blockSizeBytes);
        BlockChecks.checkDeviceSize(sizeBytes, blockSizeBytes);
        long chunkCount = LongMath.divide(sizeBytes, CHUNK_SIZE_BYTES, RoundingMode.CEILING);
        if (chunkCount > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(
                    "memory device of " + sizeBytes + " bytes is too large");
        }
        this.blockSizeBytes = blockSizeBytes;
        this.sizeBytes = sizeBytes;
        this.name = name;
        this.chunks = new byte[(int) chunkCount][];
        this.owned = new boolean[(int) chunkCount];
    }

    private MemoryBlockDevice(MemoryBlockDevice from, String name) {
        this.blockSizeBytes = from.blockSizeBytes;
        this.sizeBytes = from.sizeBytes;
        this.name = name;
        this.chunks = from.chunks.clone();
        this.owned = new boolean[chunks.length];
    }

    /** A copy that shares unwritten chunks with this device; later writes to either stay apart. */
    public synchronized MemoryBlockDevice snapshot() {
        Arrays.fill(owned, false);
        return new MemoryBlockDevice(this, name + " (snapshot)");
    }

    @Override
    public int blockSizeBytes() {
        return blockSizeBytes;
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public String describe() {
        return name;
    }

    @Override
    public void read(long offsetBytes, ByteBuffer dst) {
        checkOpen();
        BlockChecks.checkRange(offsetBytes, dst.remaining(), sizeBytes, blockSizeBytes);
        long position = offsetBytes;
        while (dst.hasRemaining()) {
            int chunkIndex = (int) (position / CHUNK_SIZE_BYTES);
            int inChunk = (int) (position % CHUNK_SIZE_BYTES);
            int n = Math.min(dst.remaining(), CHUNK_SIZE_BYTES - inChunk);
            byte[] chunk = chunkForRead(chunkIndex);
            if (chunk == null) {
                for (int i = 0; i < n; i++) {
                    dst.put((byte) 0);
                }
            } else {
                dst.put(chunk, inChunk, n);
            }
            position += n;
        }
    }

    @Override
    public void write(long offsetBytes, ByteBuffer src, boolean fua) {
        checkOpen();
        BlockChecks.checkRange(offsetBytes, src.remaining(), sizeBytes, blockSizeBytes);
        long position = offsetBytes;
        while (src.hasRemaining()) {
            int chunkIndex = (int) (position / CHUNK_SIZE_BYTES);
            int inChunk = (int) (position % CHUNK_SIZE_BYTES);
            int n = Math.min(src.remaining(), CHUNK_SIZE_BYTES - inChunk);
            src.get(chunkForWrite(chunkIndex), inChunk, n);
            position += n;
        }
    }

    /** Zeroes the range, as a device that guarantees zeros after discard would. */
    @Override
    public void discard(long offsetBytes, long lengthBytes) {
        checkOpen();
        BlockChecks.checkRange(offsetBytes, lengthBytes, sizeBytes, blockSizeBytes);
        long position = offsetBytes;
        long end = offsetBytes + lengthBytes;
        while (position < end) {
            int chunkIndex = (int) (position / CHUNK_SIZE_BYTES);
            int inChunk = (int) (position % CHUNK_SIZE_BYTES);
            int n = (int) Math.min(end - position, CHUNK_SIZE_BYTES - inChunk);
            if (inChunk == 0 && n == CHUNK_SIZE_BYTES) {
                dropChunk(chunkIndex);
            } else if (chunkForRead(chunkIndex) != null) {
                Arrays.fill(chunkForWrite(chunkIndex), inChunk, inChunk + n, (byte) 0);
            }
            position += n;
        }
    }

    @Override
    public void flush() {
        checkOpen();
    }

    @Override
    public void close() {
        closed = true;
    }

    /** Bytes of memory held by chunks this device has written (shared chunks count too). */
    public synchronized long allocatedBytes() {
        long count = 0;
        for (byte[] chunk : chunks) {
            if (chunk != null) {
                count++;
            }
        }
        return count * CHUNK_SIZE_BYTES;
    }

    private synchronized byte[] chunkForRead(int chunkIndex) {
        return chunks[chunkIndex];
    }

    private synchronized byte[] chunkForWrite(int chunkIndex) {
        byte[] chunk = chunks[chunkIndex];
        if (chunk == null) {
            chunk = new byte[CHUNK_SIZE_BYTES];
        } else if (!owned[chunkIndex]) {
            chunk = chunk.clone();
        } else {
            return chunk;
        }
        chunks[chunkIndex] = chunk;
        owned[chunkIndex] = true;
        return chunk;
    }

    private synchronized void dropChunk(int chunkIndex) {
        chunks[chunkIndex] = null;
        owned[chunkIndex] = false;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(name + " is closed");
        }
    }
}
