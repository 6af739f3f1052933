package io.keelfs.fsck;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keelfs.block.FileBlockDevice;
import io.keelfs.engine.Mkfs;
import io.keelfs.fs.Caller;
import io.keelfs.fs.KeelFilesystem;
import io.keelfs.fs.KeelImage;
import io.keelfs.fs.OpenFlags;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Benchmark (off unless {@code -Dfsck.bench.files=N}): N small files (100 bytes, 1000 per
 * directory) in a keelfs image; times {@code fsck -n} in this JVM (warm after the first run)
 * and prints fsck's peak heap. The comparison with {@code e2fsck -fn}, with the CLI in a fresh
 * JVM as a user runs it, is bench/fsck-peers.sh. {@code -Dfsck.bench.dir} sets where the
 * image goes (default the temp directory);
 * {@code -Dfsck.bench.runs=N} runs fsck N times (the best wall time is compared; each run's
 * wall and process CPU time are printed: on a loaded machine CPU time is the steadier one);
 * {@code -Dfsck.bench.jfr=FILE} records a profile.
 */
class FsckBenchTest {
    private static final int FILES_PER_DIR = 1000;

    @Test
    void fsckAgainstE2fsck() throws Exception {
        int files = Integer.getInteger("fsck.bench.files", 0);
        Assumptions.assumeTrue(files > 0, "set -Dfsck.bench.files=N to run the benchmark");
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("fsck.bench.dir",
                System.getProperty("java.io.tmpdir"))), "fsck-bench-");
        Path image = dir.resolve("keel.img");
        long sizeBytes = Math.max(1L << 30, (long) files * 16 * 1024);
        byte[] data = new byte[100];
        long t0 = System.nanoTime();
        try (FileBlockDevice dev = FileBlockDevice.create(image, sizeBytes, 4096)) {
            KeelImage.format(dev, new Mkfs.Options(4096, 1 << 20, 64 << 10, "bench"));
            try (KeelFilesystem fs = KeelImage.open(dev, CorpusImage.options())) {
                for (int i = 0; i < files; i++) {
                    if (i % FILES_PER_DIR == 0) {
                        fs.mkdir("/d" + i / FILES_PER_DIR, 0755, Caller.ROOT);
                    }
                    long h = fs.create("/d" + i / FILES_PER_DIR + "/f" + i, 0644,
                            OpenFlags.O_RDWR, Caller.ROOT);
                    fs.write(h, 0, ByteBuffer.wrap(data));
                    fs.release(h);
                }
            }
        }
        double populateS = (System.nanoTime() - t0) / 1e9;
        System.gc();
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            p.resetPeakUsage();
        }
        String jfr = System.getProperty("fsck.bench.jfr");
        jdk.jfr.Recording recording = null;
        if (jfr != null) {
            recording = new jdk.jfr.Recording();
            recording.enable("jdk.ExecutionSample").withPeriod(java.time.Duration.ofMillis(2));
            recording.enable("jdk.NativeMethodSample").withPeriod(java.time.Duration.ofMillis(2));
            recording.enable("jdk.GarbageCollection");
            recording.start();
        }
        int runs = Integer.getInteger("fsck.bench.runs", 1);
        FsckReport r = null;
        double keelS = Double.MAX_VALUE;
        for (int run = 1; run <= runs; run++) {
            long cpu0 = processCpuNanos();
            long threadCpu0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
            long t1 = System.nanoTime();
            try (FileBlockDevice dev = FileBlockDevice.open(image, 4096, true)) {
                r = Fsck.run(dev, new FsckOptions(false, true, true, false), line -> {
                    if (line.endsWith(" ms") || line.startsWith("open: replayed")) {
                        System.out.println(line);
                    }
                });
            }
            double s = (System.nanoTime() - t1) / 1e9;
            System.out.printf("keelfs: fsck -n run %d: %.2f s wall, %.2f s cpu (process),"
                    + " %.2f s cpu (fsck thread)%n", run, s, (processCpuNanos() - cpu0) / 1e9,
                    (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - threadCpu0)
                            / 1e9);
            keelS = Math.min(keelS, s);
        }
        if (recording != null) {
            recording.stop();
            recording.dump(Path.of(jfr));
            recording.close();
        }
        long peak = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                peak += p.getPeakUsage().getUsed();
            }
        }
        assertEquals(FsckExit.CLEAN, r.exitCode());
        System.out.printf("keelfs: populate %d files %.1f s; fsck -n %.2f s, peak heap %d MiB;"
                + " %s%n", files, populateS, keelS, peak >> 20, r.summary("keel.img", keelS));
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** CPU time of this JVM, all threads (GC and JIT included), or 0 if not known. */
    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : 0;
    }
}
