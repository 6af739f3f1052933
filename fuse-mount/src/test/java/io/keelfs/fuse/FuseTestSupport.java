package io.keelfs.fuse;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** What FUSE tests need, as JUnit assumptions: they skip, not fail, where it is missing. */
final class FuseTestSupport {
    private FuseTestSupport() {}

    static boolean libfuseLoads() {
        try {
            MountSession.checkLibfuse();
            return true;
        } catch (MountFailure e) {
            return false;
        }
    }

    /** The adapter's constructor loads libfuse2 (jnr-fuse's AbstractFuseFS does). */
    static void assumeLibfuse() {
        assumeTrue(libfuseLoads(), "libfuse.so.2 not loadable; adapter tests skipped");
    }

    /** A real mount needs /dev/fuse, libfuse2 and fusermount (and, for us, root). */
    static void assumeCanMount() {
        assumeLibfuse();
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "/dev/fuse missing; mount tests skipped");
        assumeTrue(onPath("fusermount"), "fusermount missing; mount tests skipped");
    }

    static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
