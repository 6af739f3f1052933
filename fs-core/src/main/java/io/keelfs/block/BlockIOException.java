package io.keelfs.block;

import java.io.IOException;

/** An I/O failure at a known place: the message and {@link #offsetBytes()} say where. */
public class BlockIOException extends IOException {
    private final String device;
    private final long offsetBytes;

    public BlockIOException(String device, long offsetBytes, String what, Throwable cause) {
        super(String.format("%s at offset %d of %s", what, offsetBytes, device), cause);
        this.device = device;
        this.offsetBytes = offsetBytes;
    }

    public String device() {
        return device;
    }

    public long offsetBytes() {
        return offsetBytes;
    }
}
