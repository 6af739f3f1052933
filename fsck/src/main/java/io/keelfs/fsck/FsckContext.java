package io.keelfs.fsck;

import io.keelfs.block.BlockDevice;
import io.keelfs.format.Superblock;
import io.keelfs.journal.ReplayPlan;

/**
 * What the passes share: the device, the options, the report, and what earlier passes read
 * (the superblock, the journal's replay plan). A pass that needs something an earlier pass
 * could not read is skipped with a note.
 *
 * <p>Thread-safety: one run, one thread.
 */
final class FsckContext {
    final BlockDevice device;
    final FsckOptions options;
    final FsckReport report;
    Superblock superblock;
    ReplayPlan plan;
    /** A repair rewrote the journal or the trees: later passes must read again. */
    boolean rewritten;

    FsckContext(BlockDevice device, FsckOptions options, FsckReport report) {
        this.device = device;
        this.options = options;
        this.report = report;
    }
}
