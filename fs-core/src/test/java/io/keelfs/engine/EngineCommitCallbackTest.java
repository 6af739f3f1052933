package io.keelfs.engine;

import static io.keelfs.engine.EngineTestSupport.blob;
import static io.keelfs.engine.EngineTestSupport.formatAndOpen;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.error.InconsistentException;
import io.keelfs.format.BtreeId;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Transaction.onCommit and Engine.durableJournalSeq, which the bucket allocator relies on. */
class EngineCommitCallbackTest {
    private final MemoryBlockDevice device = new MemoryBlockDevice(32L << 20, 4096, "cb-test");

    @Test
    void callbackGetsTheCommitSeqAndDurableSeqFollowsFlush() throws Exception {
        try (Engine engine = formatAndOpen(device)) {
            AtomicLong seq = new AtomicLong(-1);
            engine.update(txn -> {
                txn.put(BtreeId.TEST0, blob(1, 1, 1));
                txn.onCommit(seq::set);
                return null;
            }, Durability.NO_FLUSH);
            assertTrue(seq.get() > 0);
            assertTrue(engine.durableJournalSeq() < seq.get(), "NO_FLUSH: not durable yet");
            AtomicLong seq2 = new AtomicLong(-1);
            engine.update(txn -> {
                txn.put(BtreeId.TEST0, blob(1, 2, 2));
                txn.onCommit(seq2::set);
                return null;
            }, Durability.FLUSH);
            assertTrue(seq2.get() >= seq.get());
            assertTrue(engine.durableJournalSeq() >= seq2.get());
        }
    }

    @Test
    void callbackNeverRunsForAFailedOrEmptyTransaction() throws Exception {
        try (Engine engine = formatAndOpen(device)) {
            AtomicLong calls = new AtomicLong();
            assertThrows(InconsistentException.class, () -> engine.update(txn -> {
                txn.put(BtreeId.TEST0, blob(1, 1, 1));
                txn.onCommit(s -> calls.incrementAndGet());
                throw new InconsistentException("body fails");
            }, Durability.NO_FLUSH));
            engine.update(txn -> {
                txn.onCommit(s -> calls.incrementAndGet());
                return null;
            }, Durability.NO_FLUSH);
            assertEquals(0, calls.get());
        }
    }
}
