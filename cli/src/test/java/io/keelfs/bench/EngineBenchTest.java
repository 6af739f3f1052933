package io.keelfs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny run of the engine benchmark end to end (2,000 keys, a 64 MiB image, 2 committer
 * threads): every table line with positive figures, a verdict on each line with a target, and
 * its own temporary directory removed. Says nothing about speed; that is what the command is
 * for. Needs lmdbjava's --add-opens (cli/pom.xml gives them to surefire).
 */
class EngineBenchTest {

    @Test
    void tinyRunPrintsEveryWorkloadAndCleansUp(@TempDir Path parent) throws Exception {
        StringWriter text = new StringWriter();
        EngineBench.Config config =
                new EngineBench.Config(null, 2_000, 100, 1, 64L << 20, 64 << 10, 2, 64L << 20);
        EngineBench.Result result =
                new EngineBench(config, new PrintWriter(text, true), false, parent).run();

        List<String> expected = List.of("insert, flushed, 1 thread", "insert, flushed, 2 threads",
                "insert, flushed, 4 threads", "insert, unflushed, 1 thread", "point lookup, random order",
                "range scan, all keys", "heap after insert + checkpoint");
        assertEquals(expected, result.lines().stream().map(EngineBench.Line::workload).toList());
        String out = text.toString();
        for (EngineBench.Line line : result.lines()) {
            assertTrue(out.contains(line.workload()), out);
            if (!line.unit().equals("MiB")) {
                assertTrue(line.keelfsMedian() > 0, line.toString());
                assertTrue(line.lmdbMedian() > 0, line.toString());
            }
            assertEquals(line.target() != null, line.pass() != null, line.toString());
        }
        assertTrue(out.contains("PASS") || out.contains("MISS"), out);
        assertTrue(out.contains("lmdb MDB_NOSYNC"), out);
        assertTrue(out.contains("lmdb synced"), out);
        try (Stream<Path> left = Files.list(parent)) {
            assertEquals(0, left.count(), "benchmark directory left in " + parent);
        }
    }

    @Test
    void refusesAndKeepsExistingFiles(@TempDir Path dir) throws Exception {
        Files.createFile(dir.resolve(EngineBench.IMAGE_NAME));
        EngineBench.Config config =
                new EngineBench.Config(dir, 10, 10, 1, 64L << 20, 64 << 10, 1, 64L << 20);
        Exception e = assertThrows(Exception.class, () -> new EngineBench(
                config, new PrintWriter(new StringWriter(), true), false).run());
        assertTrue(e.getMessage().contains("keelfs.img exists"), e.getMessage());
        assertTrue(Files.exists(dir.resolve(EngineBench.IMAGE_NAME)),
                "someone else's file was deleted");
    }

    @Test
    void configRejectsAnImageTooSmall() {
        Exception e = assertThrows(IllegalArgumentException.class, () ->
                new EngineBench.Config(null, 10, 10, 1, 1L << 20, 64 << 10, 1, 64L << 20));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
    }

    @Test
    void lookupOrderIsAPermutationAndValuesAreChecked() {
        BenchKeys keys = BenchKeys.random(10_000, 1);
        int[] order = keys.shuffledOrder(2);
        boolean[] seen = new boolean[keys.count()];
        for (int i : order) {
            assertFalse(seen[i], "index " + i + " twice");
            seen[i] = true;
        }
        assertTrue(keys.isValueOf(5, ByteBuffer.wrap(keys.newValue(5))));
        assertFalse(keys.isValueOf(5, ByteBuffer.wrap(keys.newValue(6))));
    }
}
