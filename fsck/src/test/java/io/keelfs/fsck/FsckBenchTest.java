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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Benchmark (off unless {@code -Dfsck.bench.files=N}): N small files (100 bytes, 1000 per
 * directory) in a keelfs image and the same tree in an ext4 image ({@code mkfs.ext4 -d});
 * times {@code fsck -n} against {@code e2fsck -fn} and prints both, the ratio and fsck's peak
 * heap. {@code -Dfsck.bench.dir} sets where the images go (default the temp directory);
 * {@code -Dfsck.bench.runs=N} runs fsck N times (the best wall time is compared; each run's
 * wall and process CPU time are printed: on a loaded machine CPU time is the steadier one);
 * {@code -Dfsck.bench.jfr=FILE} records a profile; {@code -Dfsck.bench.ext4=false} skips ext4.
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
        double extS = Boolean.parseBoolean(System.getProperty("fsck.bench.ext4", "true"))
                ? ext4(dir, files, data) : -1;
        if (extS > 0) {
            System.out.printf("ext4: e2fsck -fn %.2f s; ratio keelfs/e2fsck %.2f%n", extS,
                    keelS / extS);
        }
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

    /** e2fsck -fn time of an ext4 image made from the same tree, or -1 without e2fsprogs. */
    private static double ext4(Path dir, int files, byte[] data) throws Exception {
        Path tree = dir.resolve("tree");
        Files.createDirectory(tree);
        for (int i = 0; i < files; i++) {
            Path d = tree.resolve("d" + i / FILES_PER_DIR);
            if (i % FILES_PER_DIR == 0) {
                Files.createDirectory(d);
            }
            Files.write(d.resolve("f" + i), data);
        }
        Path image = dir.resolve("ext4.img");
        long sizeMiB = Math.max(256, (long) files * 8 / 1024);
        if (run("mkfs.ext4", "-q", "-F", "-N", String.valueOf(files + 4096), "-d",
                tree.toString(), image.toString(), sizeMiB + "M") != 0) {
            System.out.println("ext4: mkfs.ext4 -d failed (e2fsprogs missing?)");
            return -1;
        }
        long t = System.nanoTime();
        int exit = run("e2fsck", "-fn", image.toString());
        double s = (System.nanoTime() - t) / 1e9;
        if (exit != 0) {
            System.out.println("ext4: e2fsck -fn exit " + exit);
            return -1;
        }
        return s;
    }

    private static int run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(30, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
