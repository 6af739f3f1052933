package io.keelfs.bench;

import io.keelfs.bench.BlockdevWorkload.Side;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code keelfs bench blockdev}: FileBlockDevice against a raw FileChannel doing the same work.
 *
 * <p>Entry point: {@link #run}. Each round runs every workload four times in the order A B B A
 * ({@link #runOrder}): a new file per run written with 1 MiB sequential writes and a flush; then
 * the same random 4 KiB offsets read from each side's file, with the page cache dropped before
 * each pair of reads (root only; otherwise it says so). A side's figure for a round covers its
 * two runs. The table shows the median of the rounds per side and the ratio keelfs/raw of those
 * medians against {@link #TARGET_RATIO}.
 *
 * <p>Files go in {@link Config#dir()}, or in a fresh directory under ./.bench/ that is removed
 * afterwards; the files are deleted after every round, and on exit if the run is interrupted.
 *
 * <p>Not thread-safe; one run per instance.
 */
public final class BlockdevBench {
    public static final int WRITE_CHUNK_BYTES = BlockdevWorkload.WRITE_CHUNK_BYTES;
    /** 100 rounds of the default 1 GiB is already hours; more is a typo. */
    public static final int ROUNDS_MAX = 100;
    /** The offsets are held in memory: 10M reads are 80 MB of longs. */
    public static final int READS_MAX = 10_000_000;
    /** keelfs must reach this fraction of the raw figure on every line. */
    public static final double TARGET_RATIO = 0.90;
    static final Path DEFAULT_PARENT_DIR = Path.of(".bench");
    static final long SEED = 0x6b65656c66734cL;
    private static final double MIB = 1024.0 * 1024.0;
    /**
     * Untimed warm-up per side before round 1, so that neither side pays for JIT compilation of
     * the shared I/O path: 16 writes and 20,000 reads are past the JIT's compile thresholds.
     */
    static final long WARM_UP_SIZE_BYTES = 16L * WRITE_CHUNK_BYTES;
    static final int WARM_UP_READ_COUNT = 20_000;

    /** What to run; checked by the command before it gets here. */
    public record Config(Path dir, long sizeBytes, int rounds, int readCount, boolean dropCaches) {
        public Config {
            if (sizeBytes <= 0 || sizeBytes % WRITE_CHUNK_BYTES != 0) {
                throw new IllegalArgumentException(
                        "size " + sizeBytes + " bytes is not a positive multiple of 1 MiB");
            }
            if (rounds < 1 || rounds > ROUNDS_MAX) {
                throw new IllegalArgumentException(
                        "rounds " + rounds + " not in [1, " + ROUNDS_MAX + "]");
            }
            if (readCount < 1 || readCount > READS_MAX) {
                throw new IllegalArgumentException(
                        "reads " + readCount + " not in [1, " + READS_MAX + "]");
            }
        }
    }

    /**
     * One table line: medians per side in the line's unit, the verdict, and the lowest and
     * highest ratio seen within one round (how noisy the machine was).
     */
    public record Line(String workload, String unit, double keelfsMedian, double rawMedian,
            double roundRatioMin, double roundRatioMax) {
        static Line of(String workload, String unit, double[] keelfsPerRound,
                double[] rawPerRound) {
            double ratioMin = Double.POSITIVE_INFINITY;
            double ratioMax = Double.NEGATIVE_INFINITY;
            for (int round = 0; round < keelfsPerRound.length; round++) {
                double ratio = keelfsPerRound[round] / rawPerRound[round];
                ratioMin = Math.min(ratioMin, ratio);
                ratioMax = Math.max(ratioMax, ratio);
            }
            return new Line(workload, unit, median(keelfsPerRound), median(rawPerRound),
                    ratioMin, ratioMax);
        }

        public double ratio() {
            return keelfsMedian / rawMedian;
        }

        public boolean pass() {
            return ratio() >= TARGET_RATIO;
        }
    }

    /** What {@link #run} measured; {@code cacheDropped} false means reads may be from memory. */
    public record Result(List<Line> lines, boolean cacheDropped) {}

    private final Config config;
    private final PrintWriter out;
    private final Progress progress;

    public BlockdevBench(Config config, PrintWriter out, boolean terminal) {
        this.config = config;
        this.out = out;
        this.progress = Progress.create(out, terminal);
    }

    public Result run() throws IOException {
        boolean ownDir = config.dir() == null;
        Path dir;
        if (ownDir) {
            Files.createDirectories(DEFAULT_PARENT_DIR);
            dir = Files.createTempDirectory(DEFAULT_PARENT_DIR, "blockdev-").toAbsolutePath();
        } else {
            dir = Files.createDirectories(config.dir()).toAbsolutePath();
        }
        Path keelfsFile = dir.resolve("keelfs.img");
        Path rawFile = dir.resolve("raw.img");
        // Before anything may delete them: files already there are someone else's.
        for (Path file : List.of(keelfsFile, rawFile)) {
            if (Files.exists(file)) {
                throw new IOException(file + " exists; remove it or choose another --dir");
            }
        }
        Thread cleanupOnExit = new Thread(() -> cleanUp(ownDir, dir, keelfsFile, rawFile));
        Runtime.getRuntime().addShutdownHook(cleanupOnExit);
        try {
            checkFreeSpace(dir, keelfsFile, rawFile);
            printHeader(dir, ownDir);
            return runRounds(keelfsFile, rawFile);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running or has run; the files are already being deleted.
            }
            cleanUp(ownDir, dir, keelfsFile, rawFile);
        }
    }

    private Result runRounds(Path keelfsFile, Path rawFile) throws IOException {
        BlockdevWorkload workload = new BlockdevWorkload(SEED);
        double[][] writeMibPerSec = new double[Side.values().length][config.rounds()];
        double[][] readIops = new double[Side.values().length][config.rounds()];
        boolean cacheDroppedEveryRound = true;
        warmUp(workload, keelfsFile, rawFile);
        for (int round = 0; round < config.rounds(); round++) {
            String roundLabel = String.format("round %d/%d", round + 1, config.rounds());
            List<Side> order = runOrder(round);
            long[] writeNanos = new long[Side.values().length];
            for (Side side : order) {
                Path file = side == Side.KEELFS ? keelfsFile : rawFile;
                Files.deleteIfExists(file);
                long nanos = workload.sequentialWrite(
                        side, file, config.sizeBytes(), progress, roundLabel);
                writeNanos[side.ordinal()] += nanos;
                progress.end(String.format(Locale.ROOT, "%s %-6s sequential write: %10.1f MiB/s"
                        + "  (%.2f s)", roundLabel, side.label,
                        config.sizeBytes() / MIB / (nanos / 1e9), nanos / 1e9));
            }
            long[] offsetsBytes = BlockdevWorkload.randomBlockOffsets(
                    config.sizeBytes(), config.readCount(), SEED + round);
            long[] readNanos = new long[Side.values().length];
            for (int run = 0; run < order.size(); run++) {
                if (run % 2 == 0) {
                    // Before each pair: the pair's second file must not be warmed by the first.
                    cacheDroppedEveryRound &= dropCaches(roundLabel, round == 0 && run == 0);
                }
                Side side = order.get(run);
                Path file = side == Side.KEELFS ? keelfsFile : rawFile;
                long nanos = workload.randomRead(side, file, offsetsBytes, progress, roundLabel);
                readNanos[side.ordinal()] += nanos;
                progress.end(String.format(Locale.ROOT, "%s %-6s random read:     %10.0f IOPS"
                        + "   (%.2f s)", roundLabel, side.label,
                        offsetsBytes.length / (nanos / 1e9), nanos / 1e9));
            }
            for (Side side : Side.values()) {
                long runs = order.stream().filter(side::equals).count();
                writeMibPerSec[side.ordinal()][round] =
                        runs * config.sizeBytes() / MIB / (writeNanos[side.ordinal()] / 1e9);
                readIops[side.ordinal()][round] =
                        runs * offsetsBytes.length / (readNanos[side.ordinal()] / 1e9);
            }
            printRoundSummary(roundLabel, writeMibPerSec, readIops, round);
            Files.deleteIfExists(keelfsFile);
            Files.deleteIfExists(rawFile);
        }
        Result result = new Result(List.of(
                Line.of("sequential write 1 MiB + flush", "MiB/s",
                        writeMibPerSec[Side.KEELFS.ordinal()],
                        writeMibPerSec[Side.RAW.ordinal()]),
                Line.of("random read 4 KiB", "IOPS",
                        readIops[Side.KEELFS.ordinal()],
                        readIops[Side.RAW.ordinal()])),
                cacheDroppedEveryRound);
        printTable(result);
        return result;
    }

    private void warmUp(BlockdevWorkload workload, Path keelfsFile, Path rawFile)
            throws IOException {
        long sizeBytes = Math.min(WARM_UP_SIZE_BYTES, config.sizeBytes());
        long[] offsetsBytes =
                BlockdevWorkload.randomBlockOffsets(sizeBytes, WARM_UP_READ_COUNT, SEED - 1);
        for (Side side : runOrder(0)) {
            Path file = side == Side.KEELFS ? keelfsFile : rawFile;
            Files.deleteIfExists(file);
            workload.sequentialWrite(side, file, sizeBytes, Progress.silent(), "warm-up");
            workload.randomRead(side, file, offsetsBytes, Progress.silent(), "warm-up");
        }
        Files.deleteIfExists(keelfsFile);
        Files.deleteIfExists(rawFile);
        progress.log(String.format(Locale.ROOT, "warm-up done (not timed): each side wrote"
                + " %d MiB and read %d blocks, twice", sizeBytes >> 20, WARM_UP_READ_COUNT));
    }

    /**
     * A, B, B, A: each side runs once early and once late in the round, so drift and whatever
     * favours the first or second position (measured here: the first writer after a pause is
     * faster) cancel within the round. Rounds alternate which side is A.
     */
    static List<Side> runOrder(int round) {
        Side first = round % 2 == 0 ? Side.KEELFS : Side.RAW;
        Side second = first == Side.KEELFS ? Side.RAW : Side.KEELFS;
        return List.of(first, second, second, first);
    }

    private void printRoundSummary(
            String roundLabel, double[][] writeMibPerSec, double[][] readIops, int round) {
        progress.log(String.format(Locale.ROOT,
                "%s both runs: write keelfs %.1f raw %.1f MiB/s, read keelfs %.0f raw %.0f IOPS",
                roundLabel,
                writeMibPerSec[Side.KEELFS.ordinal()][round],
                writeMibPerSec[Side.RAW.ordinal()][round],
                readIops[Side.KEELFS.ordinal()][round],
                readIops[Side.RAW.ordinal()][round]));
    }

    /** Drops the page cache if asked to; returns whether it was dropped. */
    private boolean dropCaches(String roundLabel, boolean firstRound) {
        if (!config.dropCaches()) {
            if (firstRound) {
                progress.log("page cache: not dropped (--no-drop-caches);"
                        + " random reads may be served from memory");
            }
            return false;
        }
        PageCache.DropResult drop = PageCache.drop();
        if (drop.dropped()) {
            progress.log(roundLabel + " page cache " + drop.detail());
        } else {
            progress.log(roundLabel + " page cache NOT dropped: " + drop.detail()
                    + "; random reads may be served from memory");
        }
        return drop.dropped();
    }

    private void checkFreeSpace(Path dir, Path... files) throws IOException {
        long neededBytes = config.sizeBytes() * files.length;
        long freeBytes = Files.getFileStore(dir).getUsableSpace();
        if (freeBytes < neededBytes) {
            throw new IOException(String.format(
                    "not enough free space in %s: need %d MiB (2 files of --size), have %d MiB",
                    dir, neededBytes >> 20, freeBytes >> 20));
        }
    }

    private void printHeader(Path dir, boolean ownDir) throws IOException {
        FileStore store = Files.getFileStore(dir);
        out.println("keelfs bench blockdev: FileBlockDevice vs raw FileChannel, same work,"
                + " interleaved");
        out.printf(Locale.ROOT, "  %d MiB per side and round, %d round(s), %d random 4 KiB"
                        + " reads per side and round%n",
                config.sizeBytes() >> 20, config.rounds(), config.readCount());
        out.printf(Locale.ROOT, "  files in %s (%s, %d GiB free)%s%n", dir, store.type(),
                store.getUsableSpace() >> 30, ownDir ? ", removed afterwards" : "");
        out.println("  each round runs A B B A (A alternates: keelfs, then raw); a side's round"
                + " figure covers its two runs");
        out.println("  timed: the writes and their flush; the reads."
                + " Not timed: create, open, close.");
        out.flush();
    }

    private void printTable(Result result) {
        ResultTable table = new ResultTable(
                "workload", "keelfs", "raw", "ratio", "round ratios", "target", "result");
        for (Line line : result.lines()) {
            String format = line.unit().equals("IOPS") ? "%,.0f %s" : "%,.1f %s";
            table.addRow(
                    line.workload(),
                    String.format(Locale.ROOT, format, line.keelfsMedian(), line.unit()),
                    String.format(Locale.ROOT, format, line.rawMedian(), line.unit()),
                    String.format(Locale.ROOT, "%.3f", line.ratio()),
                    String.format(Locale.ROOT, "%.2f..%.2f",
                            line.roundRatioMin(), line.roundRatioMax()),
                    String.format(Locale.ROOT, ">= %.2f", TARGET_RATIO),
                    line.pass() ? "PASS" : "MISS");
        }
        out.println();
        out.printf("median of %d round(s); ratio = keelfs / raw of the medians;"
                + " round ratios = lowest..highest within one round%n", config.rounds());
        table.print(out);
        if (!result.cacheDropped()) {
            out.println("note: the page cache was not dropped before every read phase;"
                    + " the read figures may measure memory, not the disk.");
        }
        out.flush();
    }

    static double median(double[] values) {
        return Median.of(values);
    }

    /**
     * Deletes the files, and the directory if this run made it. Safe to call twice. A failure is
     * printed, not thrown, so it cannot hide the exception that ended the run.
     */
    private void cleanUp(boolean ownDir, Path dir, Path... files) {
        try {
            for (Path file : files) {
                Files.deleteIfExists(file);
            }
            BenchDirs.removeIfOwnedAndEmpty(ownDir, dir);
        } catch (IOException e) {
            out.println("warning: could not clean up " + dir + ": " + e);
            out.flush();
        }
    }
}
