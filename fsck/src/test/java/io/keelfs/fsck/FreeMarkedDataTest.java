package io.keelfs.fsck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.alloc.AllocRecord;
import io.keelfs.alloc.AllocUpdates;
import io.keelfs.alloc.DataType;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.fs.Caller;
import io.keelfs.fs.KeelFilesystem;
import io.keelfs.fs.KeelImage;
import io.keelfs.fs.OpenFlags;
import io.keelfs.txn.TransactionIterator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Alloc records that wrongly say buckets holding live file data are FREE (FREESPACE keys
 * included): neither fsck --repair nor a mount may hand such a bucket to btree nodes or file
 * data before the records are repaired. fsck repairs the records before any node is written
 * (its engine holds allocation until the alloc pass is done); a mount's allocator finds the
 * bucket's backpointers, goes read-only and names fsck, instead of overwriting.
 *
 * <p>Also the other way round: a record that says BTREE for a bucket of file data would let
 * the node store write nodes there; the mount refuses to open writable, fsck repairs it.
 */
class FreeMarkedDataTest {
    private final CorpusImage img;
    private final Map<Long, String> before;

    FreeMarkedDataTest() throws KeelException {
        img = CorpusImage.populated();
        before = img.snapshot();
    }

    /**
     * Marks every USER bucket FREE (the derived keys follow), and the empty spare BTREE buckets
     * NEED_DISCARD (no damage: they hold no reachable node), so that the node store has no
     * spare slots, the first checkpoint must claim buckets, and the allocator's first choices
     * are the data buckets. Returns the USER buckets.
     */
    private List<Long> markDataBucketsFree() throws Exception {
        List<Long> marked = new ArrayList<>();
        Set<Long> nodeBuckets = new HashSet<>();
        for (BtreeId id : BtreeId.values()) {
            for (long offset : img.nodeOffsets(id)) {
                nodeBuckets.add(offset / CorpusImage.BUCKET);
            }
        }
        img.damage(t -> {
            List<Long> spare = new ArrayList<>();
            TransactionIterator it = t.iterator(BtreeId.ALLOC, Bpos.MIN);
            for (Bkey k = it.next(); k != null; k = it.next()) {
                long b = k.pos().offset();
                DataType type = AllocRecord.decode(b, k.value()).dataType();
                if (type == DataType.USER) {
                    marked.add(b);
                } else if (type == DataType.BTREE && !nodeBuckets.contains(b)) {
                    spare.add(b);
                }
            }
            for (long b : spare) {
                AllocRecord r = AllocUpdates.get(t, b);
                AllocUpdates.set(t, b, r.emptied(DataType.NEED_DISCARD, 0));
            }
            for (long b : marked) {
                AllocRecord r = AllocUpdates.get(t, b);
                AllocUpdates.set(t, b, r.withData(DataType.FREE, 0, 0));
            }
            return null;
        });
        assertTrue(!marked.isEmpty());
        return marked;
    }

    @Test
    void fsckRepairKeepsTheData() throws Exception {
        markDataBucketsFree();
        FsckReport repair = img.fsck(true, false);
        assertEquals(FsckExit.ERRORS_CORRECTED, repair.exitCode(), img.log.toString());
        assertTrue(img.log.stream().noneMatch(l -> l.contains("record says BTREE")),
                "the repair claimed a data bucket for btree nodes before the alloc pass: "
                        + img.log);
        FsckReport again = img.fsck(false, true);
        assertEquals(FsckExit.CLEAN, again.exitCode(), img.log.toString());
        assertEquals(before, img.snapshot());
    }

    @Test
    void mountDoesNotOverwriteTheData() throws Exception {
        markDataBucketsFree();
        String failure = null;
        try (KeelFilesystem fs = KeelImage.open(img.device, CorpusImage.options())) {
            byte[] data = CorpusImage.content(99, 3 * CorpusImage.BUCKET);
            for (int i = 0; i < 20 && failure == null; i++) {
                try {
                    long h = fs.create("/new" + i, 0644, OpenFlags.O_RDWR, Caller.ROOT);
                    fs.write(h, 0, ByteBuffer.wrap(data));
                    fs.fsync(h, false);
                    fs.release(h);
                } catch (KeelException e) {
                    failure = e.getMessage();
                }
            }
        } catch (KeelException e) {
            failure = failure == null ? e.getMessage() : failure;
        }
        assertTrue(failure != null && failure.contains("fsck"), "no failure naming fsck: "
                + failure);
        // The damaged image's extents do not match their records, so its files read EIO
        // until fsck has repaired them: compare after the repair.
        assertEquals(FsckExit.ERRORS_CORRECTED, img.fsck(true, false).exitCode(),
                img.log.toString());
        assertEquals(FsckExit.CLEAN, img.fsck(false, true).exitCode(), img.log.toString());
        Map<Long, String> after = img.snapshot();
        for (Map.Entry<Long, String> e : before.entrySet()) {
            assertEquals(e.getValue(), after.get(e.getKey()), "inode " + e.getKey());
        }
    }

    @Test
    void dataBucketMarkedBtreeIsRefusedByMountAndRepairedByFsck() throws Exception {
        long bucket = img.read(t -> {
            TransactionIterator it = t.iterator(BtreeId.ALLOC, Bpos.MIN);
            for (Bkey k = it.next(); k != null; k = it.next()) {
                if (AllocRecord.decode(k.pos().offset(), k.value()).dataType()
                        == DataType.USER) {
                    return k.pos().offset();
                }
            }
            throw new AssertionError("no data bucket");
        });
        img.damage(t -> {
            AllocRecord r = AllocUpdates.get(t, bucket);
            AllocUpdates.set(t, bucket, r.withData(DataType.BTREE, 0, 0));
            return null;
        });
        KeelException refused = org.junit.jupiter.api.Assertions.assertThrows(
                KeelException.class, () -> KeelImage.open(img.device, CorpusImage.options()));
        assertTrue(refused.getMessage().contains("fsck"), refused.getMessage());
        assertEquals(FsckExit.ERRORS_CORRECTED, img.fsck(true, false).exitCode(),
                img.log.toString());
        assertEquals(FsckExit.CLEAN, img.fsck(false, true).exitCode(), img.log.toString());
        assertEquals(before, img.snapshot());
    }
}
