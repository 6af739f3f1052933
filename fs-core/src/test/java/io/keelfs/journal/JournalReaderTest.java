package io.keelfs.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.error.DeviceIoException;
import io.keelfs.error.JournalCorruptException;
import io.keelfs.error.KeelException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * The reader on damaged journals: fresh and unformatted journals, a torn tail cut and
 * reported, a damaged entry below acknowledged ones refused (or truncated for fsck), a FLUSH
 * entry at the very top not taken as proof, out-of-order and duplicate seqs, restarts after
 * crashes (seq jump, chaining, a second crash right after restart), and fuzzing: random bytes
 * never throw unchecked, and corrupted journals never yield an entry that was not written.
 *
 * <p>Not covered here: crash states produced at random points (JournalCrashTest).
 */
class JournalReaderTest {
    private static final JournalLayout LAYOUT = JournalTestSupport.layout(4, 16 * 1024);

    private static RecordingDevice newDevice() {
        return new RecordingDevice(JournalTestSupport.deviceBytes(LAYOUT), 512);
    }

    private static JournalWriter fresh(RecordingDevice device) throws KeelException {
        return JournalTestSupport.fresh(device, LAYOUT, JournalTestSupport.lazy(), () -> { });
    }

    private static List<JournalProblem> problems(ReplayPlan plan, JournalProblem.Kind kind) {
        return plan.problems().stream().filter(p -> p.kind() == kind).toList();
    }

