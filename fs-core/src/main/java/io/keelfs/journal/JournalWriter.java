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
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
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
 * <p>Seq rules: seqs are never reused. After an unclean shutdown {@link #resume} continues at
 * the highest seq seen + {@link #BLACKLIST_GAP}; at most {@link #UNFLUSHED_ENTRIES_MAX}
 * entries are ever written past the newest durable one (the writer forces a flush), so no
 * entry ever written, even torn, can carry a seq at or above the new start.
 *
 * <p>Space: see {@link JournalSpace}. When the open entry cannot be placed, {@link #append}
 * calls the {@link ReclaimRequest} and waits up to {@link Options#journalFullWaitMs} for a
 * checkpoint to free buckets, then fails with {@link NoSpaceException}.
 *
 * <p>Thread-safety: safe for many committer threads. One lock guards all state; device I/O is
 * done only by the writer thread (and by format/resume before it starts), never under the lock.
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
            Preconditions.checkArgument(entryCloseBytes > 0, "entry close bytes %s", entryCloseBytes);
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

    /** Counters of what happened, for tests, benchmarks and error messages. */
    public record Stats(long appends, long entriesWritten, long flushes, long bareFlushes,
            long journalFullStalls, long reclaimRequests) {}

    private final BlockDevice device;
    private final JournalLayout layout;
    private final Options options;
    private final ReclaimRequest reclaim;
    private final ReentrantLock lock = new ReentrantLock();
    /** The writer thread waits here for work. */
    private final Condition writerWake = lock.newCondition();
    /** Committers wait here for writes, flushes, freed space and failures. */
    private final Condition progress = lock.newCondition();
    private final Thread thread;

    @GuardedBy("lock") private final JournalSpace space;
    @GuardedBy("lock") private final ArrayDeque<OpenEntry.Closed> closed = new ArrayDeque<>();
    @GuardedBy("lock") private OpenEntry open;
    /** Seq of the newest entry that received records (or the head after resume). */
    @GuardedBy("lock") private long lastAppendedSeq;
    @GuardedBy("lock") private long writtenSeq;
    @GuardedBy("lock") private long writtenLastSeq;
    @GuardedBy("lock") private long durableSeq;
    @GuardedBy("lock") private long flushWantedSeq;
    @GuardedBy("lock") private long writeWantedSeq;
    @GuardedBy("lock") private Map<BtreeId, NodePointer> checkpointRoots;
    @GuardedBy("lock") private long checkpointLastSeq;
    @GuardedBy("lock") private boolean checkpointPending;
    @GuardedBy("lock") private long lastStampedLastSeq;
    @GuardedBy("lock") private int spaceWaiters;
    @GuardedBy("lock") private KeelException failure;
    @GuardedBy("lock") private boolean closing;
    @GuardedBy("lock") private long appends;
    @GuardedBy("lock") private long entriesWritten;
    @GuardedBy("lock") private long flushes;
    @GuardedBy("lock") private long bareFlushes;
    @GuardedBy("lock") private long journalFullStalls;
    @GuardedBy("lock") private long reclaimRequests;

    private JournalWriter(BlockDevice device, JournalLayout layout, JournalSpace space,
            long nextSeq, ReplayPlan plan, Options options, ReclaimRequest reclaim) {
        this.device = device;
        this.layout = layout;
        this.space = space;
        this.options = options;
        this.reclaim = reclaim;
        long head = plan.headSeq();
        this.open = new OpenEntry(nextSeq, head);
        this.lastAppendedSeq = head;
        this.writtenSeq = head;
        this.durableSeq = head;
        this.writtenLastSeq = plan.lastSeq();
        this.checkpointRoots = new EnumMap<>(BtreeId.class);
        this.checkpointRoots.putAll(plan.roots());
        this.checkpointLastSeq = plan.lastSeq();
        this.lastStampedLastSeq = plan.lastSeq();
        this.thread = new Thread(this::runWriter, "keelfs-journal-writer " + device.describe());
        this.thread.setDaemon(true);
    }

    /**
     * mkfs: zeroes every journal bucket whole (so that no entry of an earlier filesystem on
     * the device can ever be scanned as ours: the scan reads on past our newest entry), then
     * writes entry 1 (FLUSH, lastSeq 1, no roots) at the start of bucket 0 and flushes.
     */
    public static void format(BlockDevice device, JournalLayout layout) throws KeelException {
        layout.checkFits(device);
        byte[] zeros = new byte[Math.min(layout.bucketSizeBytes(), FORMAT_CHUNK_BYTES)];
        try {
            for (int b = 0; b < layout.bucketCount(); b++) {
                for (int done = 0; done < layout.bucketSizeBytes(); done += zeros.length) {
                    int n = Math.min(zeros.length, layout.bucketSizeBytes() - done);
                    device.write(layout.bucketOffsetBytes(b) + done,
                            ByteBuffer.wrap(zeros, 0, n), false);
                }
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
     * the head. Writing starts at offset 0 of the bucket after the head's bucket; buckets
     * holding replayed entries stay in use until a checkpoint's lastSeq passes them.
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
        JournalWriter writer =
                new JournalWriter(device, layout, space, nextSeq, plan, options, reclaim);
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
        lock.lock();
        try {
            return appendLocked(updates, recordBytes);
        } finally {
            lock.unlock();
        }
    }

    @GuardedBy("lock")
    private long appendLocked(List<JournalRecord.KeyUpdate> updates, int recordBytes)
            throws KeelException {
        checkUsable();
        long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(
                options.journalFullWaitMs());
        boolean reclaimRequested = false;
        // Bounded by the deadline: every pass either returns, or waits, or makes progress
        // (closes a full entry, which it can do at most ENTRIES_QUEUED_MAX times before waiting).
        while (true) {
            if (open.slot == null && closed.size() < ENTRIES_QUEUED_MAX) {
                open.slot = space.place(OpenEntry.bytesNeeded(recordBytes),
                        Math.min(checkpointLastSeq, open.seq));
            }
            if (open.fits(recordBytes, layout.bucketSizeBytes())) {
                if (!open.hasRecords()) {
                    open.firstAppendNanos = System.nanoTime();
                }
                open.updates.addAll(updates);
                open.recordBytes += recordBytes;
                lastAppendedSeq = open.seq;
                appends++;
                writerWake.signal();
                return open.seq;
            }
            if (open.hasRecords() && closed.size() < ENTRIES_QUEUED_MAX) {
                closeOpen();
                continue;
            }
            journalFullStalls++;
            if (!reclaimRequested && open.slot == null && closed.size() < ENTRIES_QUEUED_MAX) {
                reclaimRequested = true;
                reclaimRequests++;
                lock.unlock();
                try {
                    reclaim.requestReclaim();
                } finally {
                    lock.lock();
                }
                checkUsable();
                continue;
            }
            long leftNanos = deadlineNanos - System.nanoTime();
            if (leftNanos <= 0) {
                throw new NoSpaceException(journalFullMessage(recordBytes));
            }
            spaceWaiters++;
            try {
                progress.awaitNanos(leftNanos);
            } catch (InterruptedException e) {
                throw interrupted("waiting for journal space", e);
            } finally {
                spaceWaiters--;
            }
            checkUsable();
        }
    }

    @GuardedBy("lock")
    private String journalFullMessage(int recordBytes) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("journal full: no room for entry %d (%d record bytes) after %d ms;"
                        + " %d closed entries queued, %d reclaim requests so far, checkpoint "
                        + "lastSeq %d, durable seq %d; ",
                open.seq, recordBytes, options.journalFullWaitMs(), closed.size(),
                reclaimRequests, checkpointLastSeq, durableSeq));
        space.appendTo(sb);
        return sb.toString();
    }

    /** Closes the open entry: stamps roots and lastSeq, reserves its space, queues it. */
    @GuardedBy("lock")
    private void closeOpen() {
        OpenEntry o = open;
        long stampedLastSeq = Math.min(checkpointLastSeq, o.seq);
        JournalEntry entry = new JournalEntry(
                o.seq, o.prevSeq, stampedLastSeq, 0, o.updates, checkpointRoots);
        int sizeBytes = JournalEntryCodec.encodedBytes(entry, layout.blockSizeBytes());
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
     * Returns once an entry with seq ≥ {@code seq} has been written and a device flush issued
     * after that write has returned. Concurrent waiters share one flush.
     *
     * @throws DeviceIoException a journal write or flush failed, or took over
     *     {@link #IO_WAIT_MS_MAX}
     */
    public void awaitDurable(long seq) throws KeelException {
        lock.lock();
        try {
            Preconditions.checkArgument(seq <= lastAppendedSeq,
                    "seq %s was never appended (newest %s)", seq, lastAppendedSeq);
            if (durableSeq >= seq) {
                return;
            }
            flushWantedSeq = Math.max(flushWantedSeq, seq);
            writerWake.signal();
            awaitLocked(() -> durableSeq >= seq, "entry " + seq + " durable");
        } finally {
            lock.unlock();
        }
    }

    /** Returns once an entry with seq ≥ {@code seq} has been written (not necessarily flushed). */
    public void awaitWritten(long seq) throws KeelException {
        lock.lock();
        try {
            Preconditions.checkArgument(seq <= lastAppendedSeq,
                    "seq %s was never appended (newest %s)", seq, lastAppendedSeq);
            if (writtenSeq >= seq) {
                return;
            }
            writeWantedSeq = Math.max(writeWantedSeq, seq);
            writerWake.signal();
            awaitLocked(() -> writtenSeq >= seq, "entry " + seq + " written");
        } finally {
            lock.unlock();
        }
    }

    @GuardedBy("lock")
    private void awaitLocked(BooleanSupplier done, String what) throws KeelException {
        long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(IO_WAIT_MS_MAX);
        // Bounded by the deadline.
        while (!done.getAsBoolean()) {
            if (failure != null) {
                throw failure;
            }
            long leftNanos = deadlineNanos - System.nanoTime();
            if (leftNanos <= 0) {
                throw new DeviceIoException("journal: waiting for " + what, new IOException(
                        "no progress for " + IO_WAIT_MS_MAX + " ms; " + describeLocked()));
            }
            try {
                progress.awaitNanos(leftNanos);
            } catch (InterruptedException e) {
                throw interrupted("waiting for " + what, e);
            }
        }
    }

    /**
     * Records a completed checkpoint: its btree roots and the oldest seq still needed. Later
     * entries carry them (lastSeq capped at the entry's own seq); the next entry is closed
     * and flushed promptly so that the space below lastSeq is freed.
     *
     * @param roots the root of every btree that has one, already durable on the device
     * @param lastSeq the oldest seq whose keys are not all in the checkpoint; never decreases
     *     and is at most the newest appended seq + 1
     */
    public void setCheckpoint(Map<BtreeId, NodePointer> roots, long lastSeq) {
        lock.lock();
        try {
            Preconditions.checkArgument(lastSeq >= checkpointLastSeq,
                    "checkpoint lastSeq %s moves back from %s", lastSeq, checkpointLastSeq);
            Preconditions.checkArgument(lastSeq <= lastAppendedSeq + 1,
                    "checkpoint lastSeq %s beyond newest appended seq %s + 1",
                    lastSeq, lastAppendedSeq);
            checkpointRoots = new EnumMap<>(BtreeId.class);
            checkpointRoots.putAll(roots);
            checkpointLastSeq = lastSeq;
            checkpointPending = true;
            writerWake.signal();
            progress.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The highest seq known durable. */
    public long durableSeq() {
        lock.lock();
        try {
            return durableSeq;
        } finally {
            lock.unlock();
        }
    }

    /** The seq the next {@link #append} will return (unless the open entry fills up first). */
    public long nextSeq() {
        lock.lock();
        try {
            return open.seq;
        } finally {
            lock.unlock();
        }
    }

    /** Fraction of journal space holding needed entries; start reclaim at about 0.5. */
    public double fillRatio() {
        lock.lock();
        try {
            return space.fillRatio();
        } finally {
            lock.unlock();
        }
    }

    public Stats stats() {
        lock.lock();
        try {
            return new Stats(appends, entriesWritten, flushes, bareFlushes, journalFullStalls,
                    reclaimRequests);
        } finally {
            lock.unlock();
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
        lock.lock();
        try {
            closing = true;
            writerWake.signal();
            progress.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(IO_WAIT_MS_MAX);
        } catch (InterruptedException e) {
            throw interrupted("closing the journal", e);
        }
        lock.lock();
        try {
            if (thread.isAlive()) {
                throw new DeviceIoException("journal: closing", new IOException(
                        "writer thread still busy after " + IO_WAIT_MS_MAX + " ms; "
                                + describeLocked()));
            }
            if (failure != null) {
                throw failure;
            }
        } finally {
            lock.unlock();
        }
    }

    /** State for messages and tests. */
    public void appendTo(StringBuilder sb) {
        lock.lock();
        try {
            sb.append(describeLocked());
        } finally {
            lock.unlock();
        }
    }

    @GuardedBy("lock")
    private String describeLocked() {
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

    @GuardedBy("lock")
    private void checkUsable() throws KeelException {
        if (failure != null) {
            throw failure;
        }
        Preconditions.checkState(!closing, "journal on %s is closed", device.describe());
    }

    private static DeviceIoException interrupted(String what, InterruptedException e) {
        Thread.currentThread().interrupt();
        InterruptedIOException cause = new InterruptedIOException("interrupted");
        cause.initCause(e);
        return new DeviceIoException("journal: " + what, cause);
    }

    // ---- The writer thread -------------------------------------------------------------------

    /** A unit of writer-thread work: entries to write (maybe none), then maybe a flush. */
    private record Work(List<OpenEntry.Closed> batch, boolean flush, long seq, long lastSeq) {}

    private void runWriter() {
        try {
            while (true) {
                Work work;
                lock.lock();
                try {
                    work = nextWork();
                } finally {
                    lock.unlock();
                }
                if (work == null) {
                    return;
                }
                perform(work);
            }
        } catch (IOException e) {
            fail(new DeviceIoException("journal write or flush on " + device.describe(), e));
        } catch (RuntimeException | Error e) {
            fail(new InconsistentException("journal writer thread died: " + e));
            throw e;
        } catch (InterruptedException e) {
            fail(interrupted("journal writer thread", e));
        }
    }

    private void fail(KeelException e) {
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

    /** Waits for and takes the next work; null when closed and drained, or failed. */
    @GuardedBy("lock")
    private Work nextWork() throws InterruptedException {
        // Bounded: each pass returns work or waits for a signal or the write delay.
        while (failure == null) {
            long nowNanos = System.nanoTime();
            long delayNanos = TimeUnit.MILLISECONDS.toNanos(options.writeDelayMs());
            if (open.hasRecords() && shouldClose(nowNanos, delayNanos)) {
                closeOpen();
            }
            if (!closed.isEmpty()) {
                return takeBatch();
            }
            boolean flushWanted = flushWantedSeq > durableSeq || closing;
            if (flushWanted && writtenSeq > durableSeq) {
                return new Work(List.of(), true, writtenSeq, writtenLastSeq);
            }
            if (closing) {
                return null;
            }
            if (open.hasRecords()) {
                writerWake.awaitNanos(open.firstAppendNanos + delayNanos - nowNanos);
            } else {
                writerWake.await();
            }
        }
        return null;
    }

    @GuardedBy("lock")
    private boolean shouldClose(long nowNanos, long delayNanos) {
        return closing
                || checkpointPending
                || spaceWaiters > 0
                || flushWantedSeq >= open.seq
                || writeWantedSeq >= open.seq
                || open.recordBytes >= options.entryCloseBytes()
                || nowNanos - open.firstAppendNanos >= delayNanos;
    }

    /**
     * Takes closed entries up to the first that must be followed by a flush, and decides
     * whether this batch ends with a flush: when an entry demands it, when anyone waits for
     * durability, or when closing. The last entry of a flushed batch is marked FLUSH.
     */
    @GuardedBy("lock")
    private Work takeBatch() {
        List<OpenEntry.Closed> batch = new ArrayList<>();
        boolean flush = false;
        while (!closed.isEmpty() && !flush) {
            OpenEntry.Closed c = closed.poll();
            batch.add(c);
            flush = c.mustFlush() || c.entry().seq() - durableSeq >= UNFLUSHED_ENTRIES_MAX;
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
        return new Work(batch, flush, last.entry().seq(), last.entry().lastSeq());
    }

    /** Does the I/O of one unit of work, without the lock, then publishes the result. */
    private void perform(Work work) throws IOException {
        for (OpenEntry.Closed c : work.batch()) {
            byte[] bytes = JournalEntryCodec.encode(c.entry(), layout.blockSizeBytes());
            long offset = layout.bucketOffsetBytes(c.slot().bucketIndex())
                    + c.slot().offsetInBucketBytes();
            device.write(offset, ByteBuffer.wrap(bytes), false);
        }
        if (!work.batch().isEmpty()) {
            lock.lock();
            try {
                writtenSeq = work.seq();
                writtenLastSeq = work.lastSeq();
                entriesWritten += work.batch().size();
                progress.signalAll();
            } finally {
                lock.unlock();
            }
        }
        if (!work.flush()) {
            return;
        }
        device.flush();
        lock.lock();
        try {
            durableSeq = Math.max(durableSeq, work.seq());
            space.advanceDurableLastSeq(work.lastSeq());
            flushes++;
            bareFlushes += work.batch().isEmpty() ? 1 : 0;
            progress.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
