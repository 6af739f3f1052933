package io.keelfs.btree;

import io.keelfs.block.BlockDevice;
import io.keelfs.error.DeviceIoException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The device half of a node store's read and write, shared by {@link SlotNodeStore} and
 * {@link BucketNodeStore} (which differ only in how they know a slot). Thread-safety: stateless.
 */
final class NodeImageIo {
    private NodeImageIo() {}

    /** A fresh buffer holding the {@code sizeBytes} at {@code offsetBytes}, positioned at 0. */
    static ByteBuffer read(BlockDevice device, long offsetBytes, int sizeBytes)
            throws DeviceIoException {
        ByteBuffer image = ByteBuffer.allocate(sizeBytes);
        try {
            device.read(offsetBytes, image);
        } catch (IOException e) {
            throw new DeviceIoException("reading btree node at offset " + offsetBytes
                    + " of " + device.describe(), e);
        }
        return image.clear();
    }

    static void write(BlockDevice device, long offsetBytes, ByteBuffer image)
            throws DeviceIoException {
        try {
            device.write(offsetBytes, image, false);
        } catch (IOException e) {
            throw new DeviceIoException("writing btree node at offset " + offsetBytes
                    + " of " + device.describe(), e);
        }
    }
}
