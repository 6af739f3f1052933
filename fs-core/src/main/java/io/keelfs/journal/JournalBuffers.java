package io.keelfs.journal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.keelfs.error.DeviceIoException;
import io.keelfs.error.KeelException;
import io.keelfs.format.BtreeId;
import io.keelfs.format.NodePointer;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The state shared by committers ({@link JournalWriter}) and the writer thread
 * ({@link JournalWriteThread}), under one lock: the open entry, the closed entries waiting to
 * be written, the seq watermarks, the checkpoint to stamp, and journal space. Entry points:
 * {@link #closeOpen}, {@link #takeBatch}, {@link #awaitLocked}.
 *
 * <p>Watermarks, each non-decreasing: {@code durableSeq <= writtenSeq <= lastAppendedSeq}
 * (after a restart all three start at the replayed head); {@code flushWantedSeq} and
 * {@code writeWantedSeq} are the highest seqs anyone waits for.
 *
 * <p>Thread-safety: every field is guarded by {@link #lock}; callers hold it.
 */
final class JournalBuffers {
    final ReentrantLock lock = new ReentrantLock();
    /** The writer thread waits here for work. */
    final Condition writerWake = lock.newCondition();
    /** Committers wait here for writes, flushes, freed space and failures. */
    final Condition progress = lock.newCondition();
    private final int blockSizeBytes;

    @GuardedBy("lock") final JournalSpace space;
    @GuardedBy("lock") final ArrayDeque<OpenEntry.Closed> closed = new ArrayDeque<>();
    @GuardedBy("lock") OpenEntry open;
    /** Seq of the newest entry that received records (or the head after resume). */
    @GuardedBy("lock") long lastAppendedSeq;
    @GuardedBy("lock") long writtenSeq;
    /** lastSeq stamped in the entry {@link #writtenSeq}. */
    @GuardedBy("lock") long writtenLastSeq;
    @GuardedBy("lock") long durableSeq;
    @GuardedBy("lock") long flushWantedSeq;
    @GuardedBy("lock") long writeWantedSeq;
    @GuardedBy("lock") Map<BtreeId, NodePointer> checkpointRoots = new EnumMap<>(BtreeId.class);
    @GuardedBy("lock") long checkpointLastSeq;
    /** A checkpoint was set and no entry carries it yet. */
    @GuardedBy("lock") boolean checkpointPending;
    @GuardedBy("lock") long lastStampedLastSeq;
    @GuardedBy("lock") int spaceWaiters;
    @GuardedBy("lock") KeelException failure;
    @GuardedBy("lock") boolean closing;
    /** Someone (the writer thread or a committer) took work and is doing its I/O. */
    @GuardedBy("lock") boolean ioBusy;
    /** Committers parked in {@link JournalWriter#awaitDurable} waiting for someone's flush. */
    @GuardedBy("lock") int durableWaiters;
    /** The writer thread waits for {@link #ioBusy} to clear. */
    @GuardedBy("lock") boolean writerAwaitsIo;
    /** Batches a waiting committer wrote and flushed itself instead of the writer thread. */
    @GuardedBy("lock") long inlineBatches;
    @GuardedBy("lock") long appends;
    @GuardedBy("lock") long appendWakes;
    @GuardedBy("lock") long entriesWritten;
    @GuardedBy("lock") long flushes;
    @GuardedBy("lock") long bareFlushes;
    @GuardedBy("lock") long journalFullStalls;
    @GuardedBy("lock") long reclaimRequests;
    @GuardedBy("lock") long flushNanos;
    @GuardedBy("lock") long flushNanosMax;

    /** State after replaying {@code plan}: everything up to its head is written and durable. */
    JournalBuffers(JournalSpace space, long nextSeq, ReplayPlan plan, int blockSizeBytes) {
        this.space = space;
        this.blockSizeBytes = blockSizeBytes;
        long head = plan.headSeq();
        this.open = new OpenEntry(nextSeq, head);
        this.lastAppendedSeq = head;
        this.writtenSeq = head;
        this.durableSeq = head;
        this.writtenLastSeq = plan.lastSeq();
        this.checkpointRoots.putAll(plan.roots());
        this.checkpointLastSeq = plan.lastSeq();
        this.lastStampedLastSeq = plan.lastSeq();
    }

    /** Closes the open entry: stamps roots and lastSeq, reserves its space, queues it. */
    @GuardedBy("lock")
    void closeOpen() {
        OpenEntry o = open;
        long stampedLastSeq = Math.min(checkpointLastSeq, o.seq);
        JournalEntry entry = new JournalEntry(
                o.seq, o.prevSeq, stampedLastSeq, 0, o.updates, checkpointRoots);
        int sizeBytes = JournalEntryCodec.encodedBytes(entry, blockSizeBytes);
        space.commit(o.slot, o.seq, sizeBytes);
        // A lastSeq that moved forward frees space only once durable: flush it promptly.
        boolean advances = stampedLastSeq > lastStampedLastSeq;
        lastStampedLastSeq = Math.max(lastStampedLastSeq, stampedLastSeq);
        closed.add(new OpenEntry.Closed(entry, o.slot, sizeBytes, o.slot.mustFlush() || advances));
        checkpointPending = false;
        open = new OpenEntry(o.seq + 1, o.seq);
        writerWake.signal();
    }

    /**
     * Takes closed entries up to the first that must be followed by a flush, and decides
     * whether this batch ends with a flush: when an entry demands it (it takes the last free
     * bucket, advances lastSeq, or is {@link JournalWriter#UNFLUSHED_ENTRIES_MAX} past the
     * durable seq), when anyone waits for durability, or when closing. The last entry of a
     * flushed batch is marked FLUSH.
     */
    @GuardedBy("lock")
    JournalWriteThread.Work takeBatch() {
        List<OpenEntry.Closed> batch = new ArrayList<>();
        boolean flush = false;
        while (!closed.isEmpty() && !flush) {
            OpenEntry.Closed c = closed.poll();
            batch.add(c);
            flush = c.mustFlush()
                    || c.entry().seq() - durableSeq >= JournalWriter.UNFLUSHED_ENTRIES_MAX;
        }
        flush |= flushWantedSeq > durableSeq;
        flush |= closing && closed.isEmpty() && !open.hasRecords();
        int lastIndex = batch.size() - 1;
        OpenEntry.Closed last = batch.get(lastIndex);
        if (flush) {
            last = new OpenEntry.Closed(last.entry().withFlags(JournalEntry.FLAG_FLUSH),
                    last.slot(), last.sizeBytes(), true);
            batch.set(lastIndex, last);
        }
        return new JournalWriteThread.Work(
                batch, flush, last.entry().seq(), last.entry().lastSeq());
    }

    /** Waits until {@code done}, a failure, or {@link JournalWriter#IO_WAIT_MS_MAX}. */
    @GuardedBy("lock")
    void awaitLocked(BooleanSupplier done, String what) throws KeelException {
        long waitMs = JournalWriter.IO_WAIT_MS_MAX;
        long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        // Bounded by the deadline.
        while (!done.getAsBoolean()) {
            if (failure != null) {
                throw failure;
            }
            long leftNanos = deadlineNanos - System.nanoTime();
            if (leftNanos <= 0) {
                throw new DeviceIoException("journal: waiting for " + what, new IOException(
                        "no progress for " + waitMs + " ms; " + describe()));
            }
            try {
                progress.awaitNanos(leftNanos);
            } catch (InterruptedException e) {
                throw interrupted("waiting for " + what, e);
            }
        }
    }

    /** Records the first failure and wakes everyone: the journal is dead. */
    void fail(KeelException e) {
        lock.lock();
        try {
            if (failure == null) {
                failure = e;
            }
            progress.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @GuardedBy("lock")
    JournalWriter.Stats stats() {
        return new JournalWriter.Stats(appends, entriesWritten, flushes, bareFlushes,
                journalFullStalls, reclaimRequests, flushNanos, flushNanosMax, inlineBatches,
                appendWakes);
    }

    @GuardedBy("lock")
    String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("journal writer: open seq ").append(open.seq).append(" (")
                .append(open.updates.size()).append(" updates), ").append(closed.size())
                .append(" closed, written ").append(writtenSeq).append(", durable ")
                .append(durableSeq).append(", flush wanted ").append(flushWantedSeq)
                .append(", checkpoint lastSeq ").append(checkpointLastSeq)
                .append(closing ? ", closing" : "").append(failure != null ? ", FAILED" : "")
                .append("; ");
        space.appendTo(sb);
        return sb.toString();
    }

    /** Checks the watermark invariants (tier 3: tests run with -ea). */
    @GuardedBy("lock")
    boolean verify() {
        space.verify();
        boolean openSeqRight = open.hasRecords()
                ? open.seq == lastAppendedSeq : open.seq > lastAppendedSeq;
        return durableSeq <= writtenSeq && writtenSeq <= lastAppendedSeq && openSeqRight
                && closed.size() <= JournalWriter.ENTRIES_QUEUED_MAX + 1;
    }

    static DeviceIoException interrupted(String what, InterruptedException e) {
        Thread.currentThread().interrupt();
        InterruptedIOException cause = new InterruptedIOException("interrupted");
        cause.initCause(e);
        return new DeviceIoException("journal: " + what, cause);
    }
}
