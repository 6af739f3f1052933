package io.keelfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.cli.KeelfsCommandTest.Run;
import org.junit.jupiter.api.Test;

/**
 * {@code keelfs bench engine}'s options through picocli: help and usage errors only. The
 * benchmark itself is covered by {@code io.keelfs.bench.EngineBenchTest}.
 */
class BenchEngineCommandTest {

    @Test
    void helpExitsZeroAndListsTheOptions() {
        Run run = KeelfsCommandTest.run("bench", "engine", "--help");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("Usage: keelfs bench engine"), run.out());
        for (String option : new String[] {"--keys", "--batch", "--dir", "--rounds",
                "--image-size", "--node-size", "--threads"}) {
            assertTrue(run.out().contains(option), option + " missing from " + run.out());
        }
    }

    @Test
    void batchOutOfRangeIsUsageError() {
        Run run = KeelfsCommandTest.run("bench", "engine", "--batch", "0");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("--batch 0 is not in [1, 10000]"), run.err());
    }

    @Test
    void nodeSizeNotPowerOfTwoIsUsageError() {
        Run run = KeelfsCommandTest.run("bench", "engine", "--node-size", "48K");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("--node-size 48K"), run.err());
    }

    @Test
    void imageTooSmallIsUsageError() {
        Run run = KeelfsCommandTest.run("bench", "engine", "--image-size", "16M");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("--image-size 16M is below the minimum 26M"), run.err());
    }
}
