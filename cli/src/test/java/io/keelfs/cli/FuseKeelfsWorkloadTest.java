package io.keelfs.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keelfs.cli.FuseKeelfsSupport.ServedMount;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end over a real keelfs image: mkfs, mount (the {@code keelfs mount -f} code path,
 * served in a thread), the shell workload of e2e-workload.sh (cp -a of /usr/share/doc and
 * diff -r, hard and symbolic links, mv, chmod, truncate, ns times, setfattr/getfattr, dd with
 * O_DIRECT, fallocate punch, rm -rf), unmount, fsck clean, remount, the same checks again,
 * removal of everything, unmount and fsck clean again. Skipped where FUSE, bash, attr's
 * tools or /usr/share/doc are missing. Not covered here: concurrency (the fio test), crashes
 * (the kill test).
 */
class FuseKeelfsWorkloadTest {
    private static final Duration PHASE_MAX = Duration.ofMinutes(3);

    @TempDir
    Path tmp;
    private Path mnt;

    @AfterEach
    void tearDown() throws Exception {
        FuseKeelfsSupport.forceUnmount(mnt);
    }

    private void phase(Path script, String name) throws Exception {
        String out = FuseKeelfsSupport.runChecked(List.of("bash", script.toString(), name), tmp,
                Map.of("MNT", mnt.toString()), PHASE_MAX);
        assertTrue(out.contains("phase-" + name + "-ok"), out);
    }

    @Test
    void shellWorkloadSurvivesUnmountFsckAndRemount() throws Exception {
        FuseKeelfsSupport.assumeCanMount(tmp);
        assumeTrue(FuseKeelfsSupport.onPath("bash") && FuseKeelfsSupport.onPath("setfattr")
                && Files.isDirectory(Path.of("/usr/share/doc")), "bash, attr or docs missing");
        Path image = FuseKeelfsSupport.mkfs(tmp.resolve("img"), "512M");
        Path script = FuseKeelfsSupport.script(tmp, "e2e-workload.sh");
        mnt = tmp.resolve("mnt");

        ServedMount first = FuseKeelfsSupport.mountInThread(image, mnt);
        phase(script, "populate");
        first.unmount();
        FuseKeelfsSupport.assertFsckClean(image);

        ServedMount second = FuseKeelfsSupport.mountInThread(image, mnt);
        phase(script, "verify");
        phase(script, "remove");
        second.unmount();
        FuseKeelfsSupport.assertFsckClean(image);
    }
}
