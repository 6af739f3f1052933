package io.keelfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The command tree through picocli's {@code execute}, output captured: help, version, exit
 * codes of usage errors, and that usage goes to stderr. Covers parsing only; the benchmark
 * itself is covered by {@code io.keelfs.bench.BlockdevBenchTest}.
 */
class KeelfsCommandTest {

    /** One invocation's exit code and captured streams. */
    record Run(int exitCode, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = KeelfsCommand.newCommandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int exitCode = commandLine.execute(args);
        return new Run(exitCode, out.toString(), err.toString());
    }

    @Test
    void helpExitsZeroAndListsBench() {
        Run run = run("--help");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("Usage: keelfs"), run.out());
        assertTrue(run.out().contains("bench"), run.out());
        assertEquals("", run.err());
    }

    @Test
    void helpListsMkfsAndShowSuper() {
        Run run = run("--help");
        assertTrue(run.out().contains("mkfs"), run.out());
        assertTrue(run.out().contains("show-super"), run.out());
        for (String command : new String[] {"mkfs", "show-super"}) {
            Run help = run(command, "--help");
            assertEquals(0, help.exitCode(), help.err());
            assertTrue(help.out().contains("Usage: keelfs " + command), help.out());
        }
    }

    @Test
    void versionNamesKeelfs() {
        Run run = run("--version");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("keelfs "), run.out());
    }

    @Test
    void unknownSubcommandIsUsageErrorOnStderr() {
        Run run = run("bogus");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("'bogus'"), run.err());
        assertTrue(run.err().contains("Usage: keelfs"), run.err());
        assertEquals("", run.out());
    }

    @Test
    void unknownOptionIsUsageErrorOnStderr() {
        Run run = run("--bogus");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("Unknown option: '--bogus'"), run.err());
        assertTrue(run.err().contains("Usage: keelfs"), run.err());
        assertEquals("", run.out());
    }

    @Test
    void missingSubcommandIsUsageError() {
        assertEquals(2, run().exitCode());
        Run bench = run("bench");
        assertEquals(2, bench.exitCode());
        assertTrue(bench.err().contains("Usage: keelfs bench"), bench.err());
    }

    @Test
    void benchBlockdevHelpExitsZero() {
        Run run = run("bench", "blockdev", "--help");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("Usage: keelfs bench blockdev"), run.out());
        for (String option : new String[] {"--dir", "--size", "--rounds", "--reads"}) {
            assertTrue(run.out().contains(option), option + " missing from " + run.out());
        }
    }

    @Test
    void badSizeIsUsageErrorNamingTheText() {
        Run run = run("bench", "blockdev", "--size", "12X");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("'12X'"), run.err());
        assertTrue(run.err().contains("Usage: keelfs bench blockdev"), run.err());
    }

    @Test
    void sizeNotWholeMebibytesIsUsageError() {
        Run run = run("bench", "blockdev", "--size", "1500K");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("--size 1500K (1536000 bytes)"), run.err());
    }

    @Test
    void roundsOutOfRangeIsUsageError() {
        Run run = run("bench", "blockdev", "--rounds", "0");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("--rounds 0"), run.err());
    }
}
