package io.keelfs.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.error.DeviceIoException;
import io.keelfs.error.Errno;
import io.keelfs.error.FsException;
import io.keelfs.error.KeelException;
import io.keelfs.error.NoSpaceException;
import io.keelfs.format.BtreeId;
import io.keelfs.format.NodePointer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The writer: group commit (flushes shared), awaitDurable waiting for the flush itself, ring
 * wraparound with checkpoints read back correctly, journal full (reclaim, then proceed or time
 * out), clean restart, error values, thread shutdown.
 *
 * <p>Not covered here: crashes (JournalCrashTest), damaged journals (JournalReaderTest).
 * Random tests print their seed; rerun with the printed value in {@code seed()}.
 */
class JournalWriterTest {

    private static long seed(String test) {
        long seed = Long.getLong("keelfs.seed", System.nanoTime());
        System.out.println(test + " seed " + seed);
        return seed;
    }

    /** Records every appended transaction by seq, to compare with what is read back. */
    static final class Model {
        final Map<Long, List<JournalRecord.KeyUpdate>> bySeq = new ConcurrentHashMap<>();

        synchronized void add(long seq, List<JournalRecord.KeyUpdate> txn) {
            bySeq.computeIfAbsent(seq, s -> Collections.synchronizedList(new ArrayList<>()))
                    .addAll(txn);
        }
    }

    @Test
    void appendsReadBackInOrder() throws Exception {
        Random r = new Random(seed("appendsReadBackInOrder"));
        JournalLayout layout = JournalTestSupport.layout(8, 16 * 1024);
        RecordingDevice device = new RecordingDevice(JournalTestSupport.deviceBytes(layout), 512);
        Model model = new Model();
        try (JournalWriter w = JournalTestSupport.fresh(
                device, layout, JournalWriter.Options.defaults(), () -> { })) {
            assertEquals(2, w.nextSeq());
            for (int i = 0; i < 40; i++) {
                List<JournalRecord.KeyUpdate> txn = JournalTestSupport.txn(r, 5, 100);
                long seq = w.append(txn);
                model.add(seq, txn);
                if (r.nextInt(3) == 0) {
                    w.awaitDurable(seq);
                    assertTrue(w.durableSeq() >= seq);
                }
            }
        }
        ReplayPlan plan = JournalReader.read(device, layout);
        assertEquals(List.of(), plan.problems());
        plan.verify();
        assertEquals(1, plan.lastSeq());
        List<JournalRecord.KeyUpdate> expected = new ArrayList<>();
        model.bySeq.keySet().stream().sorted().forEach(s -> expected.addAll(model.bySeq.get(s)));
        List<JournalRecord.KeyUpdate> actual = new ArrayList<>();
        plan.entries().forEach(e -> actual.addAll(e.updates()));
        assertEquals(expected, actual);
        for (JournalEntry e : plan.entries()) {
            List<JournalRecord.KeyUpdate> m = model.bySeq.get(e.seq());
            assertEquals(m == null ? List.of() : m, e.updates(), "entry " + e.seq());
        }
    }

    @Test
    void groupCommitSharesFlushes() throws Exception {
        JournalLayout layout = JournalTestSupport.layout(8, 256 * 1024);
        RecordingDevice device = new RecordingDevice(JournalTestSupport.deviceBytes(layout), 512);
        device.flushLatencyNanos = TimeUnit.MICROSECONDS.toNanos(300);
        Model model = new Model();
        int threads = 16;
        int commitsPerThread = 150;
        long start = System.nanoTime();
        JournalWriter w = JournalTestSupport.fresh(
                device, layout, JournalWriter.Options.defaults(), () -> { });
        long flushesBefore = device.flushes.get();
        runCommitters(w, model, threads, commitsPerThread, 1);
        long flushes = device.flushes.get() - flushesBefore;
        JournalWriter.Stats stats = w.stats();
        w.close();
        int commits = threads * commitsPerThread;
        System.out.printf("group commit: %d commits, %d device flushes, %d entries written, "
                        + "%.1f ms%n", commits, flushes, stats.entriesWritten(),
                (System.nanoTime() - start) / 1e6);
        assertTrue(flushes * 4 < commits, flushes + " flushes for " + commits + " commits");
        assertEquals(commits, stats.appends());
        assertReplayed(device, layout, model, commits);
    }

