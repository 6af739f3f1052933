package io.keelfs.block;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An image file could not be created or opened. The message names the path and the reason
 * ("no such file", "is a directory", "size 5000 bytes is not a multiple of the block size
 * 4096", "already opened for writing ..."), so a user can act on it without a stack trace.
 *
 * <p>Thread-safety: immutable.
 */
public final class DeviceOpenException extends IOException {
    private final Path path;
    private final String reason;

    /** An open of {@code path} failed for {@code reason}. */
    public DeviceOpenException(Path path, String reason, Throwable cause) {
        this("open", path, reason, cause);
    }

    DeviceOpenException(String action, Path path, String reason, Throwable cause) {
        super(String.format("cannot %s image %s: %s", action, path, reason), cause);
        this.path = path;
        this.reason = reason;
    }

    /** The image file as the caller named it. */
    public Path path() {
        return path;
    }

    /** Why it could not be opened, without the path. */
    public String reason() {
        return reason;
    }
}
