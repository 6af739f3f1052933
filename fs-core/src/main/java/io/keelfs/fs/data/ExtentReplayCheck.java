package io.keelfs.fs.data;

import io.keelfs.block.BlockDevice;
import io.keelfs.engine.ReplayCheck;
import io.keelfs.error.DeviceIoException;
import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import io.keelfs.format.BtreeId;
import io.keelfs.format.Crc32c;
import io.keelfs.format.Geometry;
import io.keelfs.format.KeyType;
import io.keelfs.journal.JournalEntry;
import io.keelfs.journal.JournalRecord;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The file-data {@link ReplayCheck}: an unproven journal entry may be replayed only if every
 * extent it inserts points at blocks whose CRC32C matches (the data write completed before the
 * commit, but only a flush makes it durable, and the crash may have come first). Extents are
 * copy-on-write and their buckets are not reused before the freeing commit is durable, so a
 * match means the entry's own data is there.
 *
 * <p>Bounded: reads only the extents of the unproven tail (entries since the last proven
 * flush), at most {@link Extent#EXTENT_BLOCKS_MAX} blocks each.
 *
 * <p>Thread-safety: used by the mounting thread only.
 */
public final class ExtentReplayCheck implements ReplayCheck {
    private final BlockDevice device;
    private final int blockSizeBytes;
    private final long bucketSizeBytes;
    private final long bucketCount;

    public ExtentReplayCheck(BlockDevice device, Geometry geometry) {
        this.device = device;
        this.blockSizeBytes = geometry.blockSizeBytes();
        this.bucketSizeBytes = geometry.bucketSizeBytes();
        this.bucketCount = geometry.bucketCount();
    }

    @Override
    public boolean intact(JournalEntry entry) throws KeelException {
        for (JournalRecord.KeyUpdate u : entry.updates()) {
            if (u.btree() != BtreeId.EXTENTS || u.key().type() != KeyType.EXTENT) {
                continue;
            }
            Extent e;
            try {
                e = Extent.decode(u.key(), blockSizeBytes, bucketSizeBytes);
            } catch (InconsistentException bad) {
                return false;
            }
            if (e.bucket() >= bucketCount || !blocksMatch(e)) {
                return false;
            }
        }
        return true;
    }

    private boolean blocksMatch(Extent e) throws DeviceIoException {
        int length = e.crcs().length * blockSizeBytes;
        ByteBuffer data = ByteBuffer.allocate(length);
        long offset = e.bucket() * bucketSizeBytes + e.offsetInBucketBytes();
        try {
            device.read(offset, data);
        } catch (IOException ex) {
            throw new DeviceIoException("checking the data of journal extent at inode "
                    + e.ino() + " offset " + e.startBytes(), ex);
        }
        for (int i = 0; i < e.crcs().length; i++) {
            if (Crc32c.ofRange(data, i * blockSizeBytes, (i + 1) * blockSizeBytes)
                    != e.crcs()[i]) {
                return false;
            }
        }
        return true;
    }
}
