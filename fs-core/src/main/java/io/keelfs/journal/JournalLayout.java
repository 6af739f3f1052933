package io.keelfs.journal;

import io.keelfs.block.BlockChecks;
import io.keelfs.block.BlockDevice;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the journal lives: a ring of journal buckets, in ring order, as the superblock lists
 * them (DESIGN.md section 4). Entries start block-aligned inside a bucket, are padded to a
 * whole number of blocks, and never span two buckets.
 *
 * <p>Entry points: the record components, {@link #bucketCount()}, {@link #checkFits}.
 *
 * @param bucketOffsetsBytes device offset of each journal bucket, in ring order
 * @param bucketSizeBytes size of every journal bucket, a multiple of the block size
 * @param blockSizeBytes the entry alignment and padding unit, a multiple of the device block
 */
public record JournalLayout(
        List<Long> bucketOffsetsBytes, int bucketSizeBytes, int blockSizeBytes) {
    /** Fewest buckets: the writer needs the bucket it writes plus one spare (see JournalSpace). */
    public static final int BUCKET_COUNT_MIN = 2;
    /** Most buckets: bcachefs caps the journal at RAM/4; this keeps per-bucket arrays small. */
    public static final int BUCKET_COUNT_MAX = 1 << 16;
    /** Largest bucket: entry sizes are u32 on disk and a bucket is read into one array. */
    public static final int BUCKET_SIZE_BYTES_MAX = 1 << 30;

    public JournalLayout {
        BlockChecks.checkBlockSize(blockSizeBytes);
        bucketOffsetsBytes = List.copyOf(bucketOffsetsBytes);
        int count = bucketOffsetsBytes.size();
        if (count < BUCKET_COUNT_MIN || count > BUCKET_COUNT_MAX) {
            throw new IllegalArgumentException(String.format(
                    "%d journal buckets, need [%d, %d]",
                    count, BUCKET_COUNT_MIN, BUCKET_COUNT_MAX));
        }
        if (bucketSizeBytes <= 0 || bucketSizeBytes > BUCKET_SIZE_BYTES_MAX
                || bucketSizeBytes % blockSizeBytes != 0) {
            throw new IllegalArgumentException(String.format(
                    "journal bucket size %d bytes is not a multiple of the block size %d "
                            + "in (0, %d]",
                    bucketSizeBytes, blockSizeBytes, BUCKET_SIZE_BYTES_MAX));
        }
        checkOffsets(bucketOffsetsBytes, bucketSizeBytes, blockSizeBytes);
    }

    /** {@code count} contiguous buckets starting at {@code firstOffsetBytes}. */
    public static JournalLayout contiguous(
            long firstOffsetBytes, int count, int bucketSizeBytes, int blockSizeBytes) {
        List<Long> offsets = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            offsets.add(firstOffsetBytes + (long) i * bucketSizeBytes);
        }
        return new JournalLayout(offsets, bucketSizeBytes, blockSizeBytes);
    }

    public int bucketCount() {
        return bucketOffsetsBytes.size();
    }

    public long bucketOffsetBytes(int bucketIndex) {
        return bucketOffsetsBytes.get(bucketIndex);
    }

    public int blocksPerBucket() {
        return bucketSizeBytes / blockSizeBytes;
    }

    /** Rounds a byte count up to whole blocks. */
    public int paddedBytes(int bytes) {
        return Math.floorDiv(bytes + blockSizeBytes - 1, blockSizeBytes) * blockSizeBytes;
    }

    /** Checks, as a caller mistake, that every bucket lies inside the device and is aligned. */
    public void checkFits(BlockDevice device) {
        int deviceBlockBytes = device.blockSizeBytes();
        if (blockSizeBytes % deviceBlockBytes != 0) {
            throw new IllegalArgumentException(String.format(
                    "journal block size %d is not a multiple of the device block size %d of %s",
                    blockSizeBytes, deviceBlockBytes, device.describe()));
        }
        for (int i = 0; i < bucketCount(); i++) {
            BlockChecks.checkRange(
                    bucketOffsetBytes(i), bucketSizeBytes, device.sizeBytes(), deviceBlockBytes);
        }
    }

    private static void checkOffsets(List<Long> offsets, int bucketSizeBytes, int blockSizeBytes) {
        List<Long> sorted = new ArrayList<>(offsets);
        sorted.sort(null);
        for (int i = 0; i < sorted.size(); i++) {
            long offset = sorted.get(i);
            if (offset < 0 || offset % blockSizeBytes != 0) {
                throw new IllegalArgumentException(String.format(
                        "journal bucket offset %d is negative or not aligned to %d",
                        offset, blockSizeBytes));
            }
            if (i > 0 && sorted.get(i - 1) + bucketSizeBytes > offset) {
                throw new IllegalArgumentException(String.format(
                        "journal buckets at %d and %d overlap (bucket size %d)",
                        sorted.get(i - 1), offset, bucketSizeBytes));
            }
        }
    }
}
