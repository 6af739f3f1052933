package io.keelfs.cli;

import io.keelfs.bench.BlockdevBench;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code keelfs bench blockdev}: FileBlockDevice against a raw FileChannel, same work,
 * interleaved in one run. Parses and checks the options, then hands over to
 * {@link BlockdevBench}.
 */
@Command(
        name = "blockdev",
        mixinStandardHelpOptions = true,
        description = {
            "Compare FileBlockDevice with a raw FileChannel doing the same work.",
            "",
            "Workloads:",
            "  1. sequential 1 MiB writes of SIZE, then one flush (MiB/s);",
            "  2. 4 KiB random reads over the written file (IOPS), page cache dropped first",
            "     when running as root.",
            "Both sides run in every round, interleaved; the table shows the median of the",
            "rounds and the ratio keelfs/raw against the target of 0.90.",
        },
        sortOptions = false)
final class BenchBlockdevCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(
            names = "--dir",
            paramLabel = "DIR",
            description = "Where the two test files go (default: a fresh temporary directory"
                    + " under ./.bench/, removed afterwards).")
    private Path dir;

    @Option(
            names = "--size",
            paramLabel = "SIZE",
            defaultValue = "1G",
            converter = ByteSizes.Converter.class,
            description = "Bytes written per side and round; suffix K, M, G or T (powers of"
                    + " 1024), a multiple of 1M (default: ${DEFAULT-VALUE}).")
    private long sizeBytes;

    @Option(
            names = "--rounds",
            paramLabel = "N",
            defaultValue = "3",
            description = "Rounds; the table shows the median (default: ${DEFAULT-VALUE}).")
    private int rounds;

    @Option(
            names = "--reads",
            paramLabel = "N",
            defaultValue = "100000",
            description = "Random 4 KiB reads per side and round (default: ${DEFAULT-VALUE}).")
    private int readCount;

    @Option(
            names = "--no-drop-caches",
            description = "Do not drop the OS page cache before the read phase.")
    private boolean noDropCaches;

    @Override
    public Integer call() throws Exception {
        BenchOptions.checkWholeChunks(spec, "--size", sizeBytes,
                BlockdevBench.WRITE_CHUNK_BYTES);
        BenchOptions.checkRange(spec, "--rounds", rounds, 1, BlockdevBench.ROUNDS_MAX);
        BenchOptions.checkRange(spec, "--reads", readCount, 1, BlockdevBench.READS_MAX);
        BlockdevBench.Config config =
                new BlockdevBench.Config(dir, sizeBytes, rounds, readCount, !noDropCaches);
        new BlockdevBench(config, spec.commandLine().getOut(), System.console() != null).run();
        return 0;
    }
}
