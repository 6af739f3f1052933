package io.keelfs.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jnr.ffi.LibraryLoader;

/**
 * A mount that returns once ready and keeps serving in the background. The JVM cannot fork, so
 * the launcher re-executes the mount command as a child JVM in the foreground ({@code -f})
 * with a ready file, in a session of its own ({@code setsid}: a terminal's Ctrl-C or hang-up
 * does not reach it), and waits: the child writes {@value #READY} to the ready file once the
 * kernel has answered INIT; if the child exits first, its output (one line saying why, and
 * libfuse's own complaint if any) becomes the {@link MountFailure}.
 *
 * <p>The child runs in "/" (a daemon must not pin the directory it was started from), so
 * {@code command} must hold absolute paths. The child's stdout and stderr go to a temporary
 * log the launcher reads and removes; once ready the child points both at /dev/null ({@link
 * #detachStdio}), as fuse_daemonize does, so a caller capturing the launcher's output is not
 * held open by the daemon. The daemon's own log then goes only to {@code -o debug_log=FILE}.
 *
 * <p>Thread-safety: stateless.
 */
public final class MountDaemon {
    public static final String READY = "ready";
    /** Opening an image replays its journal, which can take a while on a big one. */
    public static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
    static final Duration POLL_INTERVAL = Duration.ofMillis(20);
    /** Child output lines quoted in a failure. */
    static final int FAILURE_LINES_MAX = 4;
    private static final int O_WRONLY = 1;

    /** The libc calls stdio detaching needs. */
    public interface LibC {
        int open(String path, int flags, int mode);

        int dup2(int oldFd, int newFd);

        int close(int fd);
    }

    private MountDaemon() {}

    /**
     * Starts {@code command} (a foreground mount that writes {@link #READY} to
     * {@code readyFile}) and waits until it is ready; returns its pid. On failure the child is
     * gone and nothing it started is left mounted.
     */
    public static long start(List<String> command, Path readyFile, Duration timeout)
            throws MountFailure {
        Path log;
        Process child;
        try {
            log = Files.createTempFile("keelfs-mount-", ".log");
            List<String> full = new ArrayList<>();
            if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
                full.add("/usr/bin/setsid");
            }
            full.addAll(command);
            child = new ProcessBuilder(full)
                    .directory(Path.of("/").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            throw new MountFailure("cannot start the mount daemon: " + e.getMessage(), e);
        }
        try {
            return awaitReady(child, readyFile, log, timeout);
        } finally {
            deleteQuietly(log);
            deleteQuietly(readyFile);
        }
    }

    private static long awaitReady(Process child, Path readyFile, Path log, Duration timeout)
            throws MountFailure {
        long deadlineNs = System.nanoTime() + timeout.toNanos();
        try {
            while (System.nanoTime() < deadlineNs) {
                if (isReady(readyFile)) {
                    return child.pid();
                }
                if (child.waitFor(POLL_INTERVAL.toMillis(), TimeUnit.MILLISECONDS)) {
                    if (isReady(readyFile)) {
                        return child.pid();
                    }
                    throw new MountFailure(failureText(log, child.exitValue()));
                }
            }
            child.destroy();
            if (!child.waitFor(MountSession.CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                child.destroyForcibly();
            }
            throw new MountFailure("the mount daemon was not ready within " + timeout
                    + "; stopped it");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            child.destroy();
            throw new MountFailure("interrupted while waiting for the mount daemon", e);
        }
    }

    private static boolean isReady(Path readyFile) {
        try {
            return Files.readString(readyFile, StandardCharsets.UTF_8).startsWith(READY);
        } catch (IOException e) {
            return false;
        }
    }

    /** The child's last lines, without the command prefix the child printed, on one line. */
    static String failureText(Path log, int exitCode) {
        List<String> lines = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                String l = line.strip();
                if (!l.isEmpty() && !l.startsWith("at ") && !l.startsWith("(set KEELFS_DEBUG")) {
                    lines.add(l.startsWith("mount: ") ? l.substring("mount: ".length()) : l);
                }
            }
        } catch (IOException e) {
            lines.add("(its output is unreadable: " + e.getMessage() + ")");
        }
        if (lines.isEmpty()) {
            return "the mount daemon exited with status " + exitCode + " before it was ready";
        }
        List<String> last = lines.subList(Math.max(0, lines.size() - FAILURE_LINES_MAX),
                lines.size());
        return String.join("; ", last);
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // A leftover temp file is harmless.
        }
    }

    /** In the child, once ready: the ready signal, then stdio to /dev/null. */
    public static void signalReady(Path readyFile) throws IOException {
        Files.writeString(readyFile, READY + "\n", StandardCharsets.UTF_8);
        detachStdio();
    }

    /** Points fds 1 and 2 at /dev/null (what fuse_daemonize does for a C daemon). */
    static void detachStdio() {
        System.out.flush();
        System.err.flush();
        LibC libc = LibraryLoader.create(LibC.class).load("c");
        int fd = libc.open("/dev/null", O_WRONLY, 0);
        if (fd < 0) {
            return;
        }
        libc.dup2(fd, 1);
        libc.dup2(fd, 2);
        if (fd > 2) {
            libc.close(fd);
        }
    }
}
