package io.keelfs.fsck;

import io.keelfs.block.BlockDevice;
import io.keelfs.error.KeelException;
import java.util.List;

/**
 * Runs the passes in order over one device and returns the report (exit code, problems,
 * summary counts).
 *
 * <p>Entry point: {@link #run}. A pass that cannot do its job (no superblock at all, an
 * unreadable device) ends the run as an operational error (exit 8); damage found is a
 * problem and the next pass still runs.
 *
 * <p>Thread-safety: one run per device at a time.
 */
public final class Fsck {
    private Fsck() {}

    static List<FsckPass> passes() {
        return List.of(new SuperblockPass(), new JournalPass(), new TopologyPass());
    }

    public static FsckReport run(BlockDevice device, FsckOptions options,
            java.util.function.Consumer<String> log) {
        FsckReport report = new FsckReport(log);
        FsckContext ctx = new FsckContext(device, options, report);
        for (FsckPass pass : passes()) {
            try {
                pass.run(ctx);
            } catch (KeelException e) {
                report.operationalError(pass.name() + ": " + e.getMessage());
                break;
            }
        }
        return report;
    }
}
