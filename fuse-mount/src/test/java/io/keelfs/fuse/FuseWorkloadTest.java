package io.keelfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ordinary programs on a real mount of the in-memory fake: the shell workload of the issue
 * (cp -a of /usr/share/doc and diff -r, ln, mv, chmod, truncate, touch with ns times,
 * setfattr/getfattr, dd with O_DIRECT, rm -rf), and a generic/113-style fio run (libaio,
 * O_DIRECT, several jobs on one shared file, mixed sizes, crc32c verify, plus a buffered
 * reader of the same file). Both need bash, coreutils and (for the second) fio; they skip
 * otherwise. They test the adapter and libfuse's side, not keelfs's filesystem (the fake
 * stands in for it).
 */
class FuseWorkloadTest {
    private static final Duration RUN_MAX = Duration.ofMinutes(3);

    @TempDir
    Path tmp;

    private MountSession mount(InMemoryFilesystem fs, Path mnt) throws Exception {
        Files.createDirectories(mnt);
        MountSession session = MountSession.open(tmp.resolve("img"), mnt,
                MountOptions.defaults(), (i, o) -> fs);
        Thread server = new Thread(() -> {
            try {
                session.serve(() -> { });
            } catch (MountFailure e) {
                throw new AssertionError(e);
            }
        }, "test-fuse-serve");
        server.start();
        assertTrue(session.awaitReady(Duration.ofSeconds(15)));
        return session;
    }

    private static void unmount(MountSession session) throws Exception {
        session.unmount();
        assertTrue(session.awaitEnded(Duration.ofSeconds(20)));
    }

    /** Runs a command, its output on ours; returns exit code and the output. */
    private static String runChecked(List<String> command, Path mnt) throws Exception {
        // Run outside the source tree: fio leaves verify-state files in its working directory.
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .directory(mnt.getParent().toFile());
        pb.environment().put("MNT", mnt.toString());
        Process p = pb.start();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        assertTrue(p.waitFor(RUN_MAX.toMillis(), TimeUnit.MILLISECONDS), "timed out");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + text);
        return text;
    }

    @Test
    void shellWorkload() throws Exception {
        FuseTestSupport.assumeCanMount();
        assumeTrue(FuseTestSupport.onPath("bash") && Files.isDirectory(Path.of("/usr/share/doc")));
        Path script = tmp.resolve("shell-workload.sh");
        try (InputStream in = getClass().getResourceAsStream("shell-workload.sh")) {
            Files.write(script, in.readAllBytes());
        }
        InMemoryFilesystem fs = new InMemoryFilesystem();
        Path mnt = tmp.resolve("mnt");
        MountSession session = mount(fs, mnt);
        try {
            String out = runChecked(List.of("bash", script.toString()), mnt);
            assertTrue(out.contains("workload-ok"), out);
            assertEquals(0, session.adapter().internalErrorCount());
        } finally {
            unmount(session);
        }
        assertEquals(0, fs.openHandleCount(), "every handle released");
    }

    @Test
    void aioDirectStressOnOneSharedFile() throws Exception {
        FuseTestSupport.assumeCanMount();
        assumeTrue(FuseTestSupport.onPath("fio"), "fio missing");
        InMemoryFilesystem fs = new InMemoryFilesystem();
        Path mnt = tmp.resolve("mnt");
        MountSession session = mount(fs, mnt);
        try {
            String shared = mnt.resolve("shared").toString();
            // Writers own disjoint 8 MiB regions of one file (so crc32c verify holds) while a
            // buffered reader reads all of it: generic/113's mix of aio-dio and buffered I/O.
            runChecked(List.of("fio", "--output-format=terse",
                    "--name=writers", "--filename=" + shared, "--ioengine=libaio",
                    "--direct=1", "--rw=randwrite", "--bssplit=4k/40:64k/40:128k/20",
                    "--iodepth=8", "--numjobs=4", "--size=8M", "--offset_increment=8M",
                    "--verify=crc32c", "--verify_fatal=1", "--do_verify=1",
                    "--name=reader", "--filename=" + shared, "--ioengine=psync",
                    "--direct=0", "--rw=read", "--bs=64k", "--size=32M", "--loops=3"),
                    mnt);
            assertEquals(32L << 20, Files.size(mnt.resolve("shared")));
            assertEquals(0, session.adapter().internalErrorCount());
        } finally {
            unmount(session);
        }
    }
}
