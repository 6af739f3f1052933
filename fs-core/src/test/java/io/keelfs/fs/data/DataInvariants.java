package io.keelfs.fs.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keelfs.alloc.AllocRecord;
import io.keelfs.alloc.AllocUpdates;
import io.keelfs.alloc.DataType;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.txn.TransactionIterator;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * fsck-style checks of the data range: per bucket, the sum of extent lengths equals the alloc
 * record's dirty bytes (and only USER buckets of the extent's generation hold extents);
 * backpointers and extents match one to one; extents of an inode do not overlap; the file
 * data's counters agree with the records.
 */
final class DataInvariants {
    private DataInvariants() {}

    static void check(DataFixture f, String context) throws Exception {
        f.engine.read(txn -> {
            Map<Long, Long> liveByBucket = new HashMap<>();
            Map<Bpos, Extent> byBackpointerPos = new TreeMap<>();
            TransactionIterator it = txn.iterator(BtreeId.EXTENTS, Bpos.MIN);
            long lastIno = -1;
            long lastEnd = 0;
            long reserved = 0;
            for (Bkey k = it.next(); k != null; k = it.next()) {
                if (k.pos().equals(ReservedSpace.TOTAL_POS)) {
                    continue;
                }
                if (k.type() == KeyType.RESERVATION) {
                    ReservedExtent r = ReservedExtent.decode(k, DataFixture.BLOCK);
                    if (r.ino() == lastIno && r.startBytes() < lastEnd) {
                        throw new AssertionError(context + ": overlapping " + r);
                    }
                    lastIno = r.ino();
                    lastEnd = r.endBytes();
                    reserved += r.lengthBytes();
                    continue;
                }
                Extent e = Extent.decode(k, DataFixture.BLOCK, DataFixture.BUCKET);
                if (e.ino() == lastIno && e.startBytes() < lastEnd) {
                    throw new AssertionError(context + ": overlapping " + e);
                }
                lastIno = e.ino();
                lastEnd = e.endBytes();
                AllocRecord r = AllocUpdates.get(txn, e.bucket());
                if (r == null || r.dataType() != DataType.USER
                        || r.generation() != e.generation()) {
                    throw new AssertionError(context + ": " + e + " in bucket with " + r);
                }
                liveByBucket.merge(e.bucket(), e.lengthBytes(), Long::sum);
                if (byBackpointerPos.put(Backpointer.of(e).pos(), e) != null) {
                    throw new AssertionError(context + ": two extents at " + e);
                }
            }
            TransactionIterator bps = txn.iterator(BtreeId.BACKPOINTERS, Bpos.MIN);
            int bpCount = 0;
            for (Bkey k = bps.next(); k != null; k = bps.next()) {
                Backpointer bp = Backpointer.decode(k);
                Extent e = byBackpointerPos.get(k.pos());
                if (e == null || !bp.matches(e)) {
                    throw new AssertionError(context + ": backpointer " + bp + " vs " + e);
                }
                bpCount++;
            }
            assertEquals(byBackpointerPos.size(), bpCount, context + ": backpointer count");
            long live = 0;
            long free = 0;
            for (long b = f.split; b < f.end; b++) {
                AllocRecord r = AllocUpdates.get(txn, b);
                long expected = liveByBucket.getOrDefault(b, 0L);
                long actual = r.dataType() == DataType.USER ? r.dirtyBytes() : 0;
                if (expected != actual) {
                    throw new AssertionError(String.format("%s: bucket %d has %d bytes of "
                            + "extents, record %s", context, b, expected, r));
                }
                live += actual;
                free += r.isFree() || r.dataType() == DataType.NEED_DISCARD ? 1 : 0;
            }
            assertEquals(reserved, ReservedSpace.read(txn), context + ": reserved total key");
            assertEquals(reserved, f.data.reservedBytes(), context + ": reserved total");
            live += reserved;
            assertEquals(live, f.data.usedBytes(), context + ": usedBytes");
            long openHere = f.allocator.openCount();
            long reserve = f.options.reserveBuckets();
            // Open buckets are counted not free; unclaimed open ones are FREE on disk.
            long unclaimedOpen = 0;
            for (long b = f.split; b < f.end; b++) {
                AllocRecord r = AllocUpdates.get(txn, b);
                if (r.isFree() && f.data.isOpenForTest(b)) {
                    unclaimedOpen++;
                }
            }
            assertEquals(free - unclaimedOpen, f.data.space().freeBuckets(),
                    context + ": free buckets (" + openHere + " open)");
            assertEquals(java.util.List.of(), f.allocator.verifyCounts(),
                    context + ": allocator counts");
            assertEquals((f.end - f.split) * DataFixture.BUCKET - live, f.data.freeBytes(),
                    context + ": freeBytes");
            assertEquals(Math.max(0, f.data.freeBytes() - reserve * DataFixture.BUCKET),
                    f.data.availBytes(), context + ": availBytes");
            return null;
        });
    }
}
