package io.keelfs.cli;

import io.keelfs.block.DeviceOpenException;
import io.keelfs.block.FileBlockDevice;
import io.keelfs.engine.SuperblockIo;
import io.keelfs.error.KeelException;
import io.keelfs.fsck.Fsck;
import io.keelfs.fsck.FsckExit;
import io.keelfs.fsck.FsckOptions;
import io.keelfs.fsck.FsckReport;
import io.keelfs.fsck.Progress;
import io.keelfs.fsck.Questioner;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code keelfs fsck IMAGE [-n | --repair [-y]] [--check-data] [--verbose]}: checks an image,
 * e2fsck-style. With --repair and no -y each fix is asked on the terminal (no terminal: no).
 *
 * <p>Exit codes as e2fsck's ({@link FsckExit}): 0 clean, 1 errors corrected, 4 errors left,
 * 8 operational error (cannot open, not a keelfs image), 16 usage error. Problems go to
 * stderr as they are found; the summary line to stdout.
 *
 * <p>A mounted image (its write lock held) is refused, except with {@code -n}, which then
 * warns that it checks a moment's state.
 *
 * <p>Thread-safety: one invocation per instance (picocli).
 */
@Command(
        name = "fsck",
        mixinStandardHelpOptions = true,
        exitCodeOnInvalidInput = FsckExit.USAGE_ERROR,
        exitCodeOnExecutionException = FsckExit.OPERATIONAL_ERROR,
        description = {
            "Check a keelfs image (and with --repair, fix it).",
            "",
            "Exit codes: 0 clean, 1 errors corrected, 4 errors left uncorrected,",
            "8 operational error, 16 usage error.",
        },
        sortOptions = false)
final class FsckCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "The image file.")
    private Path image;

    @ArgGroup(exclusive = true)
    private Mode mode = new Mode();

    static final class Mode {
        @Option(names = "-n", description = "Check only; change nothing (the default).")
        boolean checkOnly;

        @Option(names = "--repair", description = "Fix what can be fixed.")
        boolean repair;
    }

    @Option(names = {"-y", "--yes"}, description = "Assume yes to every fix (with --repair).")
    private boolean yes;

    @Option(names = "--verbose", description = "Report every pass's counts.")
    private boolean verbose;

    @Option(names = "--check-data", description = "Also read all file data and verify its"
            + " checksums.")
    private boolean checkData;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!Files.isRegularFile(image)) {
            err.printf("fsck: %s: %s%n", image, Files.exists(image) ? "not a regular file"
                    : "no such file");
            err.flush();
            return FsckExit.OPERATIONAL_ERROR;
        }
        long start = System.nanoTime();
        FsckReport report;
        try (FileBlockDevice device = open(err)) {
            if (device == null) {
                return FsckExit.OPERATIONAL_ERROR;
            }
            java.io.Console console = System.console();
            report = Fsck.run(device, new FsckOptions(mode.repair, yes || !mode.repair, verbose,
                    checkData), line -> {
                        err.println("fsck: " + line);
                        err.flush();
                    }, questioner(console, err), new Progress(System.err, console != null));
        }
        if (verbose) {
            err.println("fsck: " + peakHeap());
            err.flush();
        }
        out.println(report.summary(image.toString(), (System.nanoTime() - start) / 1e9));
        out.flush();
        return report.exitCode();
    }

    /**
     * The JVM's peak heap use (bench/fsck-peers.sh reads it): each heap pool's peak, summed.
     * The pools peak at different moments, so the sum bounds the true peak from above.
     */
    static String peakHeap() {
        long peakBytes = 0;
        for (java.lang.management.MemoryPoolMXBean pool
                : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == java.lang.management.MemoryType.HEAP) {
                peakBytes += pool.getPeakUsage().getUsed();
            }
        }
        return String.format("peak heap used %d MiB (heap pools' peaks summed), max %d MiB",
                peakBytes >> 20, Runtime.getRuntime().maxMemory() >> 20);
    }

    /**
     * Asks each fix on the terminal; without one (and without -y) answers no, saying so once,
     * so a script never hangs on a prompt.
     */
    private Questioner questioner(java.io.Console console, PrintWriter err) {
        if (!mode.repair || yes) {
            return Questioner.YES;
        }
        if (console == null) {
            err.println("fsck: no terminal to ask on and no -y: answering no to every fix");
            err.flush();
            return Questioner.NO;
        }
        return question -> {
            String answer = console.readLine("%s [y/N] ", question);
            return answer != null && answer.trim().toLowerCase(java.util.Locale.ROOT)
                    .startsWith("y");
        };
    }

    /** The image opened for the mode, or null after printing why it cannot be. */
    private FileBlockDevice open(PrintWriter err) throws IOException {
        int blockSize;
        try (FileBlockDevice probe = ImageFiles.openReadOnly(image)) {
            blockSize = SuperblockIo.read(probe).superblock().geometry().blockSizeBytes();
        } catch (KeelException | DeviceOpenException e) {
            err.printf("fsck: %s%n", e.getMessage());
            err.flush();
            return null;
        }
        if (!mode.repair && ImageFiles.isWriteLocked(image)) {
            err.printf("fsck: %s: warning: the image is open for writing (mounted?); checking"
                    + " a moment's state, which may show damage that is not there%n", image);
            err.flush();
        }
        try {
            return FileBlockDevice.open(image, blockSize, !mode.repair);
        } catch (DeviceOpenException e) {
            err.printf("fsck: %s%n", e.getMessage());
            err.flush();
            return null;
        }
    }
}
