package io.keelfs.fsck;

import io.keelfs.block.BlockDevice;
import io.keelfs.error.KeelException;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs the passes in order over one device and returns the report (exit code, problems,
 * summary counts).
 *
 * <p>Entry point: {@link #run}. Order: superblock, journal, topology (on-disk structures),
 * then the engine is opened (read-only for -n, writable for --repair) and the filesystem
 * passes run over it: alloc info, backpointers, namespace (inodes, dirents, directory
 * structure, nlinks), xattrs, data checksums (--check-data); last, with --repair, a mount
 * finishes the deletion of orphan inodes. A pass that cannot do its job (no superblock at all,
 * an unreadable device) ends the run as an operational error (exit 8); damage found is a
 * problem and the next pass still runs. fsck never throws: a bug in a pass is an operational
 * error naming it.
 *
 * <p>Thread-safety: one run per device at a time.
 */
public final class Fsck {
    private Fsck() {}

    static List<FsckPass> passes() {
        return List.of(new SuperblockPass(), new JournalPass(), new TopologyPass(),
                new OpenPass(), new AllocPass(), new BackpointerPass(), new NamespacePass(),
                new XattrPass(), new DataPass(), new ClosePass());
    }

    public static FsckReport run(BlockDevice device, FsckOptions options, Consumer<String> log) {
        return run(device, options, log, Questioner.NO, Progress.QUIET);
    }

    public static FsckReport run(BlockDevice device, FsckOptions options, Consumer<String> log,
            Questioner questioner, Progress progress) {
        FsckReport report = new FsckReport(log);
        FsckContext ctx = new FsckContext(device, options, report, questioner, progress);
        try {
            java.lang.management.ThreadMXBean threads =
                    java.lang.management.ManagementFactory.getThreadMXBean();
            for (FsckPass pass : passes()) {
                long start = System.nanoTime();
                long cpuStart = threads.getCurrentThreadCpuTime();
                try {
                    progress.start(pass.name());
                    pass.run(ctx);
                    if (options.verbose()) {
                        report.info(String.format("%s: %.0f ms, cpu %.0f ms", pass.name(),
                                (System.nanoTime() - start) / 1e6,
                                (threads.getCurrentThreadCpuTime() - cpuStart) / 1e6));
                    }
                } catch (KeelException e) {
                    report.operationalError(pass.name() + ": " + e.getMessage());
                    break;
                } catch (RuntimeException | StackOverflowError e) {
                    report.operationalError(pass.name() + ": internal error " + e);
                    break;
                } finally {
                    progress.end();
                }
            }
        } finally {
            ClosePass.closeQuietly(ctx);
            TopologyPass.reportDamaged(ctx);
        }
        return report;
    }
}
