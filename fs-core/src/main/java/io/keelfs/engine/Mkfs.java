package io.keelfs.engine;

import io.keelfs.block.BlockDevice;
import io.keelfs.error.KeelException;
import io.keelfs.format.Geometry;
import io.keelfs.format.Superblock;
import io.keelfs.journal.JournalWriter;
import java.time.Instant;
import java.util.UUID;

/**
 * Formats a device: journal first (zeroed buckets and a first flushed entry), then both
 * superblock copies, so a crash during mkfs leaves a device that is plainly not a keelfs image
 * rather than one that half is.
 */
public final class Mkfs {
    private Mkfs() {}

    /** What mkfs chooses; sizes in bytes. */
    public record Options(int blockSizeBytes, int bucketSizeBytes, int nodeSizeBytes, String label) {
        public static Options defaults() {
            return new Options(Geometry.BLOCK_SIZE_BYTES_DEFAULT,
                    Geometry.BUCKET_SIZE_BYTES_DEFAULT, Geometry.NODE_SIZE_BYTES_DEFAULT, "");
        }

        public Options withBucketSizeBytes(int value) {
            return new Options(blockSizeBytes, value, nodeSizeBytes, label);
        }

        public Options withNodeSizeBytes(int value) {
            return new Options(blockSizeBytes, bucketSizeBytes, value, label);
        }
    }

    /** Formats the whole device; a device too small is an IllegalArgumentException naming the minimum. */
    public static Superblock format(BlockDevice device, Options options) throws KeelException {
        Geometry g = Geometry.forDevice(device.sizeBytes(), options.blockSizeBytes(),
                options.bucketSizeBytes(), options.nodeSizeBytes());
        long[] journal = new long[g.journalBucketCount()];
        for (int i = 0; i < journal.length; i++) {
            journal[i] = g.firstJournalBucket() + i;
        }
        Superblock sb = new Superblock(UUID.randomUUID(), 1, g, device.sizeBytes(), 0,
                Superblock.FLAG_CLEAN, Instant.now().getEpochSecond(), options.label(), journal);
        JournalWriter.format(device, Engine.journalLayout(sb));
        SuperblockIo.write(device, sb);
        return sb;
    }
}
