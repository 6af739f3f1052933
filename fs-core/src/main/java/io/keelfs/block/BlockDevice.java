package io.keelfs.block;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A disk with a volatile write cache, addressed in bytes, accessed in whole blocks.
 *
 * <p>Entry points: {@link #read}, {@link #write}, {@link #flush}, {@link #discard}.
 *
 * <p>Contract (DESIGN.md section 2):
 * <ol>
 *   <li>Offsets and lengths are multiples of {@link #blockSizeBytes()} and lie inside
 *       {@link #sizeBytes()}; anything else is an {@link IllegalArgumentException} naming offset,
 *       length, size and block size (see {@link BlockChecks}).
 *   <li>A completed write may still be lost by a crash until a later {@link #flush()} completes,
 *       unless it was written with {@code fua}.
 *   <li>A flush makes durable every write that completed before the flush was issued.
 *   <li>Nothing else is promised: no order between un-flushed writes, no atomicity above one
 *       block.
 *   <li>After a discard the range reads as zeros or as its old contents; a discard is volatile
 *       like a write.
 * </ol>
 *
 * <p>Thread-safety: implementations are safe for concurrent use.
 */
public interface BlockDevice extends Closeable {

    /** The I/O unit, a power of two of at least 512. */
    int blockSizeBytes();

    /** The device size, a multiple of the block size. */
    long sizeBytes();

    /** Reads {@code dst.remaining()} bytes at {@code offsetBytes} into {@code dst}; advances it. */
    void read(long offsetBytes, ByteBuffer dst) throws IOException;

    /**
     * Writes {@code src.remaining()} bytes at {@code offsetBytes}, advancing {@code src}.
     *
     * @param fua force unit access: the write is durable when this returns
     */
    void write(long offsetBytes, ByteBuffer src, boolean fua) throws IOException;

    /** Returns once every write that completed before this call is durable. */
    void flush() throws IOException;

    /** Tells the device the range is unused; it may free the space (a hole in an image file). */
    void discard(long offsetBytes, long lengthBytes) throws IOException;

    /**
     * A hint that the range will be read soon (readahead): the device may start reading it
     * into a cache in the background. Never fails and never changes contents; the default
     * does nothing. The range is clipped to the device.
     */
    default void adviseWillNeed(long offsetBytes, long lengthBytes) {}

    /** A short description for messages: the path of an image file, or the kind of device. */
    String describe();

    @Override
    void close() throws IOException;
}
