package io.keelfs.cli;

import picocli.CommandLine.Command;

/**
 * {@code keelfs bench}: groups the benchmarks; each is a subcommand of its own.
 *
 * <p>Not runnable by itself, so {@code keelfs bench} with no subcommand is a usage error.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Run a benchmark that compares a keelfs layer with a raw baseline.",
        footer = {"", "Run 'keelfs bench BENCHMARK --help' for the options of a benchmark."},
        synopsisSubcommandLabel = "BENCHMARK",
        subcommands = {BenchBlockdevCommand.class, BenchEngineCommand.class,
            BenchFsCommand.class})
final class BenchCommand {}
