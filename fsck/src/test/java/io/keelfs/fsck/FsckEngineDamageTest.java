package io.keelfs.fsck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.ImageReport;
import io.keelfs.engine.Mkfs;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.format.NodePointer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * fsck over damage to the engine's own structures: superblock copies, the journal and btree
 * nodes. For each kind: -n finds it (exit 4) and names the place; where a repair exists,
 * --repair -y fixes it (exit 1) and the next run is clean (exit 0).
 */
class FsckEngineDamageTest {
    private static final int BLOCK = 4096;
    private static final int BUCKET = 64 << 10;
    private static final int NODE = 8 << 10;

    private final MemoryBlockDevice device = new MemoryBlockDevice(16L << 20, BLOCK, "fsck-test");
    private final List<String> log = new ArrayList<>();

    private void populate() throws Exception {
        Mkfs.format(device, new Mkfs.Options(BLOCK, BUCKET, NODE, "fsck"));
        EngineOptions options = EngineOptions.defaults().withCheckpointIntervalMs(0);
        try (Engine engine = Engine.open(device, options)) {
            for (int batch = 0; batch < 20; batch++) {
                int b = batch;
                engine.update(txn -> {
                    for (int i = 0; i < 100; i++) {
                        txn.put(BtreeId.TEST0, new Bkey(Bpos.of(1, b * 100L + i), KeyType.BLOB,
                                ByteBuffer.allocate(8).putLong(i).array()));
                    }
                    return null;
                }, Durability.NO_FLUSH);
            }
            engine.checkpoint();
        }
    }

    private FsckReport fsck(boolean repair) {
        log.clear();
        return Fsck.run(device, new FsckOptions(repair, true, false, false), log::add);
    }

    private void flipByte(long offset) {
        long block = offset - offset % BLOCK;
        ByteBuffer buf = ByteBuffer.allocate(BLOCK);
        device.read(block, buf);
        int at = (int) (offset - block);
        buf.put(at, (byte) (buf.get(at) ^ 0x5a));
        buf.clear();
        device.write(block, buf, false);
    }

    private NodePointer root(BtreeId id) throws Exception {
        ImageReport report = ImageReport.describe(device);
        return ((ImageReport.TreeState.Walked) report.trees().get(id)).root();
    }

    @Test
    void freshImageIsClean() throws Exception {
        populate();
        FsckReport r = fsck(false);
        assertEquals(FsckExit.CLEAN, r.exitCode(), log.toString());
        assertEquals(2000, r.keys, "every key of TEST0 is walked");
    }

    @Test
    void damagedSuperblockCopyIsFoundAndRewritten() throws Exception {
        populate();
        long copyB = device.sizeBytes() - BUCKET;
        flipByte(copyB + 40);
        assertEquals(FsckExit.ERRORS_UNCORRECTED, fsck(false).exitCode());
        assertTrue(log.stream().anyMatch(l -> l.contains("superblock-copy")
                && l.contains("offset " + copyB)), log.toString());
        assertEquals(FsckExit.ERRORS_CORRECTED, fsck(true).exitCode(), log.toString());
        assertEquals(FsckExit.CLEAN, fsck(false).exitCode(), log.toString());
    }

    @Test
    void flippedByteInALeafIsReportedWithItsBtreeAndTheRestIsStillWalked() throws Exception {
        populate();
        NodePointer root = root(BtreeId.TEST0);
        assertTrue(root.level() > 0, "the tree needs a leaf below the root");
        // The first leaf sits in some slot the root points at; find it through the checker.
        long[] leaf = {-1};
        io.keelfs.btree.BtreeSet trees = io.keelfs.btree.BtreeSet.open(
                java.util.Map.of(BtreeId.TEST0, root), new io.keelfs.btree.SlotNodeStore(device,
                        List.of(new io.keelfs.btree.SlotNodeStore.Range(9L * BUCKET,
                                (device.sizeBytes() / BUCKET - 10) * BUCKET)), NODE),
                new io.keelfs.btree.NodeCache(1 << 20), NODE);
        io.keelfs.btree.TreeCheck.walk(trees.tree(BtreeId.TEST0), new io.keelfs.btree.TreeCheck.Sink() {
            @Override
            public void damaged(BtreeId b, NodePointer p, io.keelfs.error.KeelException e) {}

            @Override
            public void node(BtreeId b, NodePointer p) {
                if (p.level() == 0 && leaf[0] < 0) {
                    leaf[0] = p.offsetBytes();
                }
            }
        });
        assertTrue(leaf[0] > 0);
        flipByte(leaf[0] + 200);
        FsckReport r = fsck(false);
        assertEquals(FsckExit.ERRORS_UNCORRECTED, r.exitCode());
        assertTrue(log.stream().anyMatch(l -> l.contains("btree-node") && l.contains("TEST0")
                && l.contains("@" + leaf[0])), log.toString());
        assertTrue(r.keys > 0 && r.keys < 2000, "the other leaves are still walked: " + r.keys);
    }

    @Test
    void destroyedJournalIsAnOperationalError() throws Exception {
        populate();
        // Flushed updates after the checkpoint, then every journal bucket wiped: the roots are
        // gone with the journal, so nothing can be checked.
        EngineOptions options = EngineOptions.defaults().withCheckpointIntervalMs(0);
        try (Engine engine = Engine.open(device, options)) {
            for (int i = 0; i < 3; i++) {
                int n = i;
                engine.update(txn -> {
                    txn.put(BtreeId.TEST1, new Bkey(Bpos.of(2, n), KeyType.BLOB, new byte[8]));
                    return null;
                }, Durability.FLUSH);
            }
        }
        device.discard(BUCKET, 8L * BUCKET);
        FsckReport check = fsck(false);
        assertEquals(FsckExit.OPERATIONAL_ERROR, check.exitCode(), log.toString());
    }
}
