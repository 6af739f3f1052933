package io.keelfs.block;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Test helper: a device that is not a MemoryBlockDevice (so CrashSimDevice copies its base by
 * reading it), forwarding every call to another device; subclasses override what they watch.
 * Thread-safety: that of the target.
 */
public class ForwardingDevice implements BlockDevice {
    private final BlockDevice to;

    public ForwardingDevice(BlockDevice to) {
        this.to = to;
    }

    @Override
    public int blockSizeBytes() {
        return to.blockSizeBytes();
    }

    @Override
    public long sizeBytes() {
        return to.sizeBytes();
    }

    @Override
    public void read(long offsetBytes, ByteBuffer dst) throws IOException {
        to.read(offsetBytes, dst);
    }

    @Override
    public void write(long offsetBytes, ByteBuffer src, boolean fua) throws IOException {
        to.write(offsetBytes, src, fua);
    }

    @Override
    public void adviseWillNeed(long offsetBytes, long lengthBytes) {
        to.adviseWillNeed(offsetBytes, lengthBytes);
    }

    @Override
    public void flush() throws IOException {
        to.flush();
    }

    @Override
    public void discard(long offsetBytes, long lengthBytes) throws IOException {
        to.discard(offsetBytes, lengthBytes);
    }

    @Override
    public String describe() {
        return "forwarding to " + to.describe();
    }

    @Override
    public void close() throws IOException {
        to.close();
    }
}
