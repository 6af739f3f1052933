package io.keelfs.engine;

import io.keelfs.error.KeelException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Background journal reclaim: checkpoints when the journal passes its fill threshold, when the
 * journal asks (it is full), or on a timer. A daemon thread, so it never keeps the JVM up.
 *
 * <p>The timer: a checkpoint rewrites every dirty node whole (at 1M random keys, the whole
 * tree: some 170 MB with 64 KiB nodes), so under load journal fill alone drives checkpoints,
 * as bcachefs's journal reclaim does: the timer fires once the engine has been idle (no commit
 * since the last poll) for an interval since the last checkpoint, and under steady load only
 * after {@link #BUSY_INTERVALS_MAX} intervals. Replay stays bounded by the journal's size.
 *
 * <p>Thread-safety: {@link #wake} and {@link #stop} from any thread.
 */
final class Reclaimer {
    private static final Logger LOG = Logger.getLogger(Reclaimer.class.getName());
    /** How often the fill ratio is looked at when nothing wakes the thread. */
    private static final long POLL_MS = 50;
    /** Under load, the timer waits this many intervals (30 s at the default 5 s). */
    static final int BUSY_INTERVALS_MAX = 6;

    private final Engine engine;
    private final long intervalMs;
    private final double fillThreshold;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wakeup = lock.newCondition();
    private final Thread thread;
    /** The journal asked (it is full), or stop: checkpoint whatever the fill. */
    private boolean woken;
    /** A committer saw the fill threshold passed: check the fill now, not at the next poll. */
    private boolean kicked;
    private volatile boolean stopped;

    Reclaimer(Engine engine, long intervalMs, double fillThreshold) {
        this.engine = engine;
        this.intervalMs = intervalMs;
        this.fillThreshold = fillThreshold;
        this.thread = new Thread(this::run, "keelfs-reclaim " + engine.device().describe());
        this.thread.setDaemon(true);
    }

    void start() {
        if (intervalMs > 0) {
            thread.start();
        }
    }

    /** The journal is full (or stop): checkpoint at once, whatever the fill. */
    void wake() {
        signal(true);
    }

    /** Whether the thread runs (not with interval 0, as in tests). */
    boolean isRunning() {
        return thread.isAlive() && !stopped;
    }

    /** A committer passed the fill threshold: checkpoint (after rechecking the fill) at once. */
    void wakeForFill() {
        signal(false);
    }

    private void signal(boolean journalAsked) {
        lock.lock();
        try {
            if (journalAsked) {
                woken = true;
            } else {
                kicked = true;
            }
            wakeup.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void stop() {
        stopped = true;
        wake();
        if (thread.isAlive() && Thread.currentThread() != thread) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        long lastCheckpointNanos = System.nanoTime();
        long intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
        long seenCommits = engine.stats().commits();
        long seenCheckpoints = engine.stats().checkpoints();
        while (!stopped && !engine.isReadOnly()) {
            boolean asked = awaitWake();
            if (stopped) {
                return;
            }
            long commits = engine.stats().commits();
            long checkpoints = engine.stats().checkpoints();
            boolean idle = commits == seenCommits;
            seenCommits = commits;
            if (checkpoints != seenCheckpoints) {
                // A committer checkpointed at the fill threshold: the timer starts again.
                seenCheckpoints = checkpoints;
                lastCheckpointNanos = System.nanoTime();
            }
            long sinceNanos = System.nanoTime() - lastCheckpointNanos;
            boolean due = sinceNanos >= intervalNanos
                    && (idle || sinceNanos >= intervalNanos * BUSY_INTERVALS_MAX);
            boolean full = !asked && !due && engine.journalFillRatio() > fillThreshold;
            if (asked || due || full) {
                try {
                    if (full) {
                        engine.checkpointAtFill();
                    } else {
                        engine.checkpoint();
                    }
                } catch (KeelException e) {
                    LOG.log(Level.WARNING, "background checkpoint failed: " + e.getMessage());
                }
                lastCheckpointNanos = System.nanoTime();
                seenCheckpoints = engine.stats().checkpoints();
            }
        }
    }

    private boolean awaitWake() {
        lock.lock();
        try {
            if (!woken && !kicked) {
                wakeup.await(POLL_MS, TimeUnit.MILLISECONDS);
            }
            boolean was = woken;
            woken = false;
            kicked = false;
            return was;
        } catch (InterruptedException e) {
            stopped = true;
            return false;
        } finally {
            lock.unlock();
        }
    }
}