    /**
     * Runs {@code threads} committers of {@code commitsPerThread} one-key commits each; each
     * waits for durability of every {@code awaitEvery}-th of its commits.
     */
    private static void runCommitters(JournalWriter w, Model model, int threads,
            int commitsPerThread, int awaitEvery) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            futures.add(pool.submit(() -> {
                Random r = new Random(thread);
                for (int i = 0; i < commitsPerThread; i++) {
                    List<JournalRecord.KeyUpdate> txn = List.of(
                            JournalTestSupport.update(thread, i, r.nextInt(64), r));
                    long seq = w.append(txn);
                    model.add(seq, txn);
                    if (i % awaitEvery == 0) {
                        w.awaitDurable(seq);
                        assertTrue(w.durableSeq() >= seq);
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
    }

    /** The journal read back holds exactly the model's commits, entry by entry. */
    private static void assertReplayed(RecordingDevice device, JournalLayout layout,
            Model model, int commits) throws KeelException {
        ReplayPlan plan = JournalReader.read(device, layout);
        assertEquals(List.of(), plan.problems());
        int replayed = 0;
        for (JournalEntry e : plan.entries()) {
            replayed += e.updates().size();
            // Committers record their seq after append returns, so compare as sets.
            assertEquals(new HashSet<>(model.bySeq.getOrDefault(e.seq(), List.of())),
                    new HashSet<>(e.updates()), "entry " + e.seq());
        }
        assertEquals(commits, replayed);
    }

    /**
     * Leader commit: committers waiting for durability do the journal I/O themselves, but
     * never two at once and never beside the writer thread (the reader's proof of durability
     * needs each batch's flush to return before the next batch's writes start).
     */
    @Test
    void committersDoingTheirOwnIoNeverOverlap() throws Exception {
        JournalLayout layout = JournalTestSupport.layout(8, 256 * 1024);
        RecordingDevice device = new RecordingDevice(JournalTestSupport.deviceBytes(layout), 512);
        device.flushLatencyNanos = TimeUnit.MICROSECONDS.toNanos(100);
        Model model = new Model();
        int threads = 8;
        int commitsPerThread = 200;
        JournalWriter w = JournalTestSupport.fresh(
                device, layout, JournalWriter.Options.defaults(), () -> { });
        // Every other commit is not waited for: the writer thread's timer then writes some
        // batches while committers write others.
        runCommitters(w, model, threads, commitsPerThread, 2);
        JournalWriter.Stats stats = w.stats();
        w.close();
        assertEquals(1, device.ioInFlightMax.get(), "journal I/O overlapped");
        assertTrue(stats.inlineBatches() > 0, "no committer wrote its own batch: " + stats);
        assertReplayed(device, layout, model, threads * commitsPerThread);
    }

    /**
     * Forces the interleaving: committer A's own flush is held; committer B appends and waits,
     * and the writer thread is woken for B's entry. Neither may write until A's flush returns.
     */
    @Test
    void nothingIsWrittenWhileACommittersFlushIsHeld() throws Exception {
        JournalLayout layout = JournalTestSupport.layout(4, 16 * 1024);
        RecordingDevice device = new RecordingDevice(JournalTestSupport.deviceBytes(layout), 512);
        JournalWriter w = JournalTestSupport.fresh(
                device, layout, JournalWriter.Options.defaults(), () -> { });
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch flushEntered = new CountDownLatch(1);
        device.holdFlushes(gate, flushEntered);
        long seqA = w.append(List.of(JournalTestSupport.deletion(1, 1)));
        CompletableFuture<Void> a = CompletableFuture.runAsync(() -> awaitDurable(w, seqA));
        assertTrue(flushEntered.await(10, TimeUnit.SECONDS), "A never flushed");
        long writesDuringHold = device.writes.get();
        long seqB = w.append(List.of(JournalTestSupport.deletion(2, 2)));
        assertTrue(seqB > seqA);
        Thread b = new Thread(() -> awaitDurable(w, seqB), "committer B");
        b.start();
        // B is parked in its wait (it found the I/O busy), with the writer thread woken by it.
        awaitParked(b);
        assertEquals(writesDuringHold, device.writes.get(), "a write went out during a flush");
        assertEquals(1, device.ioInFlight.get());
        gate.countDown();
        a.get(10, TimeUnit.SECONDS);
        b.join(10_000);
        assertFalse(b.isAlive());
        assertTrue(w.durableSeq() >= seqB);
        assertEquals(1, device.ioInFlightMax.get(), "journal I/O overlapped");
        w.close();
    }

    private static void awaitDurable(JournalWriter w, long seq) {
        try {
            w.awaitDurable(seq);
        } catch (KeelException e) {
            throw new CompletionException(e);
        }
    }

    /** Waits (bounded) until {@code t} parks; a thread state, not a guessed delay. */
    private static void awaitParked(Thread t) {
        long deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            assertTrue(System.nanoTime() < deadlineNanos, t.getName() + " never parked");
            Thread.onSpinWait();
        }
    }

    @Test
    void awaitDurableWaitsForTheFlush() throws Exception {
        JournalLayout layout = JournalTestSupport.layout(4, 16 * 1024);
        RecordingDevice device = new RecordingDevice(JournalTestSupport.deviceBytes(layout), 512);
        JournalWriter w = JournalTestSupport.fresh(
                device, layout, JournalTestSupport.lazy(), () -> { });
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch flushEntered = new CountDownLatch(1);
        device.holdFlushes(gate, flushEntered);
        long seq = w.append(List.of(JournalTestSupport.deletion(1, 2)));
        CountDownLatch returned = new CountDownLatch(1);
        AtomicLong durableAtReturn = new AtomicLong(-1);
        Thread waiter = new Thread(() -> {
            try {
                w.awaitDurable(seq);
                durableAtReturn.set(w.durableSeq());
                returned.countDown();
            } catch (KeelException e) {
                throw new AssertionError(e);
            }
        });
        waiter.start();
        assertTrue(flushEntered.await(10, TimeUnit.SECONDS), "writer never flushed");
        // The entry is written and the flush has been issued but not returned.
        assertEquals(1, returned.getCount(), "awaitDurable returned before the flush did");
        assertTrue(w.durableSeq() < seq);
        // awaitWritten does not need the flush.
        w.awaitWritten(seq);
        assertEquals(1, returned.getCount());
        gate.countDown();
        assertTrue(returned.await(10, TimeUnit.SECONDS));
        assertTrue(durableAtReturn.get() >= seq);
        waiter.join();
        w.close();
    }

    /**
     * Many laps of a 4-bucket ring with checkpoints advancing lastSeq; after each, the reader
     * must find the newest head, replay exactly [lastSeq, head] and ignore stale entries.
     */
    @Test
    void ringWrapsWithCheckpointsAndReadsBack() throws Exception {
        Random r = new Random(seed("ringWrapsWithCheckpointsAndReadsBack"));
        JournalLayout layout = JournalTestSupport.layout(4, 8 * 1024);
        RecordingDevice device = new RecordingDevice(JournalTestSupport.deviceBytes(layout), 512);
        Model model = new Model();
        JournalWriter w = JournalTestSupport.fresh(
                device, layout, JournalWriter.Options.defaults(), () -> { });
        long checkpoints = 0;
        long checkpointLastSeq = 1;
        Map<Long, Long> checkpointLastSeqs = new HashMap<>(Map.of(0L, 1L));
        long lastSeq = 1;
        int laps = 0;
        for (int i = 0; i < 1500; i++) {
            List<JournalRecord.KeyUpdate> txn = JournalTestSupport.txn(r, 4, 120);
            lastSeq = w.append(txn);
            model.add(lastSeq, txn);
            if (r.nextInt(4) == 0) {
                w.awaitDurable(lastSeq);
            }
            if (w.fillRatio() > 0.5) {
                checkpoints++;
                checkpointLastSeq = Math.max(checkpointLastSeq, lastSeq + 1 - r.nextInt(2));
                w.setCheckpoint(JournalTestSupport.roots(checkpoints), checkpointLastSeq);
                checkpointLastSeqs.put(checkpoints, checkpointLastSeq);
            }
            if (i % 300 == 299) {
                w.awaitDurable(lastSeq);
                checkPlan(JournalReader.read(device, layout), model, lastSeq, checkpoints,
                        checkpointLastSeqs);
                laps++;
            }
        }
        w.close();
        ReplayPlan plan = JournalReader.read(device, layout);
        checkPlan(plan, model, lastSeq, checkpoints, checkpointLastSeqs);
        long entries = w.stats().entriesWritten();
        long capacityBlocks = 4L * (8 * 1024 / 512);
        System.out.printf("ring: %d entries written into %d blocks, %d checkpoints, %d reads%n",
                entries, capacityBlocks, checkpoints, laps);
        assertTrue(entries > 3 * capacityBlocks / 2, "the ring did not wrap");
    }

    /**
     * The head carries the checkpoint that was current when it closed: the newest, or the one
     * before if the newest was set after the last entry closed.
     */
    private static void checkPlan(ReplayPlan plan, Model model, long head, long checkpoints,
            Map<Long, Long> checkpointLastSeqs) {
        plan.verify();
        assertEquals(List.of(), plan.problems(), plan.toString());
        assertTrue(plan.headSeq() >= head, plan.toString());
        long k = plan.roots().equals(JournalTestSupport.roots(checkpoints))
                ? checkpoints : checkpoints - 1;
        if (k > 0) {
            assertEquals(JournalTestSupport.roots(k), plan.roots(), plan.toString());
        }
        assertEquals(Math.min(checkpointLastSeqs.get(Math.max(k, 0)), plan.headSeq()),
                plan.lastSeq(), plan.toString());
        assertTrue(plan.entries().get(0).seq() <= plan.lastSeq()
                || plan.entries().get(0).prevSeq() < plan.lastSeq());
        for (JournalEntry e : plan.entries()) {
            List<JournalRecord.KeyUpdate> m = model.bySeq.get(e.seq());
            assertEquals(m == null ? List.of() : m, e.updates(), "entry " + e.seq());
        }
        for (long s = plan.lastSeq(); s <= plan.headSeq(); s++) {
            long seq = s;
            assertTrue(plan.entries().stream().anyMatch(e -> e.seq() == seq), "missing " + s);
        }
    }

    @Test
    void journalFullRequestsReclaimBlocksThenProceeds() throws Exception {
        JournalLayout layout = JournalTestSupport.layout(3, 4 * 1024);
        RecordingDevice device = new RecordingDevice(JournalTestSupport.deviceBytes(layout), 512);
        CompletableFuture<Object> reclaimAskedFuture = new CompletableFuture<>();
        AtomicInteger reclaims = new AtomicInteger();
        JournalWriter w = JournalTestSupport.fresh(device, layout,
                new JournalWriter.Options(1, 1 << 20, 30_000), () -> {
                    reclaims.incrementAndGet();
                    reclaimAskedFuture.complete("reclaim");
                });
        Random r = new Random(7);
        long last = 0;
        // Fill until an append blocks: an entry takes one 512-byte block but needs 1.5 KiB of
        // room (header, roots reserve, records), so a 4 KiB bucket holds 6.
        ExecutorService committer = Executors.newSingleThreadExecutor();
        CompletableFuture<Long> blocked = null;
        for (int i = 0; i < 100 && blocked == null; i++) {
            List<JournalRecord.KeyUpdate> txn = List.of(JournalTestSupport.update(1, i, 400, r));
            CompletableFuture<Long> f = CompletableFuture.supplyAsync(() -> {
                try {
                    long seq = w.append(txn);
                    w.awaitDurable(seq);
                    return seq;
                } catch (KeelException e) {
                    throw new CompletionException(e);
                }
            }, committer);
            CompletableFuture.anyOf(f, reclaimAskedFuture).get(10, TimeUnit.SECONDS);
            if (f.isDone()) {
                last = f.get();
            } else {
                blocked = f;
            }
        }
        assertTrue(blocked != null, "journal never filled");
        assertFalse(blocked.isDone(), "append returned although the journal was full");
        assertTrue(w.fillRatio() > 0.5, "fill " + w.fillRatio());
        w.setCheckpoint(JournalTestSupport.roots(1), last + 1);
        long seq = blocked.get(10, TimeUnit.SECONDS);
        assertTrue(seq > last);
        assertEquals(1, reclaims.get());
        assertTrue(w.fillRatio() < 0.5, "fill " + w.fillRatio());
        committer.shutdown();
        w.close();
        ReplayPlan plan = JournalReader.read(device, layout);
        assertEquals(seq, plan.headSeq());
        assertEquals(JournalTestSupport.roots(1), plan.roots());
    }

    @Test
    void journalFullTimesOutWithNoSpaceThenRecovers() throws Exception {
        JournalLayout layout = JournalTestSupport.layout(3, 4 * 1024);
        RecordingDevice device = new RecordingDevice(JournalTestSupport.deviceBytes(layout), 512);
        AtomicInteger reclaims = new AtomicInteger();
        JournalWriter w = JournalTestSupport.fresh(device, layout,
                new JournalWriter.Options(1, 1 << 20, 100), reclaims::incrementAndGet);
        Random r = new Random(8);
        long last = 0;
        NoSpaceException full = null;
        for (int i = 0; i < 100 && full == null; i++) {
            try {
                last = w.append(List.of(JournalTestSupport.update(1, i, 400, r)));
                w.awaitDurable(last);
            } catch (NoSpaceException e) {
                full = e;
            }
        }
        assertTrue(full != null, "journal never filled");
        System.out.println("journal full message: " + full.getMessage());
        assertTrue(full.getMessage().startsWith("journal full: "), full.getMessage());
        assertTrue(full.getMessage().contains("free buckets"), full.getMessage());
        assertEquals(Errno.ENOSPC, full.errno());
        assertTrue(reclaims.get() >= 1);
        w.setCheckpoint(JournalTestSupport.roots(3), last + 1);
        long seq = w.append(List.of(JournalTestSupport.deletion(5, 5)));
        w.awaitDurable(seq);
        w.close();
        assertEquals(seq, JournalReader.read(device, layout).headSeq());
    }

    @Test
    void tooLargeTransactionIsAnErrorValue() throws Exception {
        JournalLayout layout = JournalTestSupport.layout(3, 4 * 1024);
        RecordingDevice device = new RecordingDevice(JournalTestSupport.deviceBytes(layout), 512);
        try (JournalWriter w = JournalTestSupport.fresh(
                device, layout, JournalWriter.Options.defaults(), () -> { })) {
            Random r = new Random(1);
            List<JournalRecord.KeyUpdate> huge = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                huge.add(JournalTestSupport.update(1, i, 1000, r));
            }
            FsException e = assertThrows(FsException.class, () -> w.append(huge));
            assertEquals(Errno.E2BIG, e.errno());
            assertThrows(IllegalArgumentException.class, () -> w.append(List.of()));
            long seq = w.append(huge.subList(0, 1));
            w.awaitDurable(seq);
        }
    }

    @Test
    void checkpointLastSeqNeverMovesBack() throws Exception {
        JournalLayout layout = JournalTestSupport.layout(3, 4 * 1024);
        RecordingDevice device = new RecordingDevice(JournalTestSupport.deviceBytes(layout), 512);
        try (JournalWriter w = JournalTestSupport.fresh(
                device, layout, JournalWriter.Options.defaults(), () -> { })) {
            long seq = w.append(List.of(JournalTestSupport.deletion(1, 1)));
            w.setCheckpoint(Map.of(), seq);
            assertThrows(IllegalArgumentException.class, () -> w.setCheckpoint(Map.of(), seq - 1));
            assertThrows(IllegalArgumentException.class, () -> w.setCheckpoint(Map.of(), seq + 2));
            assertThrows(IllegalArgumentException.class, () -> w.awaitDurable(seq + 1));
        }
    }

    @Test
    void cleanRestartContinuesAtHeadPlusOne() throws Exception {
        JournalLayout layout = JournalTestSupport.layout(4, 8 * 1024);
        RecordingDevice device = new RecordingDevice(JournalTestSupport.deviceBytes(layout), 512);
        long seq;
        Map<BtreeId, NodePointer> roots = JournalTestSupport.roots(4);
        try (JournalWriter w = JournalTestSupport.fresh(
                device, layout, JournalWriter.Options.defaults(), () -> { })) {
            seq = w.append(List.of(JournalTestSupport.deletion(1, 1)));
            w.setCheckpoint(roots, seq);
        }
        ReplayPlan plan = JournalReader.read(device, layout);
        assertEquals(seq, plan.headSeq());
        assertEquals(roots, plan.roots());
        assertEquals(seq, plan.lastSeq());
        try (JournalWriter w = JournalWriter.resume(device, layout, plan, true)) {
            assertEquals(seq + 1, w.nextSeq());
            assertEquals(seq, w.durableSeq());
            long next = w.append(List.of(JournalTestSupport.deletion(2, 2)));
            assertEquals(seq + 1, next);
            w.awaitDurable(next);
        }
        ReplayPlan again = JournalReader.read(device, layout);
        assertEquals(seq + 1, again.headSeq());
        assertEquals(seq, again.head().prevSeq());
        assertNotEquals(plan.headBucketIndex(), again.headBucketIndex(),
                "resume must start in the bucket after the head's");
        assertEquals(roots, again.roots());
    }

    /** A failed write kills the journal: waiters, later appends and close all get the EIO. */
    @Test
    void writeErrorFailsEveryoneWithDeviceIoException() throws Exception {
        JournalLayout layout = JournalTestSupport.layout(3, 4 * 1024);
        RecordingDevice device = new RecordingDevice(JournalTestSupport.deviceBytes(layout), 512);
        JournalWriter w = JournalTestSupport.fresh(
                device, layout, JournalTestSupport.lazy(), () -> { });
        long ok = w.append(List.of(JournalTestSupport.deletion(1, 1)));
        w.awaitDurable(ok);
        device.failWrites = true;
        long seq = w.append(List.of(JournalTestSupport.deletion(2, 2)));
        DeviceIoException e = assertThrows(DeviceIoException.class, () -> w.awaitDurable(seq));
        assertEquals(Errno.EIO, e.errno());
        assertTrue(e.getMessage().contains("injected write error"), e.getMessage());
        assertThrows(DeviceIoException.class,
                () -> w.append(List.of(JournalTestSupport.deletion(3, 3))));
        assertThrows(DeviceIoException.class, w::close);
        assertEquals(ok, w.durableSeq());
    }


    /**
     * Appends wake the writer thread only when it has something new to do (issue 5: a wake per
     * commit cost a context switch per FUSE write): the first append to an open entry (the
     * writer then waits with that append's deadline) and an append that fills the entry.
     * Later appends ride on the pending deadline, and awaiting durability still wakes it.
     */
    @Test
    void appendsWakeTheWriterOnlyWhenItHasWork() throws Exception {
        JournalLayout layout = JournalTestSupport.layout(8, 64 * 1024);
        RecordingDevice device = new RecordingDevice(JournalTestSupport.deviceBytes(layout), 512);
        try (JournalWriter w = JournalTestSupport.fresh(
                device, layout, JournalTestSupport.lazy(), () -> { })) {
            long seq = 0;
            for (int i = 0; i < 50; i++) {
                seq = w.append(List.of(JournalTestSupport.deletion(1, i)));
            }
            assertEquals(50, w.stats().appends());
            assertEquals(1, w.stats().appendWakes(), "one open entry, one wake");
            w.awaitDurable(seq);
            assertEquals(seq, w.durableSeq());
            w.append(List.of(JournalTestSupport.deletion(2, 0)));
            assertEquals(2, w.stats().appendWakes(), "a new open entry wakes again");
        }
    }

    /** An append that fills the open entry wakes the writer, which writes it before the delay. */
    @Test
    void anAppendFillingTheEntryWakesTheWriter() throws Exception {
        JournalLayout layout = JournalTestSupport.layout(8, 64 * 1024);
        RecordingDevice device = new RecordingDevice(JournalTestSupport.deviceBytes(layout), 512);
        int closeBytes = 2048;
        try (JournalWriter w = JournalTestSupport.fresh(
                device, layout, new JournalWriter.Options(10_000, closeBytes, 2_000), () -> { })) {
            Random r = new Random(1);
            w.append(List.of(JournalTestSupport.update(1, 0, 16, r)));
            w.append(List.of(JournalTestSupport.update(1, 1, closeBytes, r)));
            assertEquals(2, w.stats().appendWakes());
            // Bounded: 5 s, half the 10 s write delay that would otherwise close the entry.
            long deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (w.stats().entriesWritten() == 0 && System.nanoTime() < deadlineNanos) {
                Thread.sleep(1);
            }
            assertEquals(1, w.stats().entriesWritten(), "the full entry was not written");
        }
    }

    @Test
    void closeLeavesNoWriterThread() throws Exception {
        JournalLayout layout = JournalTestSupport.layout(3, 4 * 1024);
        RecordingDevice device = new RecordingDevice(JournalTestSupport.deviceBytes(layout), 512);
        JournalWriter w = JournalTestSupport.fresh(
                device, layout, JournalTestSupport.lazy(), () -> { });
        long seq = w.append(List.of(JournalTestSupport.deletion(1, 1)));
        w.close();
        w.close();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            assertFalse(t.getName().startsWith("keelfs-journal-writer") && t.isAlive()
                    && t.getName().contains(device.describe()) && !t.isDaemon(),
                    "non-daemon writer left: " + t);
        }
        assertFalse(Thread.getAllStackTraces().keySet().stream().anyMatch(
                t -> t.getName().equals("keelfs-journal-writer " + device.describe())
                        && t.isAlive()), "writer thread still alive after close");
        assertThrows(IllegalStateException.class,
                () -> w.append(List.of(JournalTestSupport.deletion(1, 1))));
        // close wrote and flushed the open entry.
        assertEquals(seq, JournalReader.read(device.durableImage(), layout).headSeq());
    }
}
