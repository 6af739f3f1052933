package io.keelfs.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** The option checks the bench commands share: a usage error naming the option and its bound. */
final class BenchOptions {
    private BenchOptions() {}

    static void checkRange(CommandSpec spec, String option, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ParameterException(spec.commandLine(), String.format(
                    "%s %d is not in [%d, %d]", option, value, min, max));
        }
    }

    /** A size the bench writes in whole chunks of {@code chunkBytes}: at least one chunk. */
    static void checkWholeChunks(CommandSpec spec, String option, long bytes, long chunkBytes) {
        if (bytes < chunkBytes || bytes % chunkBytes != 0) {
            throw new ParameterException(spec.commandLine(), String.format(
                    "%s %s (%d bytes) is not a positive multiple of %s",
                    option, ByteSizes.format(bytes), bytes, ByteSizes.format(chunkBytes)));
        }
    }
}
