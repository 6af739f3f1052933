package io.keelfs.engine;

import static io.keelfs.engine.EngineTestSupport.blob;
import static io.keelfs.engine.EngineTestSupport.formatAndOpen;
import static io.keelfs.engine.EngineTestSupport.testOptions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.error.ChecksumException;
import io.keelfs.error.CorruptException;
import io.keelfs.error.JournalCorruptException;
import io.keelfs.error.SuperblockCorruptException;
import io.keelfs.error.TopologyException;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.NodePointer;
import io.keelfs.txn.TransactionIterator;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * Damage under a formatted engine: each kind must come back as its typed error (with the
 * place in the message) from open or from the read that meets it, never as an unchecked
 * exception and never as a wrong answer.
 */
class EngineCorruptionTest {
    private final MemoryBlockDevice device = new MemoryBlockDevice(16L << 20, 4096, "corrupt-test");

    /** A tree of several levels in TEST0, checkpointed and closed cleanly. */
    private NodePointer populate() throws Exception {
        try (Engine engine = formatAndOpen(device)) {
            for (int batch = 0; batch < 20; batch++) {
                int b = batch;
                engine.update(txn -> {
                    for (int i = 0; i < 100; i++) {
                        txn.put(BtreeId.TEST0, blob(1, b * 100L + i, i));
                    }
                    return null;
                }, Durability.NO_FLUSH);
            }
            engine.checkpoint();
            return engine.btreeForTest(BtreeId.TEST0).root();
        }
    }

    private CorruptException scanAll() throws Exception {
        try (Engine engine = Engine.open(device, testOptions().withReadOnly(true))) {
            return assertThrows(CorruptException.class, () -> engine.read(txn -> {
                TransactionIterator it = txn.iterator(BtreeId.TEST0, Bpos.MIN);
                while (it.next() != null) {
                    // read every key
                }
                return null;
            }));
        }
    }

    @Test
    void flippedByteInANodeIsAChecksumErrorNamingTheBtree() throws Exception {
        NodePointer root = populate();
        EngineTestSupport.flipByte(device, root.offsetBytes() + 100);
        CorruptException e = scanAll();
        assertTrue(e instanceof ChecksumException, e.toString());
        assertTrue(e.getMessage().contains("TEST0"), e.getMessage());
        assertEquals(root.offsetBytes(), e.offsetBytes());
        // A writable open walks every interior node to rebuild the slot map: refused, typed.
        ChecksumException atOpen = assertThrows(ChecksumException.class,
                () -> Engine.open(device, testOptions()));
        assertTrue(atOpen.getMessage().contains("TEST0"), atOpen.getMessage());
    }

    @Test
    void nodeWrittenToTheWrongPlaceIsATopologyError() throws Exception {
        NodePointer root = populate();
        assertTrue(root.level() > 0, "need an interior root: " + root);
        // Copy the root's image over another slot a child pointer leads to: a misdirected write.
        ByteBuffer image = ByteBuffer.allocate(EngineTestSupport.NODE);
        device.read(root.offsetBytes(), image);
        long victim = findChildOffset(root);
        image.flip();
        device.write(victim, image, false);
        CorruptException e = scanAll();
        assertTrue(e instanceof TopologyException, e.toString());
        assertTrue(e.getMessage().contains("TEST0") && e.getMessage().contains("level"),
                e.getMessage());
    }

    @Test
    void destroyedJournalRefusesToOpenWithAClearMessage() throws Exception {
        populate();
        long journalStart = EngineTestSupport.BUCKET; // bucket 1 is the first journal bucket
        device.discard(journalStart, 8L * EngineTestSupport.BUCKET);
        JournalCorruptException e = assertThrows(JournalCorruptException.class,
                () -> Engine.open(device, testOptions()));
        assertTrue(e.getMessage().contains("no valid journal entry"), e.getMessage());
    }

    @Test
    void imageTruncatedBelowItsGeometryIsRefused() throws Exception {
        populate();
        MemoryBlockDevice shorter = new MemoryBlockDevice(8L << 20, 4096, "short.img");
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        for (long off = 0; off < shorter.sizeBytes(); off += buf.capacity()) {
            buf.clear();
            device.read(off, buf);
            buf.flip();
            shorter.write(off, buf, false);
        }
        SuperblockCorruptException e = assertThrows(SuperblockCorruptException.class,
                () -> Engine.open(shorter, testOptions()));
        assertTrue(e.getMessage().contains("short.img"), e.getMessage());
    }

    private long findChildOffset(NodePointer root) throws Exception {
        try (Engine engine = Engine.open(device, testOptions().withReadOnly(true))) {
            long[] found = {-1};
            engine.btreeForTest(BtreeId.TEST0).forEachNodeOffset(offset -> {
                if (offset != root.offsetBytes() && found[0] < 0) {
                    found[0] = offset;
                }
            });
            return found[0];
        }
    }
}
