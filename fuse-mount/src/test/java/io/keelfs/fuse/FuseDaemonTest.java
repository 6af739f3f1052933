package io.keelfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Background mounts through {@link MountDaemon}: a child JVM ({@link TestMountMain}) mounts the
 * fake and signals ready; then fusermount -u or SIGTERM ends it, and its JVM exits within a
 * few seconds after closing the filesystem. A child that fails before it is ready is reported
 * with its own one-line reason. Skipped where FUSE is missing.
 */
class FuseDaemonTest {
    /** "Within a couple of seconds" of the issue, with room for a loaded CI machine. */
    private static final Duration EXIT_WAIT = Duration.ofSeconds(10);

    @TempDir
    Path tmp;
    private Path mnt;
    private Path closed;
    private long pid = -1;

    @BeforeEach
    void setUp() throws IOException {
        FuseTestSupport.assumeCanMount();
        mnt = Files.createDirectory(tmp.resolve("mnt"));
        closed = tmp.resolve("closed");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (pid > 0) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        if (mnt != null && isMounted(mnt)) {
            new ProcessBuilder("fusermount", "-u", "-z", mnt.toString()).start().waitFor();
        }
    }

    private long startDaemon(String imageName, String... options) throws MountFailure {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), TestMountMain.class.getName(),
                tmp.resolve(imageName).toString(), mnt.toString(),
                tmp.resolve("ready").toString(), closed.toString()));
        command.addAll(List.of(options));
        return MountDaemon.start(command, tmp.resolve("ready"), Duration.ofSeconds(60));
    }

    private static boolean isMounted(Path mnt) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .anyMatch(l -> l.split(" ")[4].equals(mnt.toString()));
    }

    private void assertExitsAndClosed() throws Exception {
        ProcessHandle handle = ProcessHandle.of(pid).orElse(null);
        if (handle != null) {
            handle.onExit().get(EXIT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        assertEquals("closed", Files.readString(closed));
        assertFalse(isMounted(mnt));
    }

    @Test
    void readyThenFusermountEndsTheDaemon() throws Exception {
        pid = startDaemon("image");
        assertTrue(isMounted(mnt), "mounted when start returns");
        assertFalse(Files.exists(tmp.resolve("ready")), "ready file removed");
        Files.writeString(mnt.resolve("f"), "through the daemon");
        assertEquals("through the daemon", Files.readString(mnt.resolve("f")));
        Process u = new ProcessBuilder("fusermount", "-u", mnt.toString()).inheritIO().start();
        assertEquals(0, u.waitFor());
        assertExitsAndClosed();
    }

    @Test
    void plainUmountEndsTheDaemonToo() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(FuseTestSupport.onPath("umount"));
        pid = startDaemon("image");
        Process u = new ProcessBuilder("umount", mnt.toString()).inheritIO().start();
        assertEquals(0, u.waitFor());
        assertExitsAndClosed();
    }

    @Test
    void sigtermUnmountsAndClosesCleanly() throws Exception {
        pid = startDaemon("image");
        assertTrue(isMounted(mnt));
        assertTrue(ProcessHandle.of(pid).orElseThrow().destroy(), "SIGTERM sent");
        assertExitsAndClosed();
    }

    @Test
    void sigintUnmountsAndClosesCleanlyAndDebugLogIsWritten() throws Exception {
        Path log = tmp.resolve("debug.log");
        pid = startDaemon("image", "debug_log=" + log);
        assertTrue(isMounted(mnt));
        Files.createDirectory(mnt.resolve("d"));
        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(pid)).start();
        assertEquals(0, kill.waitFor());
        assertExitsAndClosed();
        String text = Files.readString(log);
        assertTrue(text.contains("mounted on " + mnt), text);
    }

    @Test
    void aChildThatFailsBeforeReadyIsReportedWithItsLine() {
        MountFailure f = assertThrows(MountFailure.class, () -> startDaemon("refuse.img"));
        assertEquals("test opener refuses " + tmp.resolve("refuse.img"), f.getMessage());
        assertFalse(Files.exists(tmp.resolve("ready")));
    }
}
