package io.keelfs.fs.data;

/**
 * How {@link ExtentFileData} uses its bucket range.
 *
 * @param writePoints write points for file writes (each fills one open bucket at a time);
 *     copygc has one more of its own
 * @param reserveBuckets free buckets file writes may not take: left for btree nodes when they
 *     share the allocator, and for copygc, which must be able to move data to free space
 * @param copyGcFreeBucketsLow below this many free buckets a write first runs copygc
 * @param copyGcLiveFractionMax buckets whose live bytes are at most this fraction of the
 *     bucket are moved by a background (non-urgent) copygc pass
 * @param hooks test hooks
 */
public record FileDataOptions(int writePoints, int reserveBuckets, int copyGcFreeBucketsLow,
        double copyGcLiveFractionMax, FileDataHooks hooks) {
    /** More write points than this only spread small writes over more open buckets. */
    public static final int WRITE_POINTS_MAX = 64;

    public FileDataOptions {
        if (writePoints < 1 || writePoints > WRITE_POINTS_MAX) {
            throw new IllegalArgumentException("write points " + writePoints + " not in [1, "
                    + WRITE_POINTS_MAX + "]");
        }
        if (reserveBuckets < 1 || copyGcFreeBucketsLow < reserveBuckets) {
            throw new IllegalArgumentException(String.format(
                    "reserve %d buckets must be >= 1 (copygc needs one) and <= the copygc low"
                            + " mark %d", reserveBuckets, copyGcFreeBucketsLow));
        }
        if (!(copyGcLiveFractionMax > 0 && copyGcLiveFractionMax < 1)) {
            throw new IllegalArgumentException("copygc live fraction " + copyGcLiveFractionMax
                    + " not in (0, 1)");
        }
    }

    /** 4 write points; 4 buckets reserved; copygc below 8 free or on buckets at most half live. */
    public static FileDataOptions defaults() {
        return new FileDataOptions(4, 4, 8, 0.5, FileDataHooks.NONE);
    }

    public FileDataOptions withWritePoints(int value) {
        return new FileDataOptions(value, reserveBuckets, copyGcFreeBucketsLow,
                copyGcLiveFractionMax, hooks);
    }

    public FileDataOptions withReserve(int reserve, int copyGcLow) {
        return new FileDataOptions(writePoints, reserve, copyGcLow, copyGcLiveFractionMax,
                hooks);
    }

    public FileDataOptions withHooks(FileDataHooks value) {
        return new FileDataOptions(writePoints, reserveBuckets, copyGcFreeBucketsLow,
                copyGcLiveFractionMax, value);
    }
}
