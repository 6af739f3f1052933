package io.keelfs.btree;

import io.keelfs.error.DeviceIoException;
import io.keelfs.error.NoSpaceException;
import java.nio.ByteBuffer;

/**
 * Where btree nodes live on the device: the only way this package touches storage.
 *
 * <p>A slot holds one node image of the filesystem's node size. Slot lifecycle:
 * <ol>
 *   <li>free: may be returned by {@link #allocate()};
 *   <li>allocated: a checkpoint writes a node image there; the node is live while a tree
 *       (in memory or in a durable root) references it;
 *   <li>freed ({@link #free}): the in-memory trees no longer reference it, but the roots last
 *       made durable may; the store must not hand it out again until the caller says the roots
 *       that no longer reference it are durable (see {@link SlotNodeStore#releasePending}).
 * </ol>
 *
 * <p>Thread-safety: {@link #read} may be called by concurrent readers; the other methods are
 * called under the caller's exclusive lock, but implementations should tolerate concurrent
 * reads while they run.
 */
public interface NodeStore {

    /** Whether {@code offsetBytes} is the start of a node slot (a corrupt pointer may not be). */
    boolean isSlot(long offsetBytes);

    /**
     * Reads a node image. The returned buffer has position 0, limit and capacity
     * {@code sizeBytes}, is a heap buffer, and belongs to the caller.
     */
    ByteBuffer read(long offsetBytes, int sizeBytes) throws DeviceIoException;

    /** Hands out a free slot; {@link NoSpaceException} (naming the counts) when none is left. */
    long allocate() throws NoSpaceException;

    /**
     * Writes a node image (position to limit) to an allocated slot. Returns once the device
     * has the bytes (not necessarily durable: the caller flushes); the buffer is not retained.
     */
    void write(long offsetBytes, ByteBuffer image) throws DeviceIoException;

    /** The slot is no longer referenced by the in-memory trees (see the lifecycle above). */
    void free(long offsetBytes);
}
