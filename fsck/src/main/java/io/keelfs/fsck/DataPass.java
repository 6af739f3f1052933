package io.keelfs.fsck;

import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.Crc32c;
import io.keelfs.format.Geometry;
import io.keelfs.fs.data.ExtentKeys;
import io.keelfs.fs.data.ExtentKeys.ExtentView;
import io.keelfs.txn.TransactionIterator;
import java.nio.ByteBuffer;

/**
 * Pass 11 (--check-data): reads every extent's data and verifies its per-block CRC32C. A bad
 * block is reported with the inode, the file offset and the device offset (what a read would
 * answer EIO for). Not repairable: the data is lost; the file keeps reading EIO there.
 * Memory: one extent's data at a time (at most 128 blocks).
 */
final class DataPass implements FsckPass {
    static final String NAME = "data";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void run(FsckContext ctx) throws KeelException {
        if (ctx.managed == null || !ctx.options.checkData()) {
            return;
        }
        Geometry g = ctx.superblock.geometry();
        int bs = g.blockSizeBytes();
        ctx.engine().read(txn -> {
            TransactionIterator it = txn.iterator(BtreeId.EXTENTS, Bpos.MIN);
            long n = 0;
            for (Bkey k = it.next(); k != null; k = it.next()) {
                ExtentView e;
                try {
                    e = ExtentKeys.extent(k, bs, g.bucketSizeBytes());
                } catch (KeelException ex) {
                    continue;
                }
                if (++n % 1024 == 0) {
                    ctx.progress.update(e.bucket(), g.bucketCount());
                }
                long device = g.bucketOffsetBytes(e.bucket()) + e.offsetInBucketBytes();
                if (e.bucket() >= g.bucketCount()) {
                    continue;
                }
                ByteBuffer data = ByteBuffer.allocate((int) e.lengthBytes());
                try {
                    ctx.device.read(device, data);
                } catch (java.io.IOException | RuntimeException ex) {
                    ctx.report.problem(NAME, "data-unreadable", "inode " + e.ino() + " offset "
                            + e.startBytes() + " (device offset " + device + ")",
                            ex.getMessage());
                    continue;
                }
                int[] crcs = e.crcs();
                for (int b = 0; b < crcs.length; b++) {
                    int actual = Crc32c.ofRange(data, b * bs, (b + 1) * bs);
                    if (actual != crcs[b]) {
                        ctx.report.problem(NAME, "data-checksum", "inode " + e.ino()
                                + " offset " + (e.startBytes() + (long) b * bs) + " (device"
                                + " offset " + (device + (long) b * bs) + ")", String.format(
                                "block CRC32C %08x, expected %08x: reads answer EIO there",
                                actual, crcs[b]));
                    }
                }
            }
            return null;
        });
    }
}
