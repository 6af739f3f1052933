package io.keelfs.error;

import java.io.IOException;

/** The device failed an I/O (EIO); the cause names the device and offset. */
public final class DeviceIoException extends KeelException {
    public DeviceIoException(String what, IOException cause) {
        super(Errno.EIO, what + ": " + cause.getMessage(), cause);
    }
}
