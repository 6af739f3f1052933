package io.keelfs.error;

/**
 * An invariant that must hold in production does not (STYLE.md tier 2): for example a dirty
 * cached key whose btree position holds no live key. The filesystem goes emergency read-only
 * when one is raised; the message names the structure and position and says to run fsck.
 */
public final class InconsistentException extends KeelException {
    public InconsistentException(String message) {
        super(Errno.EIO, message, null);
    }
}