    /** Appends {@code count} small transactions, each made durable (so each entry is FLUSH). */
    private static List<Long> durableEntries(JournalWriter w, int count, Random r)
            throws KeelException {
        List<Long> seqs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long seq = w.append(JournalTestSupport.txn(r, 2, 40));
            w.awaitDurable(seq);
            seqs.add(seq);
        }
        return seqs;
    }

    @Test
    void formattedJournalReadsBack() throws Exception {
        MemoryBlockDevice device =
                new MemoryBlockDevice(JournalTestSupport.deviceBytes(LAYOUT), 512);
        JournalWriter.format(device, LAYOUT);
        ReplayPlan plan = JournalReader.read(device, LAYOUT);
        assertEquals(1, plan.headSeq());
        assertEquals(1, plan.lastSeq());
        assertEquals(1, plan.entries().size());
        assertTrue(plan.head().isFlush());
        assertEquals(List.of(), plan.problems());
        assertEquals(0, plan.headBucketIndex());
    }

    @Test
    void unformattedJournalIsRefused() {
        MemoryBlockDevice device =
                new MemoryBlockDevice(JournalTestSupport.deviceBytes(LAYOUT), 512);
        JournalCorruptException e = assertThrows(
                JournalCorruptException.class, () -> JournalReader.read(device, LAYOUT));
        assertTrue(e.getMessage().startsWith("no valid journal entry"), e.getMessage());
    }

    /** B is torn (its last block never written); C after it was written but never flushed. */
    @Test
    void tornTailIsCutAndReported() throws Exception {
        RecordingDevice device = newDevice();
        Random r = new Random(3);
        long a;
        long b;
        long c;
        try (JournalWriter w = fresh(device)) {
            a = durableEntries(w, 3, r).get(2);
            b = w.append(bigTxn(r));
            w.awaitWritten(b);
            c = w.append(JournalTestSupport.txn(r, 2, 40));
            w.awaitWritten(c);
        }
        JournalScan.Located torn = JournalTestSupport.locate(device, LAYOUT, b);
        JournalScan.Located after = JournalTestSupport.locate(device, LAYOUT, c);
        assertTrue(torn.sizeBytes() > 512, "B must span blocks");
        assertTrue(!torn.entry().isFlush() && !after.entry().isFlush());
        JournalTestSupport.poke(device, torn.deviceOffsetBytes() + torn.sizeBytes() - 512,
                new byte[512]);

        ReplayPlan plan = JournalReader.read(device, LAYOUT);
        System.out.println(plan);
        assertEquals(a, plan.headSeq());
        assertEquals(c, plan.highestSeqSeen());
        List<JournalProblem> damaged = problems(plan, JournalProblem.Kind.DAMAGED_ENTRY);
        assertEquals(1, damaged.size());
        assertEquals(b, damaged.get(0).seq());
        assertEquals(torn.bucketIndex(), damaged.get(0).bucketIndex());
        assertEquals(torn.deviceOffsetBytes(), damaged.get(0).offsetBytes());
        List<JournalProblem> cut = problems(plan, JournalProblem.Kind.TORN_TAIL);
        assertEquals(1, cut.size());
        assertEquals(c, cut.get(0).seq());
    }

    @Test
    void damagedEntryBelowAcknowledgedOnesIsRefused() throws Exception {
        RecordingDevice device = newDevice();
        List<Long> seqs;
        try (JournalWriter w = fresh(device)) {
            seqs = durableEntries(w, 10, new Random(4));
        }
        long victim = seqs.get(4);
        JournalScan.Located at = JournalTestSupport.locate(device, LAYOUT, victim);
        JournalTestSupport.poke(device, at.deviceOffsetBytes() + 60, new byte[] {0x5a});

        JournalCorruptException e = assertThrows(
                JournalCorruptException.class, () -> JournalReader.read(device, LAYOUT));
        System.out.println(e.getMessage());
        assertTrue(e.getMessage().startsWith("journal corrupt in the middle: seq " + victim + " "),
                e.getMessage());
        assertTrue(e.getMessage().contains("in bucket " + at.bucketIndex() + " at offset "
                + at.deviceOffsetBytes()), e.getMessage());
        assertEquals(at.deviceOffsetBytes(), e.offsetBytes());

        ReplayPlan plan = JournalReader.read(device, LAYOUT, true);
        assertEquals(victim - 1, plan.headSeq());
        List<JournalProblem> middle = problems(plan, JournalProblem.Kind.CORRUPT_MIDDLE);
        assertEquals(1, middle.size());
        assertEquals(victim, middle.get(0).seq());
        plan.verify();
    }

    /**
     * A FLUSH entry with nothing above it proves nothing: a crash may have hit before its flush
     * returned. So a break just below the top FLUSH entry is a torn tail, reported.
     */
    @Test
    void flushEntryAtTheTopIsNotProof() throws Exception {
        RecordingDevice device = newDevice();
        List<Long> seqs;
        try (JournalWriter w = fresh(device)) {
            seqs = durableEntries(w, 6, new Random(5));
        }
        long top = seqs.get(5);
        JournalScan.Located below = JournalTestSupport.locate(device, LAYOUT, top - 1);
        JournalTestSupport.poke(device, below.deviceOffsetBytes() + 100, new byte[] {1, 2, 3});
        ReplayPlan plan = JournalReader.read(device, LAYOUT);
        assertEquals(top - 2, plan.headSeq());
        assertEquals(List.of(top), problems(plan, JournalProblem.Kind.TORN_TAIL).stream()
                .map(JournalProblem::seq).toList());
    }

    /** Two adjacent entries rewritten with swapped seqs (valid checksums): detected. */
    @Test
    void swappedSeqsWithinABucketAreReported() throws Exception {
        RecordingDevice device = newDevice();
        List<Long> seqs;
        try (JournalWriter w = fresh(device)) {
            seqs = durableEntries(w, 8, new Random(6));
        }
        long s = seqs.get(3);
        JournalScan.Located x = JournalTestSupport.locate(device, LAYOUT, s);
        JournalScan.Located y = JournalTestSupport.locate(device, LAYOUT, s + 1);
        assertEquals(x.bucketIndex(), y.bucketIndex());
        JournalEntry ex = x.entry();
        JournalEntry ey = y.entry();
        JournalTestSupport.rewrite(device, x, new JournalEntry(
                ey.seq(), ey.prevSeq(), ey.lastSeq(), ey.flags(), ex.updates(), ex.roots()));
        JournalTestSupport.rewrite(device, y, new JournalEntry(
                ex.seq(), ex.prevSeq(), ex.lastSeq(), ex.flags(), ey.updates(), ey.roots()));

        ReplayPlan plan = JournalReader.read(device, LAYOUT);
        List<JournalProblem> order = problems(plan, JournalProblem.Kind.SEQ_NOT_INCREASING);
        assertEquals(1, order.size(), plan.toString());
        assertEquals(s, order.get(0).seq());
        assertEquals(y.bucketIndex(), order.get(0).bucketIndex());
        assertEquals(y.deviceOffsetBytes(), order.get(0).offsetBytes());
        assertTrue(order.get(0).text().startsWith("seq not increasing within bucket"));
        assertEquals(seqs.get(7), plan.headSeq());
    }

    /** An entry rewritten with an older seq (a duplicate) breaks the chain below flushes. */
    @Test
    void outOfOrderSeqThatBreaksTheChainIsRefused() throws Exception {
        RecordingDevice device = newDevice();
        List<Long> seqs;
        try (JournalWriter w = fresh(device)) {
            seqs = durableEntries(w, 8, new Random(7));
        }
        long s = seqs.get(4);
        JournalScan.Located y = JournalTestSupport.locate(device, LAYOUT, s);
        JournalEntry e = y.entry();
        JournalTestSupport.rewrite(device, y, new JournalEntry(
                s - 2, s - 3, e.lastSeq(), e.flags(), e.updates(), e.roots()));

        assertThrows(JournalCorruptException.class, () -> JournalReader.read(device, LAYOUT));
        ReplayPlan plan = JournalReader.read(device, LAYOUT, true);
        assertEquals(1, problems(plan, JournalProblem.Kind.SEQ_NOT_INCREASING).size());
        assertEquals(1, problems(plan, JournalProblem.Kind.DUPLICATE_SEQ).size());
        assertEquals(1, problems(plan, JournalProblem.Kind.CORRUPT_MIDDLE).size());
        assertTrue(plan.headSeq() < s - 2, plan.toString());
        plan.verify();
    }

    /**
     * Crash with written but unflushed entries, the first of them torn: the head is the last
     * durable entry, the rest is a cut tail. Restart: the seq jumps by the gap past the highest
     * seq seen and the first new entry links to the head. Then a second crash right after the
     * restart, its first entry torn before its flush returned: the restart repeats at the same
     * seq (nothing of the first attempt is valid) and chains correctly. Then a third crash
     * after that entry was durable: the next restart jumps past it and links to it.
     */
    @Test
    void restartAfterCrashJumpsSeqAndChains() throws Exception {
        Random r = new Random(8);
        long durable = 6;
        MemoryBlockDevice image1 = crashWithTornTail(r, durable);
        ReplayPlan plan1 = JournalReader.read(image1, LAYOUT);
        assertEquals(durable, plan1.headSeq());
        assertEquals(durable + 3, plan1.highestSeqSeen());
        assertEquals(2, problems(plan1, JournalProblem.Kind.TORN_TAIL).size(), plan1.toString());

        List<JournalRecord.KeyUpdate> big = bigTxn(r);
        RecordingDevice dev1 = new RecordingDevice(image1);
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        dev1.holdFlushes(gate, entered);
        JournalWriter w1 = JournalWriter.resume(
                dev1, LAYOUT, plan1, false, JournalTestSupport.lazy(), () -> { });
        long restartSeq = durable + 3 + JournalWriter.BLACKLIST_GAP;
        assertEquals(restartSeq, w1.nextSeq());
        assertEquals(restartSeq, w1.append(big));
        Thread t = new Thread(() -> {
            try {
                w1.awaitDurable(restartSeq);
            } catch (KeelException e) {
                throw new AssertionError(e);
            }
        });
        t.start();
        assertTrue(entered.await(10, TimeUnit.SECONDS));
        assertEquals(1, dev1.pendingCount());
        MemoryBlockDevice image2 = dev1.crashImage(i -> true, 0, b -> b == 0);
        gate.countDown();
        t.join();
        w1.close();

        ReplayPlan plan2 = JournalReader.read(image2, LAYOUT);
        assertEquals(durable, plan2.headSeq(), plan2.toString());
        assertEquals(durable + 3, plan2.highestSeqSeen());
        assertEquals(List.of(durable + 1, restartSeq),
                problems(plan2, JournalProblem.Kind.DAMAGED_ENTRY).stream()
                        .map(JournalProblem::seq).toList());
        RecordingDevice dev2 = new RecordingDevice(image2);
        JournalWriter w2 = JournalWriter.resume(
                dev2, LAYOUT, plan2, false, JournalTestSupport.lazy(), () -> { });
        assertEquals(restartSeq, w2.nextSeq());
        List<JournalRecord.KeyUpdate> small = JournalTestSupport.txn(r, 1, 10);
        w2.awaitDurable(w2.append(small));
        w2.awaitWritten(w2.append(JournalTestSupport.txn(r, 1, 10)));
        MemoryBlockDevice image3 = dev2.durableImage();
        w2.close();

        ReplayPlan plan3 = JournalReader.read(image3, LAYOUT);
        plan3.verify();
        assertEquals(restartSeq, plan3.headSeq(), plan3.toString());
        assertEquals(durable, plan3.head().prevSeq());
        assertEquals(small, plan3.head().updates());
        assertEquals(plan1.entries(), plan3.entries().subList(0, plan3.entries().size() - 1));
        try (JournalWriter w3 = JournalWriter.resume(new RecordingDevice(image3), LAYOUT, plan3,
                false, JournalTestSupport.lazy(), () -> { })) {
            assertEquals(restartSeq + JournalWriter.BLACKLIST_GAP, w3.nextSeq());
        }
    }

    /**
     * Entries 2..{@code durable} made durable, then three written unflushed (the first of
     * three blocks); the crash image keeps them all but tears the first.
     */
    private static MemoryBlockDevice crashWithTornTail(Random r, long durable) throws Exception {
        RecordingDevice device = newDevice();
        JournalWriter w = fresh(device);
        assertEquals(durable, durableEntries(w, (int) durable - 1, r).get((int) durable - 2));
        w.awaitWritten(w.append(bigTxn(r)));
        for (int i = 0; i < 2; i++) {
            w.awaitWritten(w.append(JournalTestSupport.txn(r, 2, 40)));
        }
        assertEquals(3, device.pendingCount());
        MemoryBlockDevice image = device.crashImage(i -> true, 0, b -> b != 1);
        w.close();
        return image;
    }

    /** Three 500-byte values: an entry of four 512-byte blocks. */
    private static List<JournalRecord.KeyUpdate> bigTxn(Random r) {
        List<JournalRecord.KeyUpdate> big = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            big.add(JournalTestSupport.update(7, i, 500, r));
        }
        return big;
    }

    @Test
    void unreadableBucketFailsMountButNotRepair() throws Exception {
        RecordingDevice device = newDevice();
        try (JournalWriter w = fresh(device)) {
            durableEntries(w, 3, new Random(9));
        }
        device.failReadsFrom = LAYOUT.bucketOffsetBytes(2);
        device.failReadsTo = device.failReadsFrom + 512;
        DeviceIoException e = assertThrows(
                DeviceIoException.class, () -> JournalReader.read(device, LAYOUT));
        assertTrue(e.getMessage().contains("journal bucket 2"), e.getMessage());
        ReplayPlan plan = JournalReader.read(device, LAYOUT, true);
        assertEquals(List.of(2), problems(plan, JournalProblem.Kind.BUCKET_UNREADABLE).stream()
                .map(JournalProblem::bucketIndex).toList());
        assertEquals(4, plan.headSeq());
    }

    /** Random bytes in every bucket: an answer or a KeelException, never anything else. */
    @Property(tries = 300)
    void randomBucketsNeverThrowUnchecked(@ForAll long seed) {
        Random r = new Random(seed);
        JournalLayout layout = JournalTestSupport.layout(3, 4096);
        MemoryBlockDevice device =
                new MemoryBlockDevice(JournalTestSupport.deviceBytes(layout), 512);
        byte[] bucket = new byte[4096];
        for (int b = 0; b < 3; b++) {
            r.nextBytes(bucket);
            for (int block = 0; block < 8; block++) {
                if (r.nextInt(3) == 0) {
                    ByteBuffer.wrap(bucket).putLong(block * 512, JournalEntryCodec.MAGIC);
                }
            }
            device.write(layout.bucketOffsetBytes(b), ByteBuffer.wrap(bucket), false);
        }
        try {
            JournalReader.read(device, layout, r.nextBoolean());
            throw new AssertionError("random bytes formed a journal");
        } catch (KeelException expected) {
            // Refused, as it must be.
        }
    }

    /**
     * A real journal (wrapped, with checkpoints), then random damage: random bytes, zeroed
     * blocks, blocks copied elsewhere (misdirected writes). The reader may refuse, but
     * whatever it returns is a valid chain of entries that were written.
     */
    @Property(tries = 150)
    void damagedJournalsNeverYieldUnwrittenEntries(@ForAll long seed) throws Exception {
        Random r = new Random(seed);
        JournalLayout layout = JournalTestSupport.layout(4, 4096);
        RecordingDevice device = new RecordingDevice(JournalTestSupport.deviceBytes(layout), 512);
        try (JournalWriter w = JournalTestSupport.fresh(
                device, layout, JournalTestSupport.lazy(), () -> { })) {
            long seq = 0;
            for (int i = 0; i < 10 + r.nextInt(40); i++) {
                seq = w.append(JournalTestSupport.txn(r, 3, 150));
                if (r.nextBoolean()) {
                    w.awaitDurable(seq);
                } else {
                    w.awaitWritten(seq);
                }
                if (w.fillRatio() > 0.5) {
                    w.setCheckpoint(JournalTestSupport.roots(i), seq + 1);
                }
            }
        }
        Set<JournalEntry> written = new HashSet<>();
        JournalTestSupport.scan(device, layout).forEach(l -> written.add(l.entry()));
        int damages = 1 + r.nextInt(4);
        for (int i = 0; i < damages; i++) {
            damage(device, layout, r);
        }
        for (boolean truncate : new boolean[] {false, true}) {
            ReplayPlan plan;
            try {
                plan = JournalReader.read(device, layout, truncate);
            } catch (KeelException refused) {
                continue;
            }
            plan.verify();
            for (JournalEntry e : plan.entries()) {
                assertTrue(written.contains(e), "never written: " + e);
            }
        }
    }

    private static void damage(RecordingDevice device, JournalLayout layout, Random r)
            throws Exception {
        int blocks = layout.bucketCount() * layout.blocksPerBucket();
        long at = layout.bucketOffsetBytes(0) + 512L * r.nextInt(blocks);
        switch (r.nextInt(3)) {
            case 0 -> {
                byte[] junk = new byte[1 + r.nextInt(16)];
                r.nextBytes(junk);
                JournalTestSupport.poke(device, at + r.nextInt(512 - junk.length), junk);
            }
            case 1 -> JournalTestSupport.poke(device, at, new byte[512]);
            default -> {
                long from = layout.bucketOffsetBytes(0) + 512L * r.nextInt(blocks);
                ByteBuffer block = ByteBuffer.allocate(512);
                device.read(from, block);
                JournalTestSupport.poke(device, at, block.array());
            }
        }
    }
}
