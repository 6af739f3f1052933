package io.keelfs.btree;

import com.google.common.base.Preconditions;
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

    /**
     * Writes a node image to its slot: the bytes from 0 to the image's limit (header and
     * keys), rounded up to the device's block within the image's capacity, the node size,
     * whose tail the encoder zeroed. The rest of the slot keeps whatever it held: no reader
     * looks past the used bytes the header names (the CRC covers exactly those), and a
     * checkpoint writes about a quarter fewer bytes (nodes are three quarters full on average).
     */
    static void write(BlockDevice device, long offsetBytes, ByteBuffer image, int nodeSizeBytes)
            throws DeviceIoException {
        Preconditions.checkArgument(image.capacity() == nodeSizeBytes && image.position() == 0
                && image.limit() > 0, "node image %s, node size %s", image, nodeSizeBytes);
        int blockBytes = device.blockSizeBytes();
        int lengthBytes = Math.min(nodeSizeBytes,
                Math.floorDiv(image.limit() + blockBytes - 1, blockBytes) * blockBytes);
        try {
            device.write(offsetBytes, image.duplicate().limit(lengthBytes), false);
        } catch (IOException e) {
            throw new DeviceIoException("writing btree node at offset " + offsetBytes
                    + " of " + device.describe(), e);
        }
    }
}
