package io.keelfs.fsck;

import io.keelfs.error.KeelException;

/** One fsck pass. A KeelException out of a pass is an operational error (exit 8). */
interface FsckPass {
    String name();

    void run(FsckContext ctx) throws KeelException;
}
