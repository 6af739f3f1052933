package io.keelfs.engine;

import io.keelfs.error.ReadOnlyException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Whether the engine may write, and why not. Emergency read-only is one-way for the life of the
 * engine: reads keep working, every write fails with EROFS naming the original cause.
 *
 * <p>Thread-safety: lock-free; the first reason wins.
 */
final class ReadOnlyState {
    private static final Logger LOG = Logger.getLogger(ReadOnlyState.class.getName());
    private final boolean mountedReadOnly;
    private volatile String emergencyReason;

    ReadOnlyState(boolean mountedReadOnly) {
        this.mountedReadOnly = mountedReadOnly;
    }

    /** Goes emergency read-only; logs the reason once. */
    synchronized void emergency(String reason) {
        if (emergencyReason == null) {
            emergencyReason = reason;
            LOG.log(Level.SEVERE, "keelfs: emergency read-only: " + reason);
        }
    }

    boolean isReadOnly() {
        return mountedReadOnly || emergencyReason != null;
    }

    /** The reason of an emergency read-only, or null. */
    String emergencyReason() {
        return emergencyReason;
    }

    void checkWritable(String what) throws ReadOnlyException {
        if (mountedReadOnly) {
            throw new ReadOnlyException(what + ": the filesystem is mounted read-only");
        }
        String reason = emergencyReason;
        if (reason != null) {
            throw new ReadOnlyException(what + ": the filesystem went read-only after an"
                    + " internal inconsistency (" + reason + ")");
        }
    }
}
