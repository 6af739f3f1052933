package io.keelfs.btree;

import io.keelfs.error.DeviceIoException;
import io.keelfs.error.NoSpaceException;
import java.io.IOException;
import java.nio.ByteBuffer;

/** A NodeStore that fails allocations or writes after a countdown, once each. */
final class FlakyNodeStore implements NodeStore {
    private final NodeStore inner;
    /** Allocations to let through before one fails; negative: never fail. */
    int failAllocationsAfter = -1;
    int failWritesAfter = -1;

    FlakyNodeStore(NodeStore inner) {
        this.inner = inner;
    }

    @Override
    public boolean isSlot(long offsetBytes) {
        return inner.isSlot(offsetBytes);
    }

    @Override
    public ByteBuffer read(long offsetBytes, int sizeBytes) throws DeviceIoException {
        return inner.read(offsetBytes, sizeBytes);
    }

    @Override
    public long allocate() throws NoSpaceException {
        if (failAllocationsAfter == 0) {
            failAllocationsAfter = -1;
            throw new NoSpaceException("injected allocation failure");
        }
        if (failAllocationsAfter > 0) {
            failAllocationsAfter--;
        }
        return inner.allocate();
    }

    @Override
    public void write(long offsetBytes, ByteBuffer image) throws DeviceIoException {
        if (failWritesAfter == 0) {
            failWritesAfter = -1;
            throw new DeviceIoException("injected write failure at " + offsetBytes,
                    new IOException("injected"));
        }
        if (failWritesAfter > 0) {
            failWritesAfter--;
        }
        inner.write(offsetBytes, image);
    }

    @Override
    public void free(long offsetBytes) {
        inner.free(offsetBytes);
    }
}
