package io.keelfs.btree;

import com.google.common.base.Preconditions;
import io.keelfs.error.DeviceIoException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The node images of one deferred checkpoint: encoded by {@link BtreeSet#prepareCheckpoint}
 * under the caller's exclusive lock, written by {@link #writeAll} without it, so that updates
 * proceed (into newly dirtied nodes) while the images go to the device.
 *
 * <p>Why this is safe: an encoded image is a copy, so changes to its node after the prepare
 * do not reach it; the slots were allocated by the prepare and nothing frees them before the
 * next checkpoint, which the caller serialises after this one; until an image is written its
 * node stays readable from {@link NodeCache}'s unwritten set, never from the device.
 *
 * <p>Lifecycle:
 * <ol>
 *   <li>prepared: every node is clean, points at its new slot and is pinned in the cache;
 *   <li>written ({@link #writeAll} returned): images on the device (not yet flushed: the
 *       caller flushes), nodes unpinned, image buffers dropped;
 *   <li>failed ({@link #writeAll} threw): the trees point at slots that may not hold their
 *       images. The unwritten nodes stay pinned for good, so reads keep working, and the
 *       caller must never publish these roots (it goes read-only).
 * </ol>
 *
 * <p>Thread-safety: filled under the caller's exclusive lock, then handed to one thread.
 */
public final class CheckpointWrites {
    private final NodeStore store;
    private final NodeCache cache;
    private final List<ByteBuffer> images = new ArrayList<>();
    private long[] offsets = new long[64];
    private int written;
    private boolean failed;

    public CheckpointWrites(NodeStore store, NodeCache cache) {
        this.store = store;
        this.cache = cache;
    }

    /** Nodes to write. */
    public int count() {
        return images.size();
    }

    /** Records {@code node}'s new image, owned from now on by this object. */
    void add(long offsetBytes, ByteBuffer image, Node node) {
        Preconditions.checkState(written == 0 && !failed, "checkpoint writes already started");
        if (images.size() == offsets.length) {
            offsets = java.util.Arrays.copyOf(offsets, offsets.length * 2);
        }
        offsets[images.size()] = offsetBytes;
        images.add(image);
        cache.pinUnwritten(offsetBytes, node);
    }

    /**
     * Writes every image to its slot, in the order prepared (children before parents), and
     * unpins each node once its image is written. Not flushed: the caller flushes the device.
     *
     * @throws DeviceIoException a write failed; see the lifecycle (failed)
     */
    public void writeAll() throws DeviceIoException {
        Preconditions.checkState(!failed, "checkpoint writes failed before");
        try {
            for (; written < images.size(); written++) {
                store.write(offsets[written], images.get(written));
                images.set(written, null);
                cache.unpinWritten(offsets[written]);
            }
        } catch (DeviceIoException | RuntimeException e) {
            failed = true;
            throw e;
        }
    }
}
