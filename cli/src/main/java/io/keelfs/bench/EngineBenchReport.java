package io.keelfs.bench;

import io.keelfs.engine.EngineOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What {@code keelfs bench engine} prints before and after its runs: the header (what is
 * compared with what, where, what is timed) and the result table with its legend.
 *
 * <p>Stateless.
 */
final class EngineBenchReport {
    private static final double MIB = 1024.0 * 1024.0;

    private EngineBenchReport() {}

    static void printHeader(PrintWriter out, EngineBench.Config config, Path dir, boolean ownDir)
            throws IOException {
        FileStore store = Files.getFileStore(dir);
        out.println("keelfs bench engine: the keelfs storage engine vs LMDB (lmdbjava),"
                + " same keys, same run, interleaved");
        out.printf(Locale.ROOT, "  %,d random 16-byte keys, 64-byte values, %d keys per"
                        + " transaction, %d round(s)%n",
                config.keyCount(), config.batchKeys(), config.rounds());
        out.printf(Locale.ROOT, "  keelfs: %d MiB sparse image, buckets %d KiB, btree nodes"
                        + " %d KiB, node cache %d MiB, default engine options (background"
                        + " reclaim on)%n",
                config.imageSizeBytes() >> 20, EngineBench.BUCKET_SIZE_BYTES >> 10,
                config.nodeSizeBytes() >> 10, config.nodeCacheBytesMax() >> 20);
        out.printf(Locale.ROOT, "  lmdb: map size %d MiB; heap: max %s%n",
                config.imageSizeBytes() >> 20, heapMaxText());
        out.printf(Locale.ROOT, "  files in %s (%s, %d GiB free)%s%n", dir, store.type(),
                store.getUsableSpace() >> 30, ownDir ? ", removed afterwards" : "");
        out.println("  each phase runs A B (A alternates per round: keelfs, then lmdb); timed:"
                + " the inserts, lookups and scan.");
        out.println("  Not timed: format, open, close, and the checkpoint before the heap"
                + " figure.");
        out.flush();
    }

    static void printTable(PrintWriter out, EngineBench.Config config, EngineBench.Result result) {
        ResultTable table = new ResultTable(
                "workload", "keelfs", "lmdb", "ratio", "round ratios", "target", "result");
        for (EngineBench.Line line : result.lines()) {
            boolean heap = line.unit().equals("MiB");
            String format = heap ? "%,.1f %s" : "%,.0f %s";
            boolean hasLmdb = !Double.isNaN(line.lmdbMedian());
            Boolean pass = line.pass();
            table.addRow(
                    line.workload(),
                    String.format(Locale.ROOT, format, line.keelfsMedian(), line.unit()),
                    hasLmdb
                            ? String.format(Locale.ROOT, format, line.lmdbMedian(), line.unit())
                            : "off-heap (mmap)",
                    hasLmdb ? String.format(Locale.ROOT, "%.3f", line.ratio()) : "-",
                    hasLmdb
                            ? String.format(Locale.ROOT, "%.2f..%.2f",
                                    line.roundRatioMin(), line.roundRatioMax())
                            : "-",
                    targetText(line),
                    pass == null ? "-" : pass ? "PASS" : "MISS");
        }
        out.println();
        out.printf("median of %d round(s); ratio = keelfs / lmdb of the medians; round ratios ="
                + " lowest..highest within one round; targets apply to keelfs's figure%n",
                config.rounds());
        table.print(out);
        out.println();
        out.println("  flushed:   keelfs Durability.FLUSH per batch (returns once durable)"
                + "  vs  lmdb synced per txn (default flags)");
        out.printf(Locale.ROOT, "  %d, %d threads: keelfs committers sharing journal flushes"
                        + " (group commit)  vs  lmdb single writer,%n"
                        + "             the same lmdb run as the 1-thread line (LMDB serialises"
                        + " writers: its best case)%n",
                config.threads(), EngineBench.moreThreads(config.threads()));
        out.println("  unflushed: keelfs Durability.NO_FLUSH  vs  lmdb MDB_NOSYNC;"
                + " no target (the issue's target is for flushed commits)");
        out.printf(Locale.ROOT, "  lookups:   %d gets per engine.read() call / per lmdb read"
                        + " txn, which amortises the read lock; on the store just filled"
                        + " (unflushed), timed after %d untimed passes (warm cache, warm code)%n",
                EngineBench.LOOKUPS_PER_READ, EngineBench.LOOKUP_WARM_UP_PASSES);
        out.printf(Locale.ROOT, "  heap:      the engine's share: heap in use after"
                        + " checkpoint + GC minus before opening it; the whole JVM: %.1f MiB"
                        + " of max %s%n",
                result.jvmHeapUsedBytes() / MIB, heapMaxText());
        if (config.nodeCacheBytesMax() != EngineOptions.NODE_CACHE_BYTES_DEFAULT) {
            out.printf(Locale.ROOT, "             the heap target is for the default caches;"
                    + " this run's node cache is %d MiB%n", config.nodeCacheBytesMax() >> 20);
        }
        long maxBytes = HeapUsage.maxBytes();
        if (maxBytes >= 0 && maxBytes <= EngineBench.HEAP_BYTES_MAX) {
            out.printf(Locale.ROOT, "             the whole run fit in a heap of %.0f MiB%n",
                    maxBytes / MIB);
        } else {
            out.printf(Locale.ROOT, "             to confirm the bound on the whole run:"
                    + " KEELFS_JAVA_OPTS=-Xmx%dm bin/keelfs bench engine%n",
                    EngineBench.HEAP_BYTES_MAX >> 20);
        }
        out.flush();
    }

    private static String targetText(EngineBench.Line line) {
        EngineBench.Target target = line.target();
        if (target == null) {
            return "-";
        }
        return String.format(Locale.ROOT, "%s %,.0f %s", target.atMost() ? "<=" : ">=",
                target.bound(), line.unit());
    }

    private static String heapMaxText() {
        long maxBytes = HeapUsage.maxBytes();
        return maxBytes < 0 ? "unbounded" : String.format(Locale.ROOT, "%.0f MiB", maxBytes / MIB);
    }
}
