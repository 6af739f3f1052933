package io.keelfs.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Empties the OS page cache so that a read benchmark reads the disk, not memory: {@code sync},
 * then "1" into /proc/sys/vm/drop_caches. Needs root; any failure is reported, not thrown, so
 * the benchmark goes on and says its reads may have come from memory.
 *
 * <p>Thread-safety: stateless.
 */
final class PageCache {
    static final Path DROP_CACHES = Path.of("/proc/sys/vm/drop_caches");
    /** sync flushes every dirty page of the machine; a minute is already far too long. */
    static final long SYNC_SECONDS_MAX = 60;

    /** What happened: dropped or not, and why not. */
    record DropResult(boolean dropped, String detail) {}

    private PageCache() {}

    static DropResult drop() {
        if (!isRoot()) {
            return new DropResult(false, "not running as root");
        }
        String syncProblem = sync();
        try {
            Files.writeString(DROP_CACHES, "1");
        } catch (IOException | SecurityException e) {
            return new DropResult(false, "writing 1 to " + DROP_CACHES + " failed: " + e);
        }
        return new DropResult(
                true, syncProblem == null ? "dropped" : "dropped (" + syncProblem + ")");
    }

    /** Runs sync(1); returns null on success, otherwise what went wrong. */
    private static String sync() {
        try {
            Process process = new ProcessBuilder("sync").inheritIO().start();
            if (!process.waitFor(SYNC_SECONDS_MAX, TimeUnit.SECONDS)) {
                process.destroy();
                return "sync did not finish in " + SYNC_SECONDS_MAX + " s";
            }
            return process.exitValue() == 0 ? null : "sync exited " + process.exitValue();
        } catch (IOException e) {
            return "sync failed: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "sync interrupted";
        }
    }

    /** The owner of /proc/self is the process's effective uid. */
    private static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }
}
