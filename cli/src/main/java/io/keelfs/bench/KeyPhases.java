package io.keelfs.bench;

import io.keelfs.error.KeelException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The timed phases of {@code keelfs bench engine}, the same for either {@link KeyWorkload}:
 * insert every key in batches (on one or several committer threads), look every key up in a
 * given order, scan them all. Each returns the elapsed nanoseconds of its timed part, and
 * checks the work was really done (every key found with its value, the scan saw every key),
 * so neither side can win by doing less.
 *
 * <p>Not thread-safe; it starts and joins its own committer threads.
 */
final class KeyPhases {
    /** Lookups per read transaction: amortises the read lock (keelfs) and txn (lmdb). */
    static final int LOOKUPS_PER_READ = 1000;
    static final int THREADS_MAX = 64;
    /** How often the main thread redraws progress while committer threads run. */
    private static final long PROGRESS_POLL_MS = 100;

    private final BenchKeys keys;
    private final int batchKeys;
    private final Progress progress;

    KeyPhases(BenchKeys keys, int batchKeys, Progress progress) {
        this.keys = keys;
        this.batchKeys = batchKeys;
        this.progress = progress;
    }

    /**
     * Inserts every key, {@code batchKeys} per transaction. With several threads each takes the
     * next batch from a shared counter, so they commit concurrently; timed from the first
     * commit's start to the last commit's return.
     */
    long insertAll(KeyWorkload workload, int threads, String label)
            throws KeelException, InterruptedException {
        if (threads < 1 || threads > THREADS_MAX) {
            throw new IllegalArgumentException(
                    "threads " + threads + " not in [1, " + THREADS_MAX + "]");
        }
        if (threads > 1 && !workload.concurrentInserts()) {
            throw new IllegalArgumentException(String.format(
                    "%s cannot insert on %d threads", workload.name(), threads));
        }
        progress.begin(label, keys.count());
        if (threads == 1) {
            long startNanos = System.nanoTime();
            for (int from = 0; from < keys.count(); from += batchKeys) {
                workload.insertBatch(keys, from, Math.min(keys.count(), from + batchKeys));
                progress.update(from);
            }
            return System.nanoTime() - startNanos;
        }
        return insertConcurrently(workload, threads);
    }

    private long insertConcurrently(KeyWorkload workload, int threads)
            throws KeelException, InterruptedException {
        // Math.ceilDiv is Java 18; count + batch - 1 cannot overflow (count <= 10M, batch <= 10k).
        int batchCount = (keys.count() + batchKeys - 1) / batchKeys;
        AtomicInteger nextBatch = new AtomicInteger();
        AtomicLong keysDone = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> committers = new ArrayList<>(threads);
        for (int t = 0; t < threads; t++) {
            committers.add(new Thread(() -> {
                try {
                    for (int b = nextBatch.getAndIncrement();
                            b < batchCount && failure.get() == null;
                            b = nextBatch.getAndIncrement()) {
                        int from = b * batchKeys;
                        int to = Math.min(keys.count(), from + batchKeys);
                        workload.insertBatch(keys, from, to);
                        keysDone.addAndGet(to - from);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "bench-committer-" + t));
        }
        long startNanos = System.nanoTime();
        committers.forEach(Thread::start);
        for (Thread committer : committers) {
            committer.join(PROGRESS_POLL_MS);
            while (committer.isAlive()) {
                progress.update(keysDone.get());
                committer.join(PROGRESS_POLL_MS);
            }
        }
        long elapsedNanos = System.nanoTime() - startNanos;
        Throwable e = failure.get();
        if (e instanceof KeelException keel) {
            throw keel;
        } else if (e instanceof RuntimeException runtime) {
            throw runtime;
        } else if (e instanceof Error error) {
            throw error;
        } else if (e != null) {
            throw new IllegalStateException("committer failed", e);
        }
        return elapsedNanos;
    }

    /** Looks up every key in {@code order}, {@link #LOOKUPS_PER_READ} per read transaction. */
    long lookupAll(KeyWorkload workload, int[] order, String label) throws KeelException {
        progress.begin(label, order.length);
        long found = 0;
        long startNanos = System.nanoTime();
        for (int from = 0; from < order.length; from += LOOKUPS_PER_READ) {
            int to = Math.min(order.length, from + LOOKUPS_PER_READ);
            found += workload.lookup(keys, order, from, to);
            progress.update(from);
        }
        long elapsedNanos = System.nanoTime() - startNanos;
        if (found != order.length) {
            throw new IllegalStateException(String.format(
                    "%s found %d of %d keys with their value",
                    workload.name(), found, order.length));
        }
        return elapsedNanos;
    }

    /** Scans every key once in key order. */
    long scanAll(KeyWorkload workload, String label) throws KeelException {
        progress.begin(label, keys.count());
        long startNanos = System.nanoTime();
        long count = workload.scanAll();
        long elapsedNanos = System.nanoTime() - startNanos;
        if (count != keys.count()) {
            throw new IllegalStateException(String.format(
                    "%s scanned %d keys, %d were inserted", workload.name(), count, keys.count()));
        }
        return elapsedNanos;
    }

    static double perSecond(long count, long nanos) {
        return count / (nanos / (double) TimeUnit.SECONDS.toNanos(1));
    }
}
