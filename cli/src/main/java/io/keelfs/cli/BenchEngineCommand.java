package io.keelfs.cli;

import io.keelfs.bench.EngineBench;
import io.keelfs.engine.EngineOptions;
import io.keelfs.format.Geometry;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code keelfs bench engine}: the storage engine against LMDB, same keys, interleaved in one
 * run. Parses and checks the options, then hands over to {@link EngineBench}.
 */
@Command(
        name = "engine",
        mixinStandardHelpOptions = true,
        description = {
            "Compare the keelfs storage engine with LMDB doing the same work.",
            "",
            "Workloads (random 16-byte keys, 64-byte values):",
            "  1. insert N keys in transactions of --batch keys: flushed commits vs LMDB synced",
            "     per transaction, on 1, --threads and twice --threads committer threads;",
            "     unflushed commits vs LMDB with MDB_NOSYNC (keys/s);",
            "  2. look every key up in random order, 1000 per read transaction (lookups/s);",
            "  3. scan every key in order (keys/s);",
            "  4. the engine's heap after inserting N keys and a checkpoint (MiB).",
            "The table shows medians of the rounds, the ratio keelfs/lmdb, and keelfs's",
            "figures against the targets of issue 3 (300k inserts/s flushed, 1M lookups/s,",
            "5M scanned keys/s, 256 MiB of heap).",
        },
        sortOptions = false)
final class BenchEngineCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--keys", paramLabel = "N", defaultValue = "1000000",
            description = "Keys per run (default: ${DEFAULT-VALUE}).")
    private int keyCount;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "100",
            description = "Keys per transaction (default: ${DEFAULT-VALUE}).")
    private int batchKeys;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "Where the keelfs image and the LMDB files go (default: a fresh"
                    + " temporary directory under ./.bench/, removed afterwards).")
    private Path dir;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "1",
            description = "Rounds; the table shows the median (default: ${DEFAULT-VALUE}).")
    private int rounds;

    @Option(names = "--image-size", paramLabel = "SIZE", defaultValue = "4G",
            converter = ByteSizes.Converter.class,
            description = "Size of the sparse keelfs image, and LMDB's map size; suffix K, M,"
                    + " G or T (default: ${DEFAULT-VALUE}).")
    private long imageSizeBytes;

    @Option(names = "--node-size", paramLabel = "SIZE", defaultValue = "64K",
            converter = ByteSizes.Converter.class,
            description = "Btree node size of the image, a power of two from 4K to 1M"
                    + " (default: ${DEFAULT-VALUE}; checkpoints rewrite whole dirty nodes, so"
                    + " smaller nodes write less per random key).")
    private long nodeSizeBytes;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "4",
            description = "Committer threads of the multi-threaded flushed insert, which also"
                    + " runs with twice as many; 1 skips both (default: ${DEFAULT-VALUE}).")
    private int threads;

    @Option(names = "--node-cache", paramLabel = "SIZE",
            converter = ByteSizes.Converter.class,
            description = "Bound of the engine's clean node cache (default: the engine's"
                    + " default, 64M).")
    private Long nodeCacheBytes;

    @Override
    public Integer call() throws Exception {
        BenchOptions.checkRange(spec, "--keys", keyCount, 1, EngineBench.KEYS_MAX);
        BenchOptions.checkRange(spec, "--batch", batchKeys, 1, EngineBench.BATCH_MAX);
        BenchOptions.checkRange(spec, "--rounds", rounds, 1, EngineBench.ROUNDS_MAX);
        BenchOptions.checkRange(spec, "--threads", threads, 1, EngineBench.THREADS_MAX);
        if (nodeSizeBytes < Geometry.NODE_SIZE_BYTES_MIN
                || nodeSizeBytes > EngineBench.BUCKET_SIZE_BYTES
                || Long.bitCount(nodeSizeBytes) != 1) {
            throw new ParameterException(spec.commandLine(), String.format(
                    "--node-size %s is not a power of two from %s to %s",
                    ByteSizes.format(nodeSizeBytes), ByteSizes.format(Geometry.NODE_SIZE_BYTES_MIN),
                    ByteSizes.format(EngineBench.BUCKET_SIZE_BYTES)));
        }
        long minimumBytes = Geometry.minimumDeviceBytes(EngineBench.BUCKET_SIZE_BYTES);
        if (imageSizeBytes < minimumBytes) {
            throw new ParameterException(spec.commandLine(), String.format(
                    "--image-size %s is below the minimum %s for 1M buckets",
                    ByteSizes.format(imageSizeBytes), ByteSizes.format(minimumBytes)));
        }
        long nodeCache = nodeCacheBytes == null
                ? EngineOptions.NODE_CACHE_BYTES_DEFAULT
                : nodeCacheBytes;
        EngineBench.Config config = new EngineBench.Config(dir, keyCount, batchKeys, rounds,
                imageSizeBytes, (int) nodeSizeBytes, threads, nodeCache);
        new EngineBench(config, spec.commandLine().getOut(), System.console() != null).run();
        return 0;
    }
}
