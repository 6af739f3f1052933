package io.keelfs.crash;

import io.keelfs.block.BlockDevice;
import io.keelfs.error.KeelException;
import io.keelfs.fs.Filesystem;

/** How a crash test makes and mounts a filesystem on a device (the stack under test). */
public interface FsStack {
    void format(BlockDevice device) throws KeelException;

    /** Mounts (replaying the journal); the caller closes the result. */
    Filesystem open(BlockDevice device) throws KeelException;
}
