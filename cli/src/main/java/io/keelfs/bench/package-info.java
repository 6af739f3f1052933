/**
 * Benchmarks that compare a keelfs layer with a raw baseline doing the same work in the same
 * run, interleaved, so that a noisy machine slows both sides alike.
 *
 * <p>Owns: {@link io.keelfs.bench.BlockdevBench} (rounds, medians, verdicts), the workload
 * runner, the page-cache dropper, progress display and the result table. Benchmark files live
 * only in the directory the caller names and are deleted afterwards.
 *
 * <p>May call: {@code io.keelfs.block}, the JDK. Must not call: {@code io.keelfs.cli}.
 *
 * <p>Threading: single-threaded; one benchmark per instance.
 */
package io.keelfs.bench;
