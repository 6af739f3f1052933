package io.keelfs.journal;

import com.google.common.base.Preconditions;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.keelfs.block.BlockDevice;
import io.keelfs.error.DeviceIoException;
import io.keelfs.error.InconsistentException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The journal's writer thread: closes the open entry when it is due, writes closed entries
 * in seq order, and flushes the device after a batch when anyone needs durability. Entry
 * points: {@link #run}; {@link #takeWork} and {@link #performAndRelease}, which a committer
 * waiting for durability also calls to do the I/O itself when nobody else is doing any
 * (saving the two thread hand-offs a wait through this thread costs).
 *
 * <p>Ordering rule: the next batch's writes are issued only after the previous batch's flush
 * has returned. So any entry on disk with a seq above a FLUSH entry proves that entry's flush
 * completed (the reader relies on this), and {@link JournalWriter#UNFLUSHED_ENTRIES_MAX}
 * bounds how far written entries run ahead of durable ones.
 *
 * <p>Threading: runs on its own daemon thread; takes the {@link JournalBuffers} lock to pick
 * work and to publish results, never during device I/O. At most one performer at a time:
 * work is taken only with {@link JournalBuffers#ioBusy} clear, which taking it sets. An I/O
 * error kills the journal: every waiter then gets the {@link DeviceIoException}.
 */
final class JournalWriteThread implements Runnable {
    /** One unit of work: entries to write (maybe none), then maybe a flush. */
    record Work(List<OpenEntry.Closed> batch, boolean flush, long seq, long lastSeq) {}

    private final BlockDevice device;
    private final JournalLayout layout;
    private final JournalWriter.Options options;
    private final JournalBuffers buffers;

    JournalWriteThread(BlockDevice device, JournalLayout layout, JournalWriter.Options options,
            JournalBuffers buffers) {
        this.device = device;
        this.layout = layout;
        this.options = options;
        this.buffers = buffers;
    }

    @Override
    public void run() {
        try {
            while (true) {
                Work work;
                buffers.lock.lock();
                try {
                    work = nextWork();
                } finally {
                    buffers.lock.unlock();
                }
                if (work == null) {
                    return;
                }
                performAndRelease(work);
            }
        } catch (IOException e) {
            buffers.fail(ioFailed(e));
        } catch (InterruptedException e) {
            buffers.fail(JournalBuffers.interrupted("journal writer thread", e));
        } catch (RuntimeException | Error e) {
            buffers.fail(new InconsistentException("journal writer thread died: " + e));
            throw e;
        }
    }

    /** Waits for and takes the next work; null when closed and drained, or failed. */
    @GuardedBy("buffers.lock")
    private Work nextWork() throws InterruptedException {
        JournalBuffers b = buffers;
        long delayNanos = TimeUnit.MILLISECONDS.toNanos(options.writeDelayMs());
        // Bounded: each pass returns work, or waits for a signal or for the write delay.
        while (b.failure == null) {
            assert b.verify() : b.describe();
            // A committer doing the I/O itself (JournalWriter#awaitDurable) signals when done;
            // until then nothing may be written (one performer keeps the batch order).
            if (b.ioBusy) {
                b.writerAwaitsIo = true;
                try {
                    b.writerWake.await();
                } finally {
                    b.writerAwaitsIo = false;
                }
                continue;
            }
            long nowNanos = System.nanoTime();
            Work work = takeWork(nowNanos, delayNanos);
            if (work != null) {
                return work;
            }
            if (b.closing) {
                return null;
            }
            if (b.open.hasRecords()) {
                b.writerWake.awaitNanos(b.open.firstAppendNanos + delayNanos - nowNanos);
            } else {
                b.writerWake.await();
            }
        }
        return null;
    }

    /**
     * Takes the work due now, or returns null: closes the open entry when it is due, then
     * takes the closed entries as one batch, or a bare flush when written entries are waited
     * for (or closing). Taking work sets {@link JournalBuffers#ioBusy}; the caller is then the
     * one performer and must call {@link #performAndRelease}. Only with ioBusy clear.
     */
    @GuardedBy("buffers.lock")
    Work takeWork(long nowNanos, long delayNanos) {
        JournalBuffers b = buffers;
        Preconditions.checkState(!b.ioBusy, "journal work taken while another performs");
        if (b.open.hasRecords() && shouldClose(nowNanos, delayNanos)) {
            b.closeOpen();
        }
        Work work = null;
        if (!b.closed.isEmpty()) {
            work = b.takeBatch();
        } else if ((b.flushWantedSeq > b.durableSeq || b.closing)
                && b.writtenSeq > b.durableSeq) {
            // Entries written without a flush and now waited for, or closing: a bare flush.
            work = new Work(List.of(), true, b.writtenSeq, b.writtenLastSeq);
        }
        b.ioBusy = work != null;
        return work;
    }

    /** Whether the open entry (which has records) is due to be closed now. */
    @GuardedBy("buffers.lock")
    private boolean shouldClose(long nowNanos, long delayNanos) {
        JournalBuffers b = buffers;
        return b.closing
                || b.checkpointPending
                || b.spaceWaiters > 0
                || b.flushWantedSeq >= b.open.seq
                || b.writeWantedSeq >= b.open.seq
                || b.open.recordBytes >= options.entryCloseBytes()
                || nowNanos - b.open.firstAppendNanos >= delayNanos;
    }

    /**
     * Does the I/O of work taken with {@link JournalBuffers#ioBusy} set (by this thread or by
     * a committer), then clears it and wakes the writer thread, which may have waited for it.
     */
    void performAndRelease(Work work) throws IOException {
        try {
            perform(work);
        } finally {
            buffers.lock.lock();
            try {
                buffers.ioBusy = false;
                // Only a writer that waited for this I/O needs waking (a committer's I/O
                // must not cost the writer thread a wake-up each time).
                if (buffers.writerAwaitsIo) {
                    buffers.writerWake.signal();
                }
            } finally {
                buffers.lock.unlock();
            }
        }
    }

    /** The error every waiter gets once a journal write or flush failed. */
    DeviceIoException ioFailed(IOException e) {
        return new DeviceIoException("journal write or flush on " + device.describe(), e);
    }

    /** Does the I/O of one unit of work, without the lock, then publishes the result. */
    private void perform(Work work) throws IOException {
        for (OpenEntry.Closed c : work.batch()) {
            byte[] bytes = JournalEntryCodec.encode(c.entry(), layout.blockSizeBytes());
            long offset = layout.bucketOffsetBytes(c.slot().bucketIndex())
                    + c.slot().offsetInBucketBytes();
            device.write(offset, ByteBuffer.wrap(bytes), false);
        }
        JournalBuffers b = buffers;
        if (!work.batch().isEmpty()) {
            b.lock.lock();
            try {
                b.writtenSeq = work.seq();
                b.writtenLastSeq = work.lastSeq();
                b.entriesWritten += work.batch().size();
                b.progress.signalAll();
            } finally {
                b.lock.unlock();
            }
        }
        if (!work.flush()) {
            return;
        }
        long flushStartNanos = System.nanoTime();
        device.flush();
        long flushNanos = System.nanoTime() - flushStartNanos;
        b.lock.lock();
        try {
            b.flushNanos += flushNanos;
            b.flushNanosMax = Math.max(b.flushNanosMax, flushNanos);
            b.durableSeq = Math.max(b.durableSeq, work.seq());
            b.space.advanceDurableLastSeq(work.lastSeq());
            b.flushes++;
            b.bareFlushes += work.batch().isEmpty() ? 1 : 0;
            b.progress.signalAll();
        } finally {
            b.lock.unlock();
        }
    }
}
