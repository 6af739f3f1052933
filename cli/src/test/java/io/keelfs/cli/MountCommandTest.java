package io.keelfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.FileBlockDevice;
import io.keelfs.cli.KeelfsCommandTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keelfs mount} and {@code keelfs install} through picocli: every refusal is one line
 * on stderr with exit 1 (usage errors exit 2), in the foreground and through the background
 * daemon, and nothing is left mounted. The mount itself (with a fake filesystem) is covered
 * by fuse-mount's FuseMountTest and FuseDaemonTest; here, an image some other device holds
 * for writing is refused with the lock's one line.
 */
class MountCommandTest {
    @TempDir
    Path tmp;

    private static String oneLine(Run run) {
        String err = run.err().strip();
        assertFalse(err.contains("\n"), "more than one line: " + err);
        return err;
    }

    private Path mkfs() {
        Path image = tmp.resolve("img");
        Run run = KeelfsCommandTest.run("mkfs", "--size", "64M", image.toString());
        assertEquals(0, run.exitCode(), run.err());
        return image;
    }

    @Test
    void missingImageIsOneLine() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("mnt"));
        Run run = KeelfsCommandTest.run("mount", tmp.resolve("none").toString(), mnt.toString());
        assertEquals(1, run.exitCode());
        assertEquals("mount: image " + tmp.resolve("none") + " does not exist", oneLine(run));
    }

    @Test
    void fileThatIsNotKeelfsIsOneLine() throws Exception {
        Path other = Files.write(tmp.resolve("other"), new byte[1 << 16]);
        Path mnt = Files.createDirectory(tmp.resolve("mnt"));
        Run run = KeelfsCommandTest.run("mount", other.toString(), mnt.toString(), "-f");
        assertEquals(1, run.exitCode());
        assertTrue(oneLine(run).startsWith("mount: " + other + " is not a keelfs image"),
                run.err());
    }

    @Test
    void missingMountpointIsOneLine() {
        Path image = mkfs();
        Run run = KeelfsCommandTest.run("mount", image.toString(),
                tmp.resolve("nowhere").toString());
        assertEquals(1, run.exitCode());
        assertEquals("mount: mountpoint " + tmp.resolve("nowhere") + " does not exist",
                oneLine(run));
    }

    @Test
    void nonEmptyMountpointIsOneLine() throws Exception {
        Path image = mkfs();
        Path mnt = Files.createDirectory(tmp.resolve("mnt"));
        Files.createFile(mnt.resolve("something"));
        Run run = KeelfsCommandTest.run("mount", image.toString(), mnt.toString(), "-f");
        assertEquals(1, run.exitCode());
        assertTrue(oneLine(run).startsWith("mount: mountpoint " + mnt + " is not empty"),
                run.err());
    }

    @Test
    void badOptionValueIsAUsageError() throws Exception {
        Path image = mkfs();
        Path mnt = Files.createDirectory(tmp.resolve("mnt"));
        Run run = KeelfsCommandTest.run("mount", image.toString(), mnt.toString(), "-o",
                "cache_size=much");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("cache_size=much"), run.err());
    }

    @Test
    void imageAlreadyOpenForWritingIsRefusedInTheForeground() throws Exception {
        Path image = mkfs();
        Path mnt = Files.createDirectory(tmp.resolve("mnt"));
        try (FileBlockDevice held = FileBlockDevice.open(image, 4096, false)) {
            Run run = KeelfsCommandTest.run("mount", image.toString(), mnt.toString(), "-f");
            assertEquals(1, run.exitCode(), run.err());
            assertTrue(oneLine(run).startsWith("mount: ") && oneLine(run).contains(
                    "already opened for writing"), run.err());
        }
        assertTrue(Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .noneMatch(l -> l.contains(mnt.toString())));
    }

    /** The background path: the child JVM's reason comes back as the parent's one line. */
    @Test
    void imageAlreadyOpenForWritingIsRefusedThroughTheDaemon() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/dev/fuse")));
        Path image = mkfs();
        Path mnt = Files.createDirectory(tmp.resolve("mnt"));
        try (FileBlockDevice held = FileBlockDevice.open(image, 4096, false)) {
            Run run = KeelfsCommandTest.run("mount", image.toString(), mnt.toString(), "-o",
                    "allow_other");
            assertEquals(1, run.exitCode(), run.err());
            assertTrue(oneLine(run).contains("already opened for writing by another keelfs"
                    + " device (its write lock is held by another process)"), run.err());
        }
        assertTrue(Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .noneMatch(l -> l.contains(mnt.toString())));
    }

    @Test
    void installWritesAnExecutableHelperThatMapsMountArguments() throws Exception {
        Path fakeLauncher = tmp.resolve("fake keelfs");
        Path log = tmp.resolve("args");
        Files.writeString(fakeLauncher, "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done > '"
                + log + "'\n");
        fakeLauncher.toFile().setExecutable(true);
        Run run = KeelfsCommandTest.run("install", "--dir", tmp.resolve("sbin").toString(),
                "--launcher", fakeLauncher.toString());
        assertEquals(0, run.exitCode(), run.err());
        Path helper = tmp.resolve("sbin").resolve(InstallCommand.HELPER_NAME);
        assertTrue(Files.isExecutable(helper));

        Process p = new ProcessBuilder(helper.toString(), "/img", "/mnt", "-n", "-o",
                "rw,allow_other", "-v").redirectErrorStream(true).start();
        assertEquals(0, p.waitFor(), new String(p.getInputStream().readAllBytes()));
        assertEquals(List.of("mount", "/img", "/mnt", "-o", "rw,allow_other"),
                Files.readAllLines(log));

        Files.delete(log);
        Process fake = new ProcessBuilder(helper.toString(), "/img", "/mnt", "-f").start();
        assertEquals(0, fake.waitFor());
        assertFalse(Files.exists(log), "mount -f (fake) must not mount");
    }

    @Test
    void helpListsMountAndInstall() {
        Run run = KeelfsCommandTest.run("--help");
        assertTrue(run.out().contains("mount"), run.out());
        assertTrue(run.out().contains("install"), run.out());
        Run help = KeelfsCommandTest.run("mount", "--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.out().contains("debug_log=FILE"), help.out());
    }
}
