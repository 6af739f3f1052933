package io.keelfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.cli.KeelfsCommandTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keelfs bench fs} with tiny sizes (a smoke test for CI): the table's shape and the
 * usage errors; not the speed.
 */
class BenchFsCommandTest {
    @TempDir
    Path dir;

    @Test
    void tinyRunPrintsTheTableAndCleansUp() throws Exception {
        Run run = KeelfsCommandTest.run("bench", "fs", "--size", "8M", "--files", "300",
                "--rounds", "1", "--no-drop-caches", "--dir", dir.toString());
        assertEquals(0, run.exitCode(), run.err() + run.out());
        List<String> lines = run.out().lines().toList();
        int header = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("workload")) {
                header = i;
            }
        }
        assertTrue(header >= 0, run.out());
        assertTrue(lines.get(header).matches("workload\\s+keelfs\\s+raw\\s+unit\\s+ratio"
                + "\\s+target\\s+verdict"), lines.get(header));
        String[] rows = {"sequential write 1 MiB \\+ fsync", "sequential read 1 MiB, cold",
            "create \\(300 files, one dir\\)", "stat \\(300 files, one dir\\)",
            "unlink \\(300 files, one dir\\)"};
        for (int i = 0; i < rows.length; i++) {
            String line = lines.get(header + 1 + i);
            assertTrue(line.matches(rows[i] + "\\s+[0-9.]+\\s+(-|[0-9.]+)\\s+(MiB/s|ops/s)\\s+"
                    + "(-|[0-9.]+)\\s+>= [0-9.]+\\s+(PASS|MISS)"), line);
        }
        assertTrue(run.out().contains("page cache was not dropped"), run.out());
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "bench files left behind");
        }
    }

    @Test
    void sizeNotMultipleOfOneMebibyteIsUsageError() {
        Run run = KeelfsCommandTest.run("bench", "fs", "--size", "1500K");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("--size"), run.err());
    }

    @Test
    void filesOutOfRangeIsUsageError() {
        Run run = KeelfsCommandTest.run("bench", "fs", "--files", "0");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("--files 0 is not in [1, 10000000]"), run.err());
    }
}
