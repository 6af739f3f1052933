package io.keelfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * generic/113-style stress over a real keelfs image: fio with libaio and O_DIRECT, four
 * writer jobs on one shared file (each owns an 8 MiB region so crc32c verification holds),
 * mixed block sizes, verification while writing (verify_backlog) and after, for a bounded
 * time, plus a buffered reader and an aio O_DIRECT reader of the whole file at the same
 * time; then unmount and fsck clean, remount and read it all back. Skipped without FUSE or
 * fio. Not covered: a crash during the run (FuseKeelfsKillTest).
 */
class FuseKeelfsAioStressTest {
    private static final int RUNTIME_SECONDS = 12;

    @TempDir
    Path tmp;
    private Path mnt;

    @AfterEach
    void tearDown() throws Exception {
        FuseKeelfsSupport.forceUnmount(mnt);
    }

    @Test
    void aioDirectStressOnOneSharedFileThenFsckClean() throws Exception {
        FuseKeelfsSupport.assumeCanMount(tmp);
        assumeTrue(FuseKeelfsSupport.onPath("fio"), "fio missing");
        Path image = FuseKeelfsSupport.mkfs(tmp.resolve("img"), "512M");
        mnt = tmp.resolve("mnt");
        ServedMount served = FuseKeelfsSupport.mountInThread(image, mnt);
        String shared = mnt.resolve("shared").toString();
        String rt = Integer.toString(RUNTIME_SECONDS);
        // fio leaves verify-state files in its working directory: tmp, not the source tree.
        FuseKeelfsSupport.runChecked(List.of("fio", "--output-format=terse",
                "--name=writers", "--filename=" + shared, "--ioengine=libaio", "--direct=1",
                "--rw=randwrite", "--bssplit=4k/30:16k/20:64k/30:128k/20", "--iodepth=16",
                "--numjobs=4", "--size=8M", "--offset_increment=8M", "--time_based",
                "--runtime=" + rt, "--verify=crc32c", "--verify_backlog=256",
                "--verify_fatal=1", "--do_verify=1",
                "--name=bufreader", "--filename=" + shared, "--ioengine=psync", "--direct=0",
                "--rw=randread", "--bs=64k", "--size=32M", "--time_based", "--runtime=" + rt,
                "--name=aioreader", "--filename=" + shared, "--ioengine=libaio", "--direct=1",
                "--rw=randread", "--bs=32k", "--iodepth=8", "--size=32M", "--time_based",
                "--runtime=" + rt),
                tmp, Map.of(), Duration.ofSeconds(RUNTIME_SECONDS + 120));
        assertEquals(32L << 20, Files.size(mnt.resolve("shared")));
        byte[] before = Files.readAllBytes(mnt.resolve("shared"));
        served.unmount();
        FuseKeelfsSupport.assertFsckClean(image);

        ServedMount again = FuseKeelfsSupport.mountInThread(image, mnt);
        byte[] after = Files.readAllBytes(mnt.resolve("shared"));
        assertEquals(before.length, after.length);
        assertEquals(java.util.Arrays.hashCode(before), java.util.Arrays.hashCode(after),
                "contents changed across unmount/remount");
        again.unmount();
        FuseKeelfsSupport.assertFsckClean(image);
    }
}
