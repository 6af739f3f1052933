package io.keelfs.fuse;

import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;
import jnr.ffi.Pointer;

/**
 * A FUSE request buffer as a {@link ByteBuffer} without copying: jnr's native pointers are
 * wrapped as direct buffers over the same memory (jffi's NewDirectByteBuffer), so a write goes
 * from libfuse's buffer to the filesystem, and a read from the filesystem into libfuse's buffer,
 * with no copy in the adapter (DESIGN.md 8: every copy costs about as much as the rest).
 *
 * <p>The buffer is only valid while the callback runs: the filesystem must not keep it (the
 * {@link io.keelfs.fs.Filesystem} read/write contract consumes it within the call).
 *
 * <p>Thread-safety: stateless.
 */
final class NativeBuffers {
    private NativeBuffers() {}

    /**
     * {@code sizeBytes} bytes at {@code pointer} as a buffer positioned at 0. A pointer to
     * native memory is wrapped; any other (a heap-backed jnr pointer) is copied, which only
     * tests produce.
     */
    static ByteBuffer wrap(Pointer pointer, int sizeBytes) {
        if (sizeBytes == 0) {
            return ByteBuffer.allocate(0);
        }
        if (pointer.isDirect()) {
            return MemoryIO.getInstance().newDirectByteBuffer(pointer.address(), sizeBytes);
        }
        byte[] copy = new byte[sizeBytes];
        pointer.get(0, copy, 0, sizeBytes);
        return ByteBuffer.wrap(copy);
    }

    /** After a read into {@link #wrap}'s buffer: copies the bytes back if wrap had copied. */
    static void completeRead(Pointer pointer, ByteBuffer buffer, int countBytes) {
        if (!buffer.isDirect() && countBytes > 0) {
            pointer.put(0, buffer.array(), 0, countBytes);
        }
    }
}
