package io.keelfs.engine;

import io.keelfs.error.KeelException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Background journal reclaim: checkpoints when the journal passes its fill threshold, when the
 * journal asks (it is full), or every interval. A daemon thread, so it never keeps the JVM up.
 *
 * <p>Thread-safety: {@link #wake} and {@link #stop} from any thread.
 */
final class Reclaimer {
    private static final Logger LOG = Logger.getLogger(Reclaimer.class.getName());
    /** How often the fill ratio is looked at when nothing wakes the thread. */
    private static final long POLL_MS = 50;

    private final Engine engine;
    private final long intervalMs;
    private final double fillThreshold;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wakeup = lock.newCondition();
    private final Thread thread;
    private boolean woken;
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

    void wake() {
        lock.lock();
        try {
            woken = true;
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
        while (!stopped && !engine.isReadOnly()) {
            boolean asked = awaitWake();
            if (stopped) {
                return;
            }
            boolean due = System.nanoTime() - lastCheckpointNanos
                    >= TimeUnit.MILLISECONDS.toNanos(intervalMs);
            if (asked || due || engine.journalFillRatio() > fillThreshold) {
                try {
                    engine.checkpoint();
                } catch (KeelException e) {
                    LOG.log(Level.WARNING, "background checkpoint failed: " + e.getMessage());
                }
                lastCheckpointNanos = System.nanoTime();
            }
        }
    }

    private boolean awaitWake() {
        lock.lock();
        try {
            if (!woken) {
                wakeup.await(POLL_MS, TimeUnit.MILLISECONDS);
            }
            boolean was = woken;
            woken = false;
            return was;
        } catch (InterruptedException e) {
            stopped = true;
            return false;
        } finally {
            lock.unlock();
        }
    }
}
