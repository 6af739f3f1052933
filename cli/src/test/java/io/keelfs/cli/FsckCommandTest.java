package io.keelfs.cli;

import static io.keelfs.cli.KeelfsCommandTest.run;
import static io.keelfs.cli.MkfsCommandTest.mkfsSmall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.cli.KeelfsCommandTest.Run;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keelfs fsck} through the command line: e2fsck's exit codes for a clean image, a
 * missing file, a usage error, and a damaged superblock copy checked, repaired and checked
 * again.
 */
class FsckCommandTest {
    @TempDir
    Path dir;

    @Test
    void freshImageIsCleanWithASummaryLine() {
        Path image = dir.resolve("fresh.img");
        assertEquals(0, mkfsSmall(image, "--size", "1M").exitCode());
        Run run = run("fsck", image.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith(image + ": "), run.out());
        assertTrue(run.out().contains("0 errors found, 0 fixed"), run.out());
    }

    @Test
    void missingImageIsAnOperationalError() {
        Run run = run("fsck", dir.resolve("nope.img").toString());
        assertEquals(8, run.exitCode());
        assertTrue(run.err().contains("nope.img: no such file"), run.err());
    }

    @Test
    void unknownOptionIsAUsageError() {
        Path image = dir.resolve("fresh.img");
        assertEquals(0, mkfsSmall(image, "--size", "1M").exitCode());
        Run run = run("fsck", "--frobnicate", image.toString());
        assertEquals(16, run.exitCode(), run.err());
        assertTrue(run.err().contains("--frobnicate"), run.err());
    }

    @Test
    void damagedSuperblockCopyIsReportedRepairedAndThenClean() throws IOException {
        Path image = dir.resolve("damaged.img");
        assertEquals(0, mkfsSmall(image, "--size", "1M").exitCode());
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), 4096 + 40);
        }
        Run check = run("fsck", "-n", image.toString());
        assertEquals(4, check.exitCode(), check.err());
        assertTrue(check.err().contains("superblock-copy"), check.err());
        Run repair = run("fsck", "--repair", "-y", image.toString());
        assertEquals(1, repair.exitCode(), repair.err());
        Run again = run("fsck", image.toString());
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(Files.size(image) > 0);
    }
}
