package io.keelfs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny run of the blockdev benchmark end to end (4 MiB, 2 rounds, no page-cache drop, so the
 * test leaves the machine alone): both table lines, positive figures, files removed. Says
 * nothing about speed; that is what the command is for.
 */
class BlockdevBenchTest {

    @Test
    void tinyRunPrintsBothLinesAndCleansUp(@TempDir Path dir) throws Exception {
        StringWriter text = new StringWriter();
        BlockdevBench.Config config =
                new BlockdevBench.Config(dir, 4L << 20, 2, 2_000, false);
        BlockdevBench.Result result =
                new BlockdevBench(config, new PrintWriter(text, true), false).run();

        assertEquals(2, result.lines().size());
        for (BlockdevBench.Line line : result.lines()) {
            assertTrue(line.keelfsMedian() > 0, line.toString());
            assertTrue(line.rawMedian() > 0, line.toString());
        }
        assertFalse(result.cacheDropped());
        String out = text.toString();
        assertTrue(out.contains("sequential write 1 MiB + flush"), out);
        assertTrue(out.contains("random read 4 KiB"), out);
        assertTrue(out.contains("PASS") || out.contains("MISS"), out);
        assertTrue(out.contains("page cache was not dropped"), out);
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(0, left.count(), "benchmark files left in " + dir);
        }
    }

    @Test
    void refusesAndKeepsExistingFiles(@TempDir Path dir) throws Exception {
        Files.createFile(dir.resolve("keelfs.img"));
        BlockdevBench.Config config = new BlockdevBench.Config(dir, 1L << 20, 1, 10, false);
        StringWriter text = new StringWriter();
        Exception e = assertThrows(Exception.class,
                () -> new BlockdevBench(config, new PrintWriter(text, true), false).run());
        assertTrue(e.getMessage().contains("keelfs.img exists"), e.getMessage());
        assertTrue(Files.exists(dir.resolve("keelfs.img")), "someone else's file was deleted");
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(2.0, BlockdevBench.median(new double[] {3, 1, 2}));
        assertEquals(2.5, BlockdevBench.median(new double[] {4, 1, 3, 2}));
        assertEquals(7.0, BlockdevBench.median(new double[] {7}));
    }

    @Test
    void tableAlignsColumns() {
        ResultTable table = new ResultTable("name", "figure", "verdict");
        table.addRow("a", "1.0", "PASS");
        table.addRow("longer name", "12,345.0", "MISS");
        StringWriter text = new StringWriter();
        table.print(new PrintWriter(text, true));
        String[] lines = text.toString().split("\n");
        assertEquals("name           figure  verdict", lines[0]);
        assertEquals("a                 1.0  PASS", lines[1]);
        assertEquals("longer name  12,345.0  MISS", lines[2]);
    }
}
