package io.keelfs.format;

/**
 * Where things live on a keelfs device, computed from the sizes chosen at mkfs.
 *
 * <pre>
 * bucket 0                 superblock copy A at {@link #superblockOffsetsBytes()}[0]
 * buckets 1 .. J           the journal ring (J = journal bucket count)
 * buckets J+1 .. N-2       btree nodes and data
 * bucket N-1 (the last)    superblock copy B at its start
 * </pre>
 *
 * Two copies far apart, so damage to one end of the image leaves the other readable.
 */
public record Geometry(
        int blockSizeBytes, int bucketSizeBytes, int nodeSizeBytes, long bucketCount,
        int journalBucketCount) {
    public static final int BLOCK_SIZE_BYTES_DEFAULT = 4096;
    public static final int BLOCK_SIZE_BYTES_MIN = 512;
    public static final int BLOCK_SIZE_BYTES_MAX = 64 << 10;
    public static final int BUCKET_SIZE_BYTES_DEFAULT = 1 << 20;
    public static final int NODE_SIZE_BYTES_DEFAULT = 256 << 10;
    public static final int NODE_SIZE_BYTES_MIN = 4096;
    public static final int NODE_SIZE_BYTES_MAX = 1 << 20;
    public static final int BUCKET_SIZE_BYTES_MIN = 16 << 10;
    public static final int BUCKET_SIZE_BYTES_MAX = 64 << 20;
    /** bcachefs: at least 8 journal buckets, 1/128 of the device by default. */
    public static final int JOURNAL_BUCKETS_MIN = 8;
    public static final int JOURNAL_BUCKETS_MAX = 256;
    public static final int JOURNAL_FRACTION_DIVISOR = 128;
    /** Room for every btree's root twice over (copy-on-write needs old and new) and some data. */
    public static final int NODE_BUCKETS_MIN = 16;
    /** Superblock bucket + journal + node space + last-bucket superblock copy. */
    public static final long BUCKET_COUNT_MIN = 1 + JOURNAL_BUCKETS_MIN + NODE_BUCKETS_MIN + 1;

    static {
        if (JOURNAL_BUCKETS_MAX * 8L + 256 > BLOCK_SIZE_BYTES_DEFAULT) {
            throw new ExceptionInInitializerError("journal bucket list does not fit a superblock");
        }
    }

    public Geometry {
        checkSizes(blockSizeBytes, bucketSizeBytes, nodeSizeBytes);
        if (journalBucketCount < JOURNAL_BUCKETS_MIN || journalBucketCount > JOURNAL_BUCKETS_MAX) {
            throw new IllegalArgumentException(String.format(
                    "journal of %d buckets not in [%d, %d]",
                    journalBucketCount, JOURNAL_BUCKETS_MIN, JOURNAL_BUCKETS_MAX));
        }
        long needed = 1 + journalBucketCount + NODE_BUCKETS_MIN + 1;
        if (bucketCount < needed) {
            throw new IllegalArgumentException(String.format(
                    "%d buckets of %d bytes are too few: need at least %d (%d bytes)",
                    bucketCount, bucketSizeBytes, needed, needed * bucketSizeBytes));
        }
    }

    /**
     * Checks the three sizes mkfs chooses, without a device: each a power of two in its range,
     * block <= node <= bucket. An {@link IllegalArgumentException} names the size at fault.
     */
    public static void checkSizes(int blockSizeBytes, int bucketSizeBytes, int nodeSizeBytes) {
        checkPowerOfTwo("block size", blockSizeBytes,
                BLOCK_SIZE_BYTES_MIN, BLOCK_SIZE_BYTES_MAX);
        checkPowerOfTwo("bucket size", bucketSizeBytes,
                BUCKET_SIZE_BYTES_MIN, BUCKET_SIZE_BYTES_MAX);
        checkPowerOfTwo("node size", nodeSizeBytes, NODE_SIZE_BYTES_MIN, NODE_SIZE_BYTES_MAX);
        if (nodeSizeBytes < blockSizeBytes) {
            throw new IllegalArgumentException(String.format(
                    "node size %d is smaller than the block size %d",
                    nodeSizeBytes, blockSizeBytes));
        }
        if (bucketSizeBytes < nodeSizeBytes) {
            throw new IllegalArgumentException(String.format(
                    "bucket size %d is smaller than the node size %d",
                    bucketSizeBytes, nodeSizeBytes));
        }
    }

    /** The layout mkfs picks for a device of this size; too small is an error with the minimum. */
    public static Geometry forDevice(
            long deviceSizeBytes, int blockSizeBytes, int bucketSizeBytes, int nodeSizeBytes) {
        long bucketCount = deviceSizeBytes / bucketSizeBytes;
        long minimumBytes = minimumDeviceBytes(bucketSizeBytes);
        if (bucketCount < BUCKET_COUNT_MIN) {
            throw new IllegalArgumentException(String.format(
                    "device of %d bytes is too small for %d-byte buckets: the minimum is %d bytes"
                            + " (%d buckets: superblocks, %d journal buckets, %d for btree nodes)",
                    deviceSizeBytes, bucketSizeBytes, minimumBytes, BUCKET_COUNT_MIN,
                    JOURNAL_BUCKETS_MIN, NODE_BUCKETS_MIN));
        }
        long journal = Math.max(JOURNAL_BUCKETS_MIN,
                Math.min(JOURNAL_BUCKETS_MAX, bucketCount / JOURNAL_FRACTION_DIVISOR));
        return new Geometry(
                blockSizeBytes, bucketSizeBytes, nodeSizeBytes, bucketCount, (int) journal);
    }

    public static long minimumDeviceBytes(int bucketSizeBytes) {
        return BUCKET_COUNT_MIN * bucketSizeBytes;
    }

    /** Bytes of the device this geometry uses (a tail smaller than a bucket is left unused). */
    public long usedBytes() {
        return bucketCount * bucketSizeBytes;
    }

    public long bucketOffsetBytes(long bucketIndex) {
        return bucketIndex * bucketSizeBytes;
    }

    /** Copy A in bucket 0 after one free block (bcachefs leaves its first sectors), copy B. */
    public long[] superblockOffsetsBytes() {
        long copyA = Math.max(4096, blockSizeBytes);
        long copyB = bucketOffsetBytes(bucketCount - 1);
        return new long[] {copyA, copyB};
    }

    public long firstJournalBucket() {
        return 1;
    }

    public long firstNodeBucket() {
        return 1 + journalBucketCount;
    }

    /** One past the last bucket usable for nodes and data (the last bucket holds superblock B). */
    public long endNodeBucket() {
        return bucketCount - 1;
    }

    public int nodesPerBucket() {
        return bucketSizeBytes / nodeSizeBytes;
    }

    public long journalBytes() {
        return (long) journalBucketCount * bucketSizeBytes;
    }

    public long nodeBucketCount() {
        return endNodeBucket() - firstNodeBucket();
    }

    private static void checkPowerOfTwo(String what, int value, int min, int max) {
        if (value < min || value > max || Integer.bitCount(value) != 1) {
            throw new IllegalArgumentException(String.format(
                    "%s %d bytes is not a power of two in [%d, %d]", what, value, min, max));
        }
    }
}
