package io.keelfs.journal;

import com.google.common.base.Preconditions;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.keelfs.block.BlockDevice;
import io.keelfs.error.DeviceIoException;
import io.keelfs.error.Errno;
import io.keelfs.error.FsException;
import io.keelfs.error.InconsistentException;
import io.keelfs.error.JournalCorruptException;
import io.keelfs.error.KeelException;
import io.keelfs.error.NoSpaceException;
import io.keelfs.format.BtreeId;
import io.keelfs.format.NodePointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * Appends transactions to the journal with group commit. Entry points: {@link #format} (mkfs),
 * {@link #resume} (mount), then {@link #append}, {@link #awaitDurable}, {@link #awaitWritten},
 * {@link #setCheckpoint}, {@link #close}.
 *
 * <p>Group commit: committers add their key updates to the open entry ({@link OpenEntry}) and
 * get its seq back; one writer thread closes the open entry when someone waits for it, when
 * it reaches {@link Options#entryCloseBytes}, after {@link Options#writeDelayMs}, or when a
 * checkpoint must go out. It writes every closed entry, then issues ONE device flush if anyone
 * waits for durability, and marks the last entry of that batch FLUSH. All waiters up to it
 * share that flush. Writes of the next batch start only after the flush returned, which is
 * what lets the reader treat a FLUSH entry followed by a later entry as proof of durability.
 *
 * <p>Seq rules: seqs are never reused for different contents. After an unclean shutdown
 * {@link #resume} continues at the highest valid seq seen + {@link #BLACKLIST_GAP}. At most
 * {@link #UNFLUSHED_ENTRIES_MAX} entries are ever written past the newest durable one (the
 * writer forces a flush), and the newest durable entry is valid on every later read, so no
 * entry ever written, even torn, carries a seq at or above the new start. The same rule makes
 * the first entry after an unclean restart (seq - durable seq >= the gap) a FLUSH entry
 * written alone: until it is durable, a second crash leaves at most that one torn entry, at
 * the start of the same bucket, where the next restart writes the same seq over it.
 *
 * <p>Space: see {@link JournalSpace}. When the open entry cannot be placed, {@link #append}
 * calls the {@link ReclaimRequest} and waits up to {@link Options#journalFullWaitMs} for a
 * checkpoint to free buckets, then fails with {@link NoSpaceException}.
 *
 * <p>Thread-safety: safe for many committer threads. All mutable state is in
 * {@link JournalBuffers}, under its one lock; device I/O is done by the writer thread
 * ({@link JournalWriteThread}; format and resume before it starts) or by one committer
 * waiting for durability ({@link #awaitDurable}), one at a time, never under the lock.
 * {@link #append} may block (journal full) and calls the {@link ReclaimRequest} without the
 * lock; the await methods block until the writer thread publishes progress or fails.
 */
public final class JournalWriter implements AutoCloseable {
    /** Seq jump after an unclean shutdown, as bcachefs (commit 1597e1d9c). */
    public static final long BLACKLIST_GAP = 4096;
    /** Most entries written after the newest durable one; see the class comment. */
    public static final int UNFLUSHED_ENTRIES_MAX = 1024;
    /** Upper bound of {@link Options#journalFullWaitMs}. */
    public static final long JOURNAL_FULL_WAIT_MS_MAX = 60_000;
    /** Longest wait for the writer thread's I/O before the device is declared failed. */
    public static final long IO_WAIT_MS_MAX = 120_000;
    /** Closed entries waiting for the writer: 8 * bucket size of memory at most. */
    static final int ENTRIES_QUEUED_MAX = 8;
    /** Zeroing at format goes in writes of at most this size. */
    private static final int FORMAT_CHUNK_BYTES = 1 << 20;

    static {
        if (UNFLUSHED_ENTRIES_MAX >= BLACKLIST_GAP) {
            throw new ExceptionInInitializerError("unflushed entries must stay below the gap");
        }
    }

    /**
     * Tuning.
     *
     * @param writeDelayMs longest time an entry stays open after its first append
     * @param entryCloseBytes an entry is closed once its records reach this size
     * @param journalFullWaitMs how long append waits for reclaim when the journal is full
     */
    public record Options(long writeDelayMs, int entryCloseBytes, long journalFullWaitMs) {
        public Options {
            Preconditions.checkArgument(writeDelayMs >= 0 && writeDelayMs <= 10_000,
                    "write delay %s ms not in [0, 10000]", writeDelayMs);
            Preconditions.checkArgument(
                    entryCloseBytes > 0, "entry close bytes %s", entryCloseBytes);
            Preconditions.checkArgument(
                    journalFullWaitMs >= 0 && journalFullWaitMs <= JOURNAL_FULL_WAIT_MS_MAX,
                    "journal full wait %s ms not in [0, %s]", journalFullWaitMs,
                    JOURNAL_FULL_WAIT_MS_MAX);
        }

        /** 10 ms delay, 64 KiB entries, 10 s journal-full wait. */
        public static Options defaults() {
            return new Options(10, 64 * 1024, 10_000);
        }
    }

    /**
     * Counters of what happened, for tests, benchmarks and error messages: {@code flushNanos}
     * is the time spent in device flushes in all, {@code flushNanosMax} the longest one;
     * {@code inlineBatches} counts batches a waiting committer wrote and flushed itself,
     * {@code appendWakes} the appends that woke the writer thread.
     */
    public record Stats(long appends, long entriesWritten, long flushes, long bareFlushes,
            long journalFullStalls, long reclaimRequests, long flushNanos, long flushNanosMax,
            long inlineBatches, long appendWakes) {}

    private final BlockDevice device;
    private final JournalLayout layout;
    private final Options options;
    private final ReclaimRequest reclaim;
    /** All mutable state, under {@code buffers.lock}. */
    private final JournalBuffers buffers;
    private final JournalWriteThread writeThread;
    private final Thread thread;

    private JournalWriter(BlockDevice device, JournalLayout layout, JournalBuffers buffers,
            Options options, ReclaimRequest reclaim) {
        this.device = device;
        this.layout = layout;
        this.buffers = buffers;
        this.options = options;
        this.reclaim = reclaim;
        this.writeThread = new JournalWriteThread(device, layout, options, buffers);
        this.thread = new Thread(writeThread, "keelfs-journal-writer " + device.describe());
        this.thread.setDaemon(true);
    }

    /**
     * mkfs: zeroes every journal bucket whole (so that no entry of an earlier filesystem on
     * the device can ever be scanned as ours: the scan reads on past our newest entry), then
     * writes entry 1 (FLUSH, lastSeq 1, no roots) at the start of bucket 0 and flushes.
     */
    public static void format(BlockDevice device, JournalLayout layout) throws KeelException {
        format(device, layout, bucketsZeroed -> { });
    }

    /**
     * {@link #format(BlockDevice, JournalLayout)}, calling {@code bucketsZeroed} with the number
     * of buckets zeroed so far after each one (mkfs shows progress: up to
     * {@link io.keelfs.format.Geometry#JOURNAL_BUCKETS_MAX} buckets of up to 64 MiB).
     */
    public static void format(BlockDevice device, JournalLayout layout, IntConsumer bucketsZeroed)
            throws KeelException {
        layout.checkFits(device);
        byte[] zeros = new byte[Math.min(layout.bucketSizeBytes(), FORMAT_CHUNK_BYTES)];
        try {
            for (int b = 0; b < layout.bucketCount(); b++) {
                for (int done = 0; done < layout.bucketSizeBytes(); done += zeros.length) {
                    int n = Math.min(zeros.length, layout.bucketSizeBytes() - done);
                    device.write(layout.bucketOffsetBytes(b) + done,
                            ByteBuffer.wrap(zeros, 0, n), false);
                }
                bucketsZeroed.accept(b + 1);
            }
            device.flush();
            JournalEntry first = new JournalEntry(
                    1, 0, 1, JournalEntry.FLAG_FLUSH, List.of(), Map.of());
            byte[] bytes = JournalEntryCodec.encode(first, layout.blockSizeBytes());
            device.write(layout.bucketOffsetBytes(0), ByteBuffer.wrap(bytes), false);
            device.flush();
        } catch (IOException e) {
            throw new DeviceIoException("formatting the journal on " + device.describe(), e);
        }
    }

    /** {@link #resume(BlockDevice, JournalLayout, ReplayPlan, boolean, Options, ReclaimRequest)}
     *  with default options and a reclaim request that does nothing. */
    public static JournalWriter resume(BlockDevice device, JournalLayout layout, ReplayPlan plan,
            boolean cleanShutdown) throws KeelException {
        return resume(device, layout, plan, cleanShutdown, Options.defaults(), () -> { });
    }

    /**
     * Continues the journal after {@link JournalReader#read} and starts the writer thread.
     *
     * <p>Next seq: head + 1 after a clean shutdown whose head is the highest seq seen;
     * otherwise highest seq seen + {@link #BLACKLIST_GAP}. The first new entry's prevSeq is
     * the head. Writing starts at offset 0 of the bucket after the head's bucket (the spare
     * bucket of {@link JournalSpace}), never appending to the head's bucket; buckets holding
     * replayed entries stay in use until a checkpoint's lastSeq passes them. Roots and lastSeq
     * of the plan are stamped on new entries until {@link #setCheckpoint}. Writes nothing.
     *
     * @param cleanShutdown the superblock says the journal was closed cleanly; even then the
     *     seq jumps if valid entries above the head were found
     */
    public static JournalWriter resume(BlockDevice device, JournalLayout layout, ReplayPlan plan,
            boolean cleanShutdown, Options options, ReclaimRequest reclaim) throws KeelException {
        layout.checkFits(device);
        Preconditions.checkArgument(plan.bucketSeqMax().size() == layout.bucketCount(),
                "plan has %s buckets, layout %s", plan.bucketSeqMax().size(), layout.bucketCount());
        Preconditions.checkArgument(layout.bucketSizeBytes() >= OpenEntry.bytesNeeded(0)
                + JournalEntryCodec.RECORD_BYTES_MIN, "bucket of %s bytes too small for an entry",
                layout.bucketSizeBytes());
        boolean jump = !cleanShutdown || plan.highestSeqSeen() > plan.headSeq();
        long nextSeq;
        try {
            nextSeq = jump ? Math.addExact(plan.highestSeqSeen(), BLACKLIST_GAP)
                    : Math.addExact(plan.headSeq(), 1);
        } catch (ArithmeticException e) {
            throw new JournalCorruptException(
                    "journal seq space exhausted: highest seq " + plan.highestSeqSeen(), -1);
        }
        long[] seqMax = new long[layout.bucketCount()];
        for (int b = 0; b < seqMax.length; b++) {
            seqMax[b] = plan.bucketSeqMax().get(b);
        }
        JournalSpace space = new JournalSpace(layout, seqMax, plan.headBucketIndex(),
                layout.bucketSizeBytes(), plan.lastSeq());
        JournalBuffers buffers =
                new JournalBuffers(space, nextSeq, plan, layout.blockSizeBytes());
        JournalWriter writer = new JournalWriter(device, layout, buffers, options, reclaim);
        writer.thread.start();
        return writer;
    }

    /**
     * Adds one transaction's key updates to the open entry; returns that entry's seq. The
     * transaction is committed once {@link #awaitDurable} of the seq returns.
     *
     * @throws FsException E2BIG when the updates cannot fit in one entry even alone
     * @throws NoSpaceException the journal stayed full for {@link Options#journalFullWaitMs}
     * @throws DeviceIoException the journal failed earlier; nothing more can be appended
     */
    public long append(List<JournalRecord.KeyUpdate> updates) throws KeelException {
        Preconditions.checkArgument(!updates.isEmpty(), "empty transaction");
        int recordBytes = 0;
        for (JournalRecord.KeyUpdate u : updates) {
            recordBytes += u.encodedBytes();
        }
        int capacityBytes = layout.bucketSizeBytes() - OpenEntry.bytesNeeded(0);
        if (recordBytes > capacityBytes) {
            throw new FsException(Errno.E2BIG, String.format(
                    "transaction of %d key updates, %d bytes, exceeds the %d bytes a journal "
                            + "entry holds (bucket %d bytes)",
                    updates.size(), recordBytes, capacityBytes, layout.bucketSizeBytes()));
        }
        buffers.lock.lock();
        try {
            return appendLocked(updates, recordBytes);
        } finally {
            buffers.lock.unlock();
        }
    }

    /**
     * Puts the updates into the open entry once it has a place in the ring with room for
     * them. Closes a full open entry and opens the next; when no place is free, asks for
     * reclaim once and waits for space up to the journal-full deadline.
     */
    @GuardedBy("buffers.lock")
    private long appendLocked(List<JournalRecord.KeyUpdate> updates, int recordBytes)
            throws KeelException {
        JournalBuffers b = buffers;
        checkUsable();
        long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(
                options.journalFullWaitMs());
        boolean reclaimRequested = false;
        // Bounded by the deadline: each pass returns, waits, asks for reclaim (once), or
        // closes a full entry (at most ENTRIES_QUEUED_MAX times before it must wait).
        while (true) {
            boolean queueFull = b.closed.size() >= ENTRIES_QUEUED_MAX;
            OpenEntry open = b.open;
            if (open.slot == null && !queueFull) {
                open.slot = b.space.place(OpenEntry.bytesNeeded(recordBytes),
                        Math.min(b.checkpointLastSeq, open.seq));
            }
            if (open.fits(recordBytes, layout.bucketSizeBytes())) {
                boolean first = !open.hasRecords();
                if (first) {
                    open.firstAppendNanos = System.nanoTime();
                }
                open.updates.addAll(updates);
                open.recordBytes += recordBytes;
                b.lastAppendedSeq = open.seq;
                b.appends++;
                // The writer waits untimed while the open entry is empty, and until the first
                // append's deadline once it is not; a later append changes neither unless it
                // fills the entry. Waking the writer on every append cost it a futex wake and
                // a context switch per commit, for nothing (issue 5).
                if (first || open.recordBytes >= options.entryCloseBytes()) {
                    b.appendWakes++;
                    b.writerWake.signal();
                }
                return open.seq;
            }
            if (open.hasRecords() && !queueFull) {
                b.closeOpen();
                continue;
            }
            b.journalFullStalls++;
            if (!reclaimRequested && open.slot == null && !queueFull) {
                reclaimRequested = true;
                requestReclaimUnlocked();
                continue;
            }
            awaitSpace(deadlineNanos, recordBytes);
        }
    }

    /** Calls the engine's reclaim request without the journal lock, then re-checks. */
    @GuardedBy("buffers.lock")
    private void requestReclaimUnlocked() throws KeelException {
        buffers.reclaimRequests++;
        buffers.lock.unlock();
        try {
            reclaim.requestReclaim();
        } finally {
            buffers.lock.lock();
        }
        checkUsable();
    }

    /** Waits for freed space, or fails with NoSpaceException past the deadline. */
    @GuardedBy("buffers.lock")
    private void awaitSpace(long deadlineNanos, int recordBytes) throws KeelException {
        JournalBuffers b = buffers;
        long leftNanos = deadlineNanos - System.nanoTime();
        if (leftNanos <= 0) {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("journal full: no room for entry %d (%d record bytes) after "
                            + "%d ms; %d closed entries queued, %d reclaim requests so far, "
                            + "checkpoint lastSeq %d, durable seq %d; ",
                    b.open.seq, recordBytes, options.journalFullWaitMs(), b.closed.size(),
                    b.reclaimRequests, b.checkpointLastSeq, b.durableSeq));
            b.space.appendTo(sb);
            throw new NoSpaceException(sb.toString());
        }
        b.spaceWaiters++;
        b.writerWake.signal();
        try {
            b.progress.awaitNanos(leftNanos);
        } catch (InterruptedException e) {
            throw JournalBuffers.interrupted("waiting for journal space", e);
        } finally {
            b.spaceWaiters--;
        }
        checkUsable();
    }

    /**
     * Returns once an entry with seq ≥ {@code seq} has been written and a device flush issued
     * after that write has returned. Concurrent waiters share one flush.
     *
     * <p>Leader commit: when no I/O is in progress and nobody else waits, the waiter closes
     * the open entry and writes and flushes the batch itself, on its own thread, instead of
     * waking the writer thread and being woken by it (two thread hand-offs, which cost about
     * as much as the flush on this kind of machine). With others waiting, the writer thread
     * does it, so that entries appended meanwhile join the batch. Whoever does the I/O holds
     * {@code ioBusy}, so batches still go out one at a time in seq order, each flush before the
     * next batch's writes. Waiters arriving meanwhile wait as before and share the next flush.
     *
     * @throws DeviceIoException a journal write or flush failed, or took over
     *     {@link #IO_WAIT_MS_MAX}
     */
    public void awaitDurable(long seq) throws KeelException {
        JournalBuffers b = buffers;
        b.lock.lock();
        try {
            Preconditions.checkArgument(seq <= b.lastAppendedSeq,
                    "seq %s was never appended (newest %s)", seq, b.lastAppendedSeq);
            if (b.durableSeq >= seq) {
                return;
            }
            b.flushWantedSeq = Math.max(b.flushWantedSeq, seq);
            // Bounded: each pass performs one batch that ends in a flush covering every
            // entry appended so far (flushWantedSeq >= seq), or waits as before. Only a lone
            // waiter leads: with others waiting, the writer thread's batch is larger.
            while (b.durableSeq < seq && b.durableWaiters == 0 && b.failure == null
                    && !b.ioBusy && !b.closing) {
                JournalWriteThread.Work work = writeThread.takeWork(System.nanoTime(),
                        TimeUnit.MILLISECONDS.toNanos(options.writeDelayMs()));
                if (work == null) {
                    break;
                }
                b.inlineBatches++;
                performInline(work);
            }
            if (b.durableSeq >= seq) {
                return;
            }
            b.writerWake.signal();
            b.durableWaiters++;
            try {
                b.awaitLocked(() -> b.durableSeq >= seq, "entry " + seq + " durable");
            } finally {
                b.durableWaiters--;
            }
        } finally {
            b.lock.unlock();
        }
    }

    /** Does a taken batch's I/O without the lock; a failure kills the journal as the writer's. */
    @GuardedBy("buffers.lock")
    private void performInline(JournalWriteThread.Work work) throws KeelException {
        buffers.lock.unlock();
        try {
            writeThread.performAndRelease(work);
        } catch (IOException e) {
            buffers.fail(writeThread.ioFailed(e));
        } catch (RuntimeException e) {
            buffers.fail(new InconsistentException("journal write by a committer failed: " + e));
            throw e;
        } finally {
            buffers.lock.lock();
        }
    }

    /** Returns once an entry with seq ≥ {@code seq} is written (not necessarily flushed). */
    public void awaitWritten(long seq) throws KeelException {
        JournalBuffers b = buffers;
        b.lock.lock();
        try {
            Preconditions.checkArgument(seq <= b.lastAppendedSeq,
                    "seq %s was never appended (newest %s)", seq, b.lastAppendedSeq);
            if (b.writtenSeq >= seq) {
                return;
            }
            b.writeWantedSeq = Math.max(b.writeWantedSeq, seq);
            b.writerWake.signal();
            b.awaitLocked(() -> b.writtenSeq >= seq, "entry " + seq + " written");
        } finally {
            b.lock.unlock();
        }
    }

    /**
     * Records a completed checkpoint: its btree roots and the oldest seq still needed. Later
     * entries carry them (lastSeq capped at the entry's own seq); the open entry is closed
     * and flushed promptly so that the space below lastSeq is freed.
     *
     * @param roots the root of every btree that has one, already durable on the device
     * @param lastSeq the oldest seq whose keys are not all in the checkpoint; never decreases
     *     and is at most the newest appended seq + 1
     */
    public void setCheckpoint(Map<BtreeId, NodePointer> roots, long lastSeq) {
        JournalBuffers b = buffers;
        b.lock.lock();
        try {
            Preconditions.checkArgument(lastSeq >= b.checkpointLastSeq,
                    "checkpoint lastSeq %s moves back from %s", lastSeq, b.checkpointLastSeq);
            // After a seq jump nothing may be appended yet: the open entry's seq is the bound.
            Preconditions.checkArgument(lastSeq <= Math.max(b.lastAppendedSeq + 1, b.open.seq),
                    "checkpoint lastSeq %s beyond newest appended seq %s + 1 and open seq %s",
                    lastSeq, b.lastAppendedSeq, b.open.seq);
            b.checkpointRoots = new EnumMap<>(BtreeId.class);
            b.checkpointRoots.putAll(roots);
            b.checkpointLastSeq = lastSeq;
            b.checkpointPending = true;
            b.writerWake.signal();
            b.progress.signalAll();
        } finally {
            b.lock.unlock();
        }
    }

    /**
     * Returns once an entry stamped with the latest {@link #setCheckpoint} roots and lastSeq is
     * durable. When the open entry holds no update, a record-less entry is written for it (as
     * mkfs writes entry 1): the checkpoint must be on the device before the node slots it
     * replaced may be reused.
     */
    public void awaitCheckpointDurable() throws KeelException {
        long seq;
        JournalBuffers b = buffers;
        b.lock.lock();
        try {
            seq = appendLocked(List.of(), 0);
            if (b.open.seq == seq) {
                b.open.checkpointMarker = true;
            }
        } finally {
            b.lock.unlock();
        }
        awaitDurable(seq);
    }

    /** The seq of the newest entry appended (0 before any). */
    public long lastAppendedSeq() {
        buffers.lock.lock();
        try {
            return buffers.lastAppendedSeq;
        } finally {
            buffers.lock.unlock();
        }
    }

    /** The highest seq known durable. */
    public long durableSeq() {
        buffers.lock.lock();
        try {
            return buffers.durableSeq;
        } finally {
            buffers.lock.unlock();
        }
    }

    /** The seq the next {@link #append} will return (unless the open entry fills up first). */
    public long nextSeq() {
        buffers.lock.lock();
        try {
            return buffers.open.seq;
        } finally {
            buffers.lock.unlock();
        }
    }

    /** Fraction of journal space holding needed entries; start reclaim at about 0.5. */
    public double fillRatio() {
        buffers.lock.lock();
        try {
            return buffers.space.fillRatio();
        } finally {
            buffers.lock.unlock();
        }
    }

    public Stats stats() {
        buffers.lock.lock();
        try {
            return buffers.stats();
        } finally {
            buffers.lock.unlock();
        }
    }

    /**
     * Writes and flushes whatever is open, then stops the writer thread. Appends after close
     * are caller mistakes. Closing twice is allowed.
     *
     * @throws DeviceIoException the final write or flush failed, or an earlier one did
     */
    @Override
    public void close() throws KeelException {
        JournalBuffers b = buffers;
        b.lock.lock();
        try {
            b.closing = true;
            b.writerWake.signal();
            b.progress.signalAll();
        } finally {
            b.lock.unlock();
        }
        try {
            thread.join(IO_WAIT_MS_MAX);
        } catch (InterruptedException e) {
            throw JournalBuffers.interrupted("closing the journal", e);
        }
        b.lock.lock();
        try {
            if (thread.isAlive()) {
                throw new DeviceIoException("journal: closing", new IOException(
                        "writer thread still busy after " + IO_WAIT_MS_MAX + " ms; "
                                + b.describe()));
            }
            if (b.failure != null) {
                throw b.failure;
            }
        } finally {
            b.lock.unlock();
        }
    }

    /** State for messages and tests. */
    public void appendTo(StringBuilder sb) {
        buffers.lock.lock();
        try {
            sb.append(buffers.describe());
        } finally {
            buffers.lock.unlock();
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        appendTo(sb);
        return sb.toString();
    }

    @GuardedBy("buffers.lock")
    private void checkUsable() throws KeelException {
        if (buffers.failure != null) {
            throw buffers.failure;
        }
        Preconditions.checkState(!buffers.closing, "journal on %s is closed", device.describe());
    }
}
