/**
 * Benchmarks that compare a keelfs layer with a baseline doing the same work in the same run,
 * interleaved, so that a noisy machine slows both sides alike: {@code bench blockdev}
 * (FileBlockDevice vs a raw FileChannel), {@code bench engine} (the storage engine vs LMDB)
 * and {@code bench fs} (the filesystem API vs the raw FileBlockDevice, plus metadata ops/s).
 *
 * <p>Owns: {@link io.keelfs.bench.BlockdevBench} and {@link io.keelfs.bench.EngineBench}
 * (rounds, medians, verdicts), their workloads ({@code KeyWorkload}: one interface, a keelfs
 * and an LMDB side), the page-cache dropper, progress display and the result table. Benchmark
 * files live only in the directory the caller names and are deleted afterwards.
 *
 * <p>May call: {@code io.keelfs.block}, {@code io.keelfs.engine}, {@code io.keelfs.fs} (the
 * public Filesystem API and KeelImage) and what their APIs take
 * ({@code format}, {@code txn}, {@code error}), lmdbjava, the JDK. Must not call:
 * {@code io.keelfs.cli}, engine internals (btree, journal).
 *
 * <p>Threading: one benchmark per instance, driven from one thread; the engine benchmark's
 * multi-threaded insert starts and joins its own committer threads.
 */
package io.keelfs.bench;
