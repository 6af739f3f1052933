package io.keelfs.cli;

import io.keelfs.bench.FsBench;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code keelfs bench fs}: the filesystem API in process against the raw FileBlockDevice, and
 * metadata operations per second. Parses and checks the options, then hands over to
 * {@link FsBench}.
 */
@Command(
        name = "fs",
        mixinStandardHelpOptions = true,
        description = {
            "Benchmark the filesystem API in process (no FUSE) on an image file.",
            "",
            "Workloads:",
            "  1. sequential 1 MiB writes of SIZE into one file, then fsync, beside the raw",
            "     FileBlockDevice writing the same bytes (MiB/s, ratio against 0.70);",
            "  2. the file read back after a remount, page cache dropped (root), beside the",
            "     raw device reading its copy;",
            "  3. FILES creates, stats and unlinks in one directory (ops/s against 50000).",
            "The table shows the median of the rounds.",
        },
        sortOptions = false)
final class BenchFsCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(
            names = "--dir",
            paramLabel = "DIR",
            description = "Where the image files go (default: a fresh temporary directory"
                    + " under ./.bench/, removed afterwards).")
    private Path dir;

    @Option(
            names = "--size",
            paramLabel = "SIZE",
            defaultValue = "2G",
            converter = ByteSizes.Converter.class,
            description = "Bytes written per side and round; suffix K, M, G or T (powers of"
                    + " 1024), a multiple of 1M (default: ${DEFAULT-VALUE}).")
    private long sizeBytes;

    @Option(
            names = "--files",
            paramLabel = "N",
            defaultValue = "100000",
            description = "Files created, stated and unlinked per round"
                    + " (default: ${DEFAULT-VALUE}).")
    private int files;

    @Option(
            names = "--rounds",
            paramLabel = "N",
            defaultValue = "3",
            description = "Rounds; the table shows the median (default: ${DEFAULT-VALUE}).")
    private int rounds;

    @Option(
            names = "--no-drop-caches",
            description = "Do not drop the OS page cache before the read phase.")
    private boolean noDropCaches;

    @Override
    public Integer call() throws Exception {
        BenchOptions.checkWholeChunks(spec, "--size", sizeBytes, FsBench.CHUNK_BYTES);
        BenchOptions.checkRange(spec, "--files", files, 1, FsBench.FILES_MAX);
        BenchOptions.checkRange(spec, "--rounds", rounds, 1, FsBench.ROUNDS_MAX);
        FsBench.Config config =
                new FsBench.Config(dir, sizeBytes, files, rounds, !noDropCaches);
        new FsBench(config, spec.commandLine().getOut(), System.console() != null).run();
        return 0;
    }
}
