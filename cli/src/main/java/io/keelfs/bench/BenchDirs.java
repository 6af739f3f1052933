package io.keelfs.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Scratch directories of benchmarks: removed only when this run made them and they are empty. */
final class BenchDirs {
    private BenchDirs() {}

    /** Deletes {@code dir} if this run made it ({@code ownDir}) and nothing is left in it. */
    static void removeIfOwnedAndEmpty(boolean ownDir, Path dir) throws IOException {
        if (!ownDir) {
            return;
        }
        try (Stream<Path> left = Files.list(dir)) {
            if (left.findAny().isEmpty()) {
                Files.deleteIfExists(dir);
            }
        }
    }
}
