package io.keelfs.bench;

import io.keelfs.block.FileBlockDevice;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import io.keelfs.error.KeelException;
import io.keelfs.fs.Caller;
import io.keelfs.fs.KeelFilesystem;
import io.keelfs.fs.KeelImage;
import io.keelfs.fs.OpenFlags;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code keelfs bench fs}: the filesystem API in process (no FUSE) on an image file.
 *
 * <p>Entry point: {@link #run}. Each round: (a) sequential write of SIZE into one file in
 * 1 MiB writes then fsync, against the raw {@link FileBlockDevice} writing the same bytes in
 * 1 MiB writes then flush, in alternating order; the page cache is dropped (root only) and the
 * filesystem remounted (its own caches cold) before each side reads its file back in 1 MiB
 * reads, every chunk's stamp checked; (b) FILES creates (create + release), then as many stats
 * (getattr), then as many unlinks in one directory. The table shows the median of the rounds:
 * MiB/s per side with the ratio keelfs/raw against {@link #SEQUENTIAL_TARGET_RATIO}, and
 * ops/s against {@link #METADATA_TARGET_OPS}.
 *
 * <p>Not timed: formatting, mounting, unmounting. Files go in {@link Config#dir()} or a fresh
 * directory under ./.bench/, deleted after every round.
 *
 * <p>Not thread-safe; one run per instance.
 */
public final class FsBench {
    public static final int CHUNK_BYTES = 1 << 20;
    public static final double SEQUENTIAL_TARGET_RATIO = 0.70;
    public static final double METADATA_TARGET_OPS = 50_000;
    public static final int ROUNDS_MAX = 100;
    public static final int FILES_MAX = 10_000_000;
    private static final double MIB = 1024.0 * 1024.0;
    /** Image = data + 1/16 for btree nodes, reserve and slack + 256 MiB for journal etc. */
    static final long IMAGE_OVERHEAD_BYTES = 256L << 20;
    /** The metadata image: sparse, big enough for FILES_MAX small inodes' btree nodes. */
    static final long METADATA_IMAGE_BYTES = 4L << 30;

    /** What to run; checked by the command before it gets here. */
    public record Config(Path dir, long sizeBytes, int files, int rounds, boolean dropCaches) {
        public Config {
            if (sizeBytes <= 0 || sizeBytes % CHUNK_BYTES != 0) {
                throw new IllegalArgumentException(
                        "size " + sizeBytes + " bytes is not a positive multiple of 1 MiB");
            }
            if (files < 1 || files > FILES_MAX) {
                throw new IllegalArgumentException(
                        "files " + files + " not in [1, " + FILES_MAX + "]");
            }
            if (rounds < 1 || rounds > ROUNDS_MAX) {
                throw new IllegalArgumentException(
                        "rounds " + rounds + " not in [1, " + ROUNDS_MAX + "]");
            }
        }
    }

    /** A sequential line: medians per side (MiB/s). */
    public record SequentialLine(String workload, double keelfsMibPerSec, double rawMibPerSec) {
        public double ratio() {
            return keelfsMibPerSec / rawMibPerSec;
        }

        public boolean pass() {
            return ratio() >= SEQUENTIAL_TARGET_RATIO;
        }
    }

    /** A metadata line: median ops/s. */
    public record MetadataLine(String operation, double opsPerSec) {
        public boolean pass() {
            return opsPerSec >= METADATA_TARGET_OPS;
        }
    }

    public record Result(List<SequentialLine> sequential, List<MetadataLine> metadata,
            boolean cacheDropped) {}

    private enum Side { KEELFS, RAW }

    private final Config config;
    private final PrintWriter out;
    private final Progress progress;

    public FsBench(Config config, PrintWriter out, boolean terminal) {
        this.config = config;
        this.out = out;
        this.progress = Progress.create(out, terminal);
    }

    public Result run() throws IOException, KeelException {
        boolean ownDir = config.dir() == null;
        Path dir;
        if (ownDir) {
            Files.createDirectories(BlockdevBench.DEFAULT_PARENT_DIR);
            dir = Files.createTempDirectory(BlockdevBench.DEFAULT_PARENT_DIR, "fs-")
                    .toAbsolutePath();
        } else {
            dir = Files.createDirectories(config.dir()).toAbsolutePath();
        }
        Path image = dir.resolve("keelfs.img");
        Path raw = dir.resolve("raw.img");
        Path meta = dir.resolve("metadata.img");
        for (Path file : List.of(image, raw, meta)) {
            if (Files.exists(file)) {
                throw new IOException(file + " exists; remove it or choose another --dir");
            }
        }
        out.printf(Locale.ROOT, "keelfs bench fs: %s sequential, %,d files, %d rounds, in %s%n",
                humanBytes(config.sizeBytes()), config.files(), config.rounds(), dir);
        out.flush();
        try {
            return runRounds(image, raw, meta);
        } finally {
            for (Path file : List.of(image, raw, meta)) {
                Files.deleteIfExists(file);
            }
            if (ownDir) {
                Files.deleteIfExists(dir);
            }
        }
    }

    private Result runRounds(Path image, Path raw, Path meta)
            throws IOException, KeelException {
        int rounds = config.rounds();
        double[][] write = new double[2][rounds];
        double[][] read = new double[2][rounds];
        double[][] ops = new double[3][rounds];
        boolean dropped = true;
        for (int round = 0; round < rounds; round++) {
            String label = String.format("round %d/%d", round + 1, rounds);
            List<Side> order = round % 2 == 0 ? List.of(Side.RAW, Side.KEELFS)
                    : List.of(Side.KEELFS, Side.RAW);
            for (Side side : order) {
                long nanos = side == Side.RAW ? rawWrite(raw, label) : fsWrite(image, label);
                write[side.ordinal()][round] = mibPerSec(nanos);
                progress.end(String.format(Locale.ROOT, "%s %-6s sequential write: %8.1f MiB/s",
                        label, side.name().toLowerCase(Locale.ROOT), write[side.ordinal()][round]));
            }
            for (Side side : order) {
                dropped &= dropCaches(label);
                long nanos = side == Side.RAW ? rawRead(raw, label) : fsRead(image, label);
                read[side.ordinal()][round] = mibPerSec(nanos);
                progress.end(String.format(Locale.ROOT, "%s %-6s sequential read:  %8.1f MiB/s",
                        label, side.name().toLowerCase(Locale.ROOT), read[side.ordinal()][round]));
            }
            Files.deleteIfExists(image);
            Files.deleteIfExists(raw);
            double[] m = metadata(meta, label);
            for (int i = 0; i < 3; i++) {
                ops[i][round] = m[i];
            }
            Files.deleteIfExists(meta);
        }
        int k = Side.KEELFS.ordinal();
        int r = Side.RAW.ordinal();
        Result result = new Result(List.of(
                new SequentialLine("sequential write 1 MiB + fsync", Median.of(write[k]),
                        Median.of(write[r])),
                new SequentialLine("sequential read 1 MiB, cold", Median.of(read[k]),
                        Median.of(read[r]))),
                List.of(new MetadataLine("create", Median.of(ops[0])),
                        new MetadataLine("stat", Median.of(ops[1])),
                        new MetadataLine("unlink", Median.of(ops[2]))),
                dropped);
        printTable(result);
        return result;
    }

    private double mibPerSec(long nanos) {
        return config.sizeBytes() / MIB / (nanos / 1e9);
    }

    /** Chunk {@code i}: its index in the first 8 bytes of every 4 KiB, the rest a pattern. */
    private static ByteBuffer chunk(ByteBuffer buf, long i) {
        buf.clear();
        for (int at = 0; at < CHUNK_BYTES; at += 4096) {
            buf.putLong(at, i);
        }
        return buf;
    }

    private static void checkChunk(ByteBuffer buf, long i, String what) throws IOException {
        for (int at = 0; at < CHUNK_BYTES; at += 4096) {
            if (buf.getLong(at) != i) {
                throw new IOException(String.format("%s: chunk %d at +%d holds %d", what, i, at,
                        buf.getLong(at)));
            }
        }
    }

    private static ByteBuffer patterned() {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES);
        for (int at = 0; at < CHUNK_BYTES; at++) {
            buf.put(at, (byte) (at * 31 + 7));
        }
        return buf;
    }

    private long rawWrite(Path raw, String label) throws IOException {
        long chunks = config.sizeBytes() / CHUNK_BYTES;
        ByteBuffer buf = patterned();
        try (FileBlockDevice dev = FileBlockDevice.create(raw, config.sizeBytes(), 4096)) {
            progress.begin(label + " raw    write", chunks);
            long start = System.nanoTime();
            for (long i = 0; i < chunks; i++) {
                dev.write(i * CHUNK_BYTES, chunk(buf, i), false);
                progress.update(i + 1);
            }
            dev.flush();
            return System.nanoTime() - start;
        }
    }

    private long rawRead(Path raw, String label) throws IOException {
        long chunks = config.sizeBytes() / CHUNK_BYTES;
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES);
        try (FileBlockDevice dev = FileBlockDevice.open(raw, 4096, true)) {
            progress.begin(label + " raw    read", chunks);
            long start = System.nanoTime();
            for (long i = 0; i < chunks; i++) {
                buf.clear();
                dev.read(i * CHUNK_BYTES, buf);
                checkChunk(buf, i, "raw read");
                progress.update(i + 1);
            }
            return System.nanoTime() - start;
        }
    }

    private static KeelImage.Options mountOptions() {
        return KeelImage.Options.defaults().withEngine(EngineOptions.defaults());
    }

    private long fsWrite(Path image, String label) throws IOException, KeelException {
        long chunks = config.sizeBytes() / CHUNK_BYTES;
        long imageBytes = config.sizeBytes() + config.sizeBytes() / 16 + IMAGE_OVERHEAD_BYTES;
        ByteBuffer buf = patterned();
        try (FileBlockDevice dev = FileBlockDevice.create(image, imageBytes, 4096)) {
            KeelImage.format(dev, Mkfs.Options.defaults());
            try (KeelFilesystem fs = KeelImage.open(dev, mountOptions())) {
                long h = fs.create("/big", 0644, OpenFlags.O_RDWR, Caller.ROOT);
                progress.begin(label + " keelfs write", chunks);
                long start = System.nanoTime();
                for (long i = 0; i < chunks; i++) {
                    fs.write(h, i * CHUNK_BYTES, chunk(buf, i));
                    progress.update(i + 1);
                }
                fs.fsync(h, false);
                long nanos = System.nanoTime() - start;
                fs.release(h);
                return nanos;
            }
        }
    }

    private long fsRead(Path image, String label) throws IOException, KeelException {
        long chunks = config.sizeBytes() / CHUNK_BYTES;
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES);
        try (FileBlockDevice dev = FileBlockDevice.open(image, 4096, false);
                KeelFilesystem fs = KeelImage.open(dev, mountOptions())) {
            long h = fs.open("/big", OpenFlags.O_RDONLY);
            progress.begin(label + " keelfs read", chunks);
            long start = System.nanoTime();
            for (long i = 0; i < chunks; i++) {
                buf.clear();
                while (buf.hasRemaining()) {
                    int n = fs.read(h, i * CHUNK_BYTES + buf.position(), buf);
                    if (n <= 0) {
                        throw new IOException("short read of chunk " + i + ": " + n);
                    }
                }
                checkChunk(buf, i, "keelfs read");
                progress.update(i + 1);
            }
            long nanos = System.nanoTime() - start;
            fs.release(h);
            return nanos;
        }
    }

    /** Creates, stats and unlinks FILES files in /d; returns ops/s of each phase. */
    private double[] metadata(Path meta, String label) throws IOException, KeelException {
        int n = config.files();
        double[] opsPerSec = new double[3];
        try (FileBlockDevice dev = FileBlockDevice.create(meta, METADATA_IMAGE_BYTES, 4096)) {
            KeelImage.format(dev, Mkfs.Options.defaults());
            try (KeelFilesystem fs = KeelImage.open(dev, mountOptions())) {
                fs.mkdir("/d", 0755, Caller.ROOT);
                String[] names = new String[n];
                for (int i = 0; i < n; i++) {
                    names[i] = "/d/file-" + i;
                }
                String[] phases = {"create", "stat", "unlink"};
                for (int p = 0; p < 3; p++) {
                    progress.begin(label + " " + phases[p], n);
                    long start = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        switch (p) {
                            case 0 -> fs.release(fs.create(names[i], 0644, OpenFlags.O_RDWR,
                                    Caller.ROOT));
                            case 1 -> fs.getattr(names[i]);
                            default -> fs.unlink(names[i]);
                        }
                        if ((i & 1023) == 0) {
                            progress.update(i);
                        }
                    }
                    long nanos = System.nanoTime() - start;
                    opsPerSec[p] = n / (nanos / 1e9);
                    progress.end(String.format(Locale.ROOT, "%s %-6s %,12.0f ops/s", label,
                            phases[p], opsPerSec[p]));
                }
            }
        }
        return opsPerSec;
    }

    private boolean dropCaches(String label) {
        if (!config.dropCaches()) {
            return false;
        }
        PageCache.DropResult r = PageCache.drop();
        if (!r.dropped()) {
            progress.log(label + " page cache not dropped: " + r.detail()
                    + "; reads may come from memory");
        }
        return r.dropped();
    }

    private void printTable(Result result) {
        ResultTable table = new ResultTable("workload", "keelfs", "raw", "unit", "ratio",
                "target", "verdict");
        for (SequentialLine l : result.sequential()) {
            table.addRow(l.workload(), String.format(Locale.ROOT, "%.1f", l.keelfsMibPerSec()),
                    String.format(Locale.ROOT, "%.1f", l.rawMibPerSec()), "MiB/s",
                    String.format(Locale.ROOT, "%.2f", l.ratio()),
                    String.format(Locale.ROOT, ">= %.2f", SEQUENTIAL_TARGET_RATIO),
                    l.pass() ? "PASS" : "MISS");
        }
        for (MetadataLine l : result.metadata()) {
            table.addRow(l.operation() + " (" + String.format(Locale.ROOT, "%,d", config.files())
                    + " files, one dir)", String.format(Locale.ROOT, "%.0f", l.opsPerSec()), "-",
                    "ops/s", "-", String.format(Locale.ROOT, ">= %.0f", METADATA_TARGET_OPS),
                    l.pass() ? "PASS" : "MISS");
        }
        out.println();
        table.print(out);
        if (!result.cacheDropped()) {
            out.println("note: the page cache was not dropped before every read;"
                    + " read figures may come from memory");
        }
        out.flush();
    }

    private static String humanBytes(long bytes) {
        return bytes % (1L << 30) == 0 ? bytes / (1L << 30) + " GiB"
                : bytes / (1L << 20) + " MiB";
    }
}
