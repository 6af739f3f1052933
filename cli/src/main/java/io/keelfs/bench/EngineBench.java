package io.keelfs.bench;

import io.keelfs.engine.Durability;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import io.keelfs.error.KeelException;
import io.keelfs.format.Geometry;
import io.keelfs.journal.JournalWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code keelfs bench engine}: the storage engine against LMDB doing the same work in the same
 * run (issue 3).
 *
 * <p>Entry point: {@link #run}. The same {@link BenchKeys} go into a fresh store per run:
 * <ol>
 *   <li>unflushed: keelfs {@link Durability#NO_FLUSH} commits against LMDB with MDB_NOSYNC;
 *       then (keelfs) a checkpoint and the heap in use after GC; then every key looked up in
 *       random order and every key scanned, on that warm store;
 *   <li>flushed, one thread: {@link Durability#FLUSH} per batch against LMDB synced per
 *       transaction (DESIGN.md section 8: compare like for like);
 *   <li>flushed, {@link Config#threads} committer threads and twice as many (keelfs only: its
 *       group commit lets them share journal flushes); LMDB serialises writers, so its lines
 *       reuse LMDB's single-writer figure of the same round, its best case.
 * </ol>
 * Each phase runs A B with A alternating per round ({@link #runOrder}); the table shows the
 * median of the rounds per side, the ratio keelfs/lmdb and keelfs's figure against its target.
 *
 * <p>Files (keelfs.img, lmdb/) go in {@link Config#dir()}, or in a fresh directory under
 * ./.bench/ that is removed afterwards; they are deleted after every run, and on exit if the
 * run is interrupted.
 *
 * <p>Not thread-safe; one run per instance.
 */
public final class EngineBench {
    public static final int ROUNDS_MAX = 100;
    public static final int KEYS_MAX = BenchKeys.COUNT_MAX;
    /**
     * A batch is one journal entry, which must fit in one 1 MiB journal bucket: a key record
     * is about 90 bytes (20 pos + 3 header + 64 value + record header), 10,000 keys ~ 900 KB.
     */
    public static final int BATCH_MAX = 10_000;
    public static final int THREADS_MAX = KeyPhases.THREADS_MAX;
    public static final int LOOKUPS_PER_READ = KeyPhases.LOOKUPS_PER_READ;
    public static final int BUCKET_SIZE_BYTES = 1 << 20;
    /**
     * 64 KiB, not mkfs's 256 KiB: a checkpoint rewrites every dirty node whole (copy-on-write),
     * so with random keys a small node means fewer bytes written per changed key.
     */
    public static final int NODE_SIZE_BYTES_DEFAULT = 64 << 10;
    /** Issue 3's targets for keelfs's own figures. */
    public static final double INSERT_KEYS_PER_SEC_MIN = 300_000;
    public static final double LOOKUPS_PER_SEC_MIN = 1_000_000;
    public static final double SCAN_KEYS_PER_SEC_MIN = 5_000_000;
    public static final long HEAP_BYTES_MAX = 256L << 20;
    static final Path DEFAULT_PARENT_DIR = Path.of(".bench");
    static final long SEED = 0x6b65656c656e67L;
    /** Untimed warm-up per side before round 1, past the JIT's compile thresholds. */
    static final int WARM_UP_KEYS_MAX = 50_000;
    static final String IMAGE_NAME = "keelfs.img";
    static final String LMDB_DIR_NAME = "lmdb";
    private static final List<String> LMDB_FILE_NAMES = List.of("data.mdb", "lock.mdb");
    private static final double MIB = 1024.0 * 1024.0;

    static {
        if (BUCKET_SIZE_BYTES % NODE_SIZE_BYTES_DEFAULT != 0) {
            throw new ExceptionInInitializerError("default node size must divide the bucket");
        }
    }

    /** What to run; checked by the command before it gets here, and again here. */
    public record Config(Path dir, int keyCount, int batchKeys, int rounds, long imageSizeBytes,
            int nodeSizeBytes, int threads, long nodeCacheBytesMax) {
        public Config {
            check(keyCount >= 1 && keyCount <= KEYS_MAX, "keys %d not in [1, %d]",
                    keyCount, KEYS_MAX);
            check(batchKeys >= 1 && batchKeys <= BATCH_MAX, "batch %d not in [1, %d]",
                    batchKeys, BATCH_MAX);
            check(rounds >= 1 && rounds <= ROUNDS_MAX, "rounds %d not in [1, %d]",
                    rounds, ROUNDS_MAX);
            check(threads >= 1 && threads <= THREADS_MAX, "threads %d not in [1, %d]",
                    threads, THREADS_MAX);
            check(nodeCacheBytesMax >= 0, "node cache %d bytes is negative", nodeCacheBytesMax);
            // Throws IllegalArgumentException naming the minimum size or the bad node size.
            Geometry.forDevice(imageSizeBytes, Geometry.BLOCK_SIZE_BYTES_DEFAULT,
                    BUCKET_SIZE_BYTES, nodeSizeBytes);
        }

        public static Config defaults(Path dir, int keyCount) {
            return new Config(dir, keyCount, 100, 1, 4L << 30, NODE_SIZE_BYTES_DEFAULT, 4,
                    EngineOptions.NODE_CACHE_BYTES_DEFAULT);
        }

        private static void check(boolean ok, String format, Object... args) {
            if (!ok) {
                throw new IllegalArgumentException(String.format(format, args));
            }
        }
    }

    /** Which store does the work. */
    public enum Side {
        KEELFS("keelfs"),
        LMDB("lmdb");

        final String label;

        Side(String label) {
            this.label = label;
        }
    }

    /** A bound on keelfs's own figure: at least (throughput) or at most (heap). */
    public record Target(double bound, boolean atMost) {
        boolean met(double figure) {
            return atMost ? figure <= bound : figure >= bound;
        }
    }

    /** The table's lines, in order; {@code target} null means none is set for it. */
    enum Workload {
        INSERT_FLUSHED("insert, flushed, 1 thread", "keys/s",
                new Target(INSERT_KEYS_PER_SEC_MIN, false)),
        INSERT_FLUSHED_THREADS("insert, flushed, %d threads", "keys/s",
                new Target(INSERT_KEYS_PER_SEC_MIN, false)),
        /**
         * Twice {@link Config#threads}: one journal flush is in flight at a time, and the
         * committers released by one flush commit into the entry after the next, so a flush
         * covers about half of the committers; more threads show what group commit gives.
         */
        INSERT_FLUSHED_MORE_THREADS("insert, flushed, %d threads", "keys/s",
                new Target(INSERT_KEYS_PER_SEC_MIN, false)),
        INSERT_UNFLUSHED("insert, unflushed, 1 thread", "keys/s", null),
        LOOKUP("point lookup, random order", "lookups/s",
                new Target(LOOKUPS_PER_SEC_MIN, false)),
        SCAN("range scan, all keys", "keys/s", new Target(SCAN_KEYS_PER_SEC_MIN, false)),
        HEAP("heap after insert + checkpoint", "MiB", new Target(HEAP_BYTES_MAX / MIB, true));

        final String label;
        final String unit;
        final Target target;

        Workload(String label, String unit, Target target) {
            this.label = label;
            this.unit = unit;
            this.target = target;
        }
    }

    /**
     * One table line: medians per side in the line's unit ({@code lmdbMedian} NaN when LMDB
     * has no comparable figure), the lowest and highest keelfs/lmdb ratio within one round, and
     * keelfs's target (null: none).
     */
    public record Line(String workload, String unit, double keelfsMedian, double lmdbMedian,
            double roundRatioMin, double roundRatioMax, Target target) {
        public double ratio() {
            return keelfsMedian / lmdbMedian;
        }

        /** True or false against the target; null when the line has none. */
        public Boolean pass() {
            return target == null ? null : target.met(keelfsMedian);
        }
    }

    /**
     * What {@link #run} measured; heap figures are medians over rounds, in bytes: the engine's
     * share (heap after minus heap before opening it) is {@link Workload#HEAP}'s line, the whole
     * JVM's heap in use is {@code jvmHeapUsedBytes}.
     */
    public record Result(List<Line> lines, long jvmHeapUsedBytes) {}

    private final Config config;
    private final PrintWriter out;
    private final Progress progress;
    private final Path defaultParentDir;
    private Path imagePath;
    private Path lmdbDir;

    public EngineBench(Config config, PrintWriter out, boolean terminal) {
        this(config, out, terminal, DEFAULT_PARENT_DIR);
    }

    /** With another parent for the default directory: tests check it is left empty. */
    EngineBench(Config config, PrintWriter out, boolean terminal, Path defaultParentDir) {
        this.config = config;
        this.out = out;
        this.progress = Progress.create(out, terminal);
        this.defaultParentDir = defaultParentDir;
    }

    public Result run() throws IOException, KeelException, InterruptedException {
        boolean ownDir = config.dir() == null;
        Path dir;
        if (ownDir) {
            Files.createDirectories(defaultParentDir);
            dir = Files.createTempDirectory(defaultParentDir, "engine-").toAbsolutePath();
        } else {
            dir = Files.createDirectories(config.dir()).toAbsolutePath();
        }
        imagePath = dir.resolve(IMAGE_NAME);
        lmdbDir = dir.resolve(LMDB_DIR_NAME);
        // Before anything may delete them: files already there are someone else's.
        for (Path path : List.of(imagePath, lmdbDir)) {
            if (Files.exists(path)) {
                throw new IOException(path + " exists; remove it or choose another --dir");
            }
        }
        Thread cleanupOnExit = new Thread(() -> cleanUp(ownDir, dir));
        Runtime.getRuntime().addShutdownHook(cleanupOnExit);
        try {
            checkFreeSpace(dir);
            EngineBenchReport.printHeader(out, config, dir, ownDir);
            Result result = runRounds();
            EngineBenchReport.printTable(out, config, result);
            return result;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running or has run; the files are already being deleted.
            }
            cleanUp(ownDir, dir);
        }
    }

    private Result runRounds() throws IOException, KeelException, InterruptedException {
        BenchKeys keys = BenchKeys.random(config.keyCount(), SEED);
        warmUp();
        Figures figures = new Figures(config.rounds());
        KeyPhases phases = new KeyPhases(keys, config.batchKeys(), progress);
        for (int round = 0; round < config.rounds(); round++) {
            String roundLabel = String.format("round %d/%d", round + 1, config.rounds());
            int[] lookupOrder = keys.shuffledOrder(SEED + round);
            for (Side side : runOrder(round)) {
                runUnflushed(side, phases, lookupOrder, figures, round, roundLabel);
            }
            for (Side side : runOrder(round)) {
                runFlushed(side, 1, Workload.INSERT_FLUSHED, phases, figures, round,
                        roundLabel);
            }
            if (config.threads() > 1) {
                runFlushed(Side.KEELFS, config.threads(), Workload.INSERT_FLUSHED_THREADS,
                        phases, figures, round, roundLabel);
                runFlushed(Side.KEELFS, moreThreads(config.threads()),
                        Workload.INSERT_FLUSHED_MORE_THREADS, phases, figures, round,
                        roundLabel);
                for (Workload w : List.of(Workload.INSERT_FLUSHED_THREADS,
                        Workload.INSERT_FLUSHED_MORE_THREADS)) {
                    figures.set(w, Side.LMDB, round,
                            figures.get(Workload.INSERT_FLUSHED, Side.LMDB, round));
                }
            }
        }
        return figures.result(config.threads());
    }

    /** Insert unflushed, then (keelfs) heap, then lookups and scan on the warm store. */
    private void runUnflushed(Side side, KeyPhases phases, int[] lookupOrder, Figures figures,
            int round, String roundLabel)
            throws IOException, KeelException, InterruptedException {
        long heapBeforeBytes = side == Side.KEELFS ? HeapUsage.usedAfterGcBytes() : 0;
        KeyWorkload workload = newWorkload(side, false);
        String label = String.format("%s %-15s", roundLabel, workload.name());
        try (workload) {
            workload.open();
            long nanos = phases.insertAll(workload, 1, label + " insert");
            double keysPerSec = KeyPhases.perSecond(config.keyCount(), nanos);
            figures.set(Workload.INSERT_UNFLUSHED, side, round, keysPerSec);
            progress.end(String.format(Locale.ROOT, "%s insert:  %,12.0f keys/s     (%.2f s%s)",
                    label, keysPerSec, nanos / 1e9, checkpoints(workload)));
            if (workload instanceof EngineKeyWorkload engine) {
                engine.checkpoint();
                long heapUsedBytes = HeapUsage.usedAfterGcBytes();
                figures.set(Workload.HEAP, side, round, (heapUsedBytes - heapBeforeBytes) / MIB);
                figures.jvmHeapUsedBytes[round] = heapUsedBytes;
                progress.log(String.format(Locale.ROOT, "%s heap:    %12.1f MiB engine"
                                + " (%.1f MiB in the whole JVM, after checkpoint and GC)",
                        label, (heapUsedBytes - heapBeforeBytes) / MIB, heapUsedBytes / MIB));
            }
            // Warm cache and warm code, as the target says: untimed passes first (JIT reaches
            // its steady state after a few million lookups), for both sides alike.
            for (int pass = 0; pass < LOOKUP_WARM_UP_PASSES; pass++) {
                phases.lookupAll(workload, lookupOrder, label + " lookup warm-up");
            }
            nanos = phases.lookupAll(workload, lookupOrder, label + " lookup");
            double lookupsPerSec = KeyPhases.perSecond(lookupOrder.length, nanos);
            figures.set(Workload.LOOKUP, side, round, lookupsPerSec);
            progress.end(String.format(Locale.ROOT, "%s lookup:  %,12.0f lookups/s  (%.2f s)",
                    label, lookupsPerSec, nanos / 1e9));
            nanos = phases.scanAll(workload, label + " scan");
            double scannedPerSec = KeyPhases.perSecond(config.keyCount(), nanos);
            figures.set(Workload.SCAN, side, round, scannedPerSec);
            progress.end(String.format(Locale.ROOT, "%s scan:    %,12.0f keys/s     (%.2f s)",
                    label, scannedPerSec, nanos / 1e9));
        } finally {
            deleteStore(side);
        }
    }

    /** The thread count of {@link Workload#INSERT_FLUSHED_MORE_THREADS}. */
    static int moreThreads(int threads) {
        return Math.min(2 * threads, THREADS_MAX);
    }

    private void runFlushed(Side side, int threads, Workload line, KeyPhases phases,
            Figures figures, int round, String roundLabel)
            throws IOException, KeelException, InterruptedException {
        KeyWorkload workload = newWorkload(side, true);
        String name = threads == 1 ? workload.name() : workload.name() + " x" + threads;
        String label = String.format("%s %-15s", roundLabel, name);
        try (workload) {
            workload.open();
            long nanos = phases.insertAll(workload, threads, label + " insert");
            double keysPerSec = KeyPhases.perSecond(config.keyCount(), nanos);
            figures.set(line, side, round, keysPerSec);
            progress.end(String.format(Locale.ROOT, "%s insert:  %,12.0f keys/s     (%.2f s%s)",
                    label, keysPerSec, nanos / 1e9, checkpoints(workload)));
        } finally {
            deleteStore(side);
        }
    }

    /** Untimed lookup passes over the filled store before the timed one. */
    static final int LOOKUP_WARM_UP_PASSES = 3;

    /** Untimed: each side inserts, looks up and scans a few keys, so round 1 runs compiled. */
    private void warmUp() throws IOException, KeelException, InterruptedException {
        BenchKeys keys = BenchKeys.random(Math.min(config.keyCount(), WARM_UP_KEYS_MAX), SEED - 1);
        KeyPhases phases = new KeyPhases(keys, config.batchKeys(), Progress.silent());
        int[] order = keys.shuffledOrder(SEED - 1);
        for (Side side : runOrder(0)) {
            KeyWorkload workload = newWorkload(side, false);
            try (workload) {
                workload.open();
                phases.insertAll(workload, 1, "warm-up");
                phases.lookupAll(workload, order, "warm-up");
                phases.scanAll(workload, "warm-up");
            } finally {
                deleteStore(side);
            }
        }
        progress.log(String.format(Locale.ROOT, "warm-up done (not timed): each side inserted,"
                + " looked up and scanned %,d keys", keys.count()));
    }

    /** A, B: rounds alternate which side goes first, so drift favours neither. */
    static List<Side> runOrder(int round) {
        return round % 2 == 0 ? List.of(Side.KEELFS, Side.LMDB) : List.of(Side.LMDB, Side.KEELFS);
    }

    private KeyWorkload newWorkload(Side side, boolean flushed) {
        if (side == Side.LMDB) {
            return new LmdbKeyWorkload(lmdbDir, config.imageSizeBytes(), flushed);
        }
        Mkfs.Options mkfs = Mkfs.Options.defaults()
                .withBucketSizeBytes(BUCKET_SIZE_BYTES)
                .withNodeSizeBytes(config.nodeSizeBytes());
        EngineOptions options = EngineOptions.defaults()
                .withNodeCacheBytesMax(config.nodeCacheBytesMax());
        return new EngineKeyWorkload(
                new EngineKeyWorkload.Setup(imagePath, config.imageSizeBytes(), mkfs, options),
                flushed ? Durability.FLUSH : Durability.NO_FLUSH);
    }

    /**
     * The engine's checkpoints, and its commits beside the journal flushes they took: with
     * group commit, concurrent committers share flushes (fewer flushes than commits).
     */
    private static String checkpoints(KeyWorkload workload) {
        if (!(workload instanceof EngineKeyWorkload engine)) {
            return "";
        }
        JournalWriter.Stats journal = engine.journalStats();
        return String.format(Locale.ROOT, ", %d checkpoints, %,d commits, %,d journal flushes"
                        + " (%,d by a committer; mean %.2f ms, max %.0f ms)",
                engine.stats().checkpoints(), engine.stats().commits(), journal.flushes(),
                journal.inlineBatches(),
                journal.flushNanos() / 1e6 / Math.max(1, journal.flushes()),
                journal.flushNanosMax() / 1e6);
    }

    /**
     * Both stores are sparse or grow as they fill, but a keelfs image may come to use all of
     * its size (copy-on-write moves nodes over the whole node area); LMDB needs roughly
     * 2.5 times the raw key and value bytes at random-insert page fill.
     */
    private void checkFreeSpace(Path dir) throws IOException {
        long lmdbBytes = (long) config.keyCount() * (BenchKeys.KEY_BYTES + BenchKeys.VALUE_BYTES)
                * 5 / 2;
        long neededBytes = config.imageSizeBytes() + lmdbBytes;
        long freeBytes = Files.getFileStore(dir).getUsableSpace();
        if (freeBytes < neededBytes) {
            throw new IOException(String.format(
                    "not enough free space in %s: need %d MiB (--image-size plus LMDB's %d MiB),"
                            + " have %d MiB", dir, neededBytes >> 20, lmdbBytes >> 20,
                    freeBytes >> 20));
        }
    }

    private void deleteStore(Side side) throws IOException {
        if (side == Side.KEELFS) {
            Files.deleteIfExists(imagePath);
            return;
        }
        for (String name : LMDB_FILE_NAMES) {
            Files.deleteIfExists(lmdbDir.resolve(name));
        }
        Files.deleteIfExists(lmdbDir);
    }

    /**
     * Deletes the stores, and the directory if this run made it. Safe to call twice. A failure
     * is printed, not thrown, so it cannot hide the exception that ended the run.
     */
    private void cleanUp(boolean ownDir, Path dir) {
        try {
            deleteStore(Side.KEELFS);
            deleteStore(Side.LMDB);
            BenchDirs.removeIfOwnedAndEmpty(ownDir, dir);
        } catch (IOException e) {
            out.println("warning: could not clean up " + dir + ": " + e);
            out.flush();
        }
    }

    /** Per-round figures of every line and side. */
    private static final class Figures {
        private final double[][][] perRound;
        final long[] jvmHeapUsedBytes;

        Figures(int rounds) {
            perRound = new double[Workload.values().length][Side.values().length][rounds];
            // NaN until measured: LMDB has no heap figure.
            for (double[][] sides : perRound) {
                for (double[] values : sides) {
                    Arrays.fill(values, Double.NaN);
                }
            }
            jvmHeapUsedBytes = new long[rounds];
        }

        void set(Workload workload, Side side, int round, double value) {
            perRound[workload.ordinal()][side.ordinal()][round] = value;
        }

        double get(Workload workload, Side side, int round) {
            return perRound[workload.ordinal()][side.ordinal()][round];
        }

        Result result(int threads) {
            List<Line> lines = new ArrayList<>();
            for (Workload workload : Workload.values()) {
                boolean threadsLine = workload == Workload.INSERT_FLUSHED_THREADS
                        || workload == Workload.INSERT_FLUSHED_MORE_THREADS;
                if (threadsLine && threads == 1) {
                    continue;
                }
                double[] keelfs = perRound[workload.ordinal()][Side.KEELFS.ordinal()];
                double[] lmdb = perRound[workload.ordinal()][Side.LMDB.ordinal()];
                double ratioMin = Double.POSITIVE_INFINITY;
                double ratioMax = Double.NEGATIVE_INFINITY;
                for (int round = 0; round < keelfs.length; round++) {
                    ratioMin = Math.min(ratioMin, keelfs[round] / lmdb[round]);
                    ratioMax = Math.max(ratioMax, keelfs[round] / lmdb[round]);
                }
                boolean hasLmdb = !Double.isNaN(lmdb[0]);
                int lineThreads = workload == Workload.INSERT_FLUSHED_MORE_THREADS
                        ? moreThreads(threads) : threads;
                lines.add(new Line(String.format(workload.label, lineThreads), workload.unit,
                        Median.of(keelfs), hasLmdb ? Median.of(lmdb) : Double.NaN,
                        hasLmdb ? ratioMin : Double.NaN, hasLmdb ? ratioMax : Double.NaN,
                        workload.target));
            }
            double[] jvm = new double[jvmHeapUsedBytes.length];
            for (int i = 0; i < jvm.length; i++) {
                jvm[i] = jvmHeapUsedBytes[i];
            }
            return new Result(lines, (long) Median.of(jvm));
        }
    }
}
