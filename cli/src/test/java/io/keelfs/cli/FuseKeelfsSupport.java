package io.keelfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keelfs.fuse.MountDaemon;
import io.keelfs.fuse.MountFailure;
import io.keelfs.fuse.MountOptions;
import io.keelfs.fuse.MountSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the FUSE end-to-end tests over real keelfs images share: assumptions (they skip where
 * FUSE is missing), mkfs and fsck through the CLI, a mount served in a thread of this JVM
 * through the same code path as {@code keelfs mount -f} ({@link MountSession} with {@link
 * MountFilesystems#opener()}), a mount served by a child JVM through {@link MountDaemon} as
 * {@code keelfs mount} without {@code -f} does, and running shell commands with a time bound.
 *
 * <p>Thread-safety: static helpers; each test owns its image and mountpoint.
 */
final class FuseKeelfsSupport {
    static final Duration READY_WAIT = Duration.ofSeconds(60);
    static final Duration END_WAIT = Duration.ofSeconds(30);

    private FuseKeelfsSupport() {}

    /** A real mount needs /dev/fuse, libfuse2 and fusermount (and root, as CI runs). */
    static void assumeCanMount(Path scratch) throws IOException {
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "/dev/fuse missing; FUSE tests skipped");
        assumeTrue(onPath("fusermount"), "fusermount missing; FUSE tests skipped");
        Path probe = Files.createDirectories(scratch.resolve("preflight-probe"));
        try {
            MountSession.preflight(probe, MountOptions.defaults());
        } catch (MountFailure e) {
            assumeTrue(false, "cannot mount here: " + e.getMessage());
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    static Path mkfs(Path image, String size) {
        KeelfsCommandTest.Run run = KeelfsCommandTest.run("mkfs", image.toString(), "--size",
                size);
        assertEquals(0, run.exitCode(), run.err());
        return image;
    }

    /** {@code keelfs fsck IMAGE} must exit 0; returns its output. */
    static String assertFsckClean(Path image) {
        KeelfsCommandTest.Run run = KeelfsCommandTest.run("fsck", image.toString());
        assertEquals(0, run.exitCode(), "fsck " + image + ":\n" + run.out() + run.err());
        return run.out();
    }

    /** A mount served by a thread of this JVM, and what its serving ended with. */
    record ServedMount(MountSession session, AtomicReference<Throwable> failure) {
        /**
         * Unmounts (as umount does), waits until the filesystem is closed, and fails the test
         * if serving or closing failed or the adapter answered any call with an internal EIO.
         */
        void unmount() throws Exception {
            session.unmount();
            assertTrue(session.awaitEnded(END_WAIT), "mount did not end");
            assertEquals(0, session.adapter().internalErrorCount(), "internal errors (EIO)");
            if (failure.get() != null) {
                throw new AssertionError("serving failed", failure.get());
            }
        }
    }

    /** A foreground mount (what {@code keelfs mount -f} runs), served by a thread here. */
    static ServedMount mountInThread(Path image, Path mnt) throws Exception {
        Files.createDirectories(mnt);
        MountSession session = MountSession.open(image, mnt, MountOptions.defaults(),
                MountFilesystems.opener());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread server = new Thread(() -> {
            try {
                session.serve(() -> { });
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "test-fuse-serve");
        server.setDaemon(true);
        server.start();
        assertTrue(session.awaitReady(READY_WAIT), "not ready: " + failure.get());
        return new ServedMount(session, failure);
    }

    /**
     * Starts {@code keelfs mount IMAGE MNT -f} as a child JVM the way the background mount
     * does (setsid, ready file); returns its pid once the mount is ready.
     */
    static long mountDaemon(Path image, Path mnt, Path scratch) throws Exception {
        Files.createDirectories(mnt);
        Path ready = Files.createTempFile(scratch, "ready-", "");
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"), "-ea", "-cp",
                System.getProperty("java.class.path"), KeelfsCommand.class.getName(),
                "mount", image.toString(), mnt.toString(), "-f",
                "--ready-file", ready.toString(),
                "-o", "debug_log=" + scratch.resolve("daemon.log")));
        return MountDaemon.start(command, ready, READY_WAIT);
    }

    static boolean isMounted(Path mnt) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .anyMatch(l -> l.split(" ")[4].equals(mnt.toString()));
    }

    /** Best effort after a failed test: nothing stays mounted. */
    static void forceUnmount(Path mnt) throws Exception {
        if (mnt != null && isMounted(mnt)) {
            new ProcessBuilder("fusermount", "-u", "-z", mnt.toString()).start()
                    .waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** The script resource {@code name} written into {@code dir}. */
    static Path script(Path dir, String name) throws IOException {
        Path script = dir.resolve(name);
        try (InputStream in = FuseKeelfsSupport.class.getResourceAsStream(name)) {
            Files.write(script, in.readAllBytes());
        }
        return script;
    }

    /**
     * Runs a command in {@code workDir} with {@code env} added, output merged; fails the test
     * on a non-zero exit or after {@code timeout}. Returns the output.
     */
    static String runChecked(List<String> command, Path workDir, Map<String, String> env,
            Duration timeout) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .directory(workDir.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        // Read on a thread so that a hung command still times out.
        byte[][] out = new byte[1][];
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                out[0] = in.readAllBytes();
            } catch (IOException e) {
                out[0] = ("(output unreadable: " + e + ")").getBytes(StandardCharsets.UTF_8);
            }
        });
        reader.start();
        boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        reader.join(TimeUnit.SECONDS.toMillis(10));
        String text = out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8);
        assertTrue(done, String.join(" ", command) + ": timed out after " + timeout + "\n"
                + text);
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + text);
        return text;
    }
}
