package io.keelfs.block;

/**
 * Argument checks shared by every {@link BlockDevice}: caller mistakes (STYLE.md tier 1), so
 * they throw {@link IllegalArgumentException} with every number a reader needs.
 */
public final class BlockChecks {
    /** Smallest and largest block size a device may have. */
    public static final int BLOCK_SIZE_BYTES_MIN = 512;
    public static final int BLOCK_SIZE_BYTES_MAX = 1 << 20;

    private BlockChecks() {}

    /** Checks that a block size is a power of two in the supported range. */
    public static void checkBlockSize(int blockSizeBytes) {
        if (blockSizeBytes < BLOCK_SIZE_BYTES_MIN
                || blockSizeBytes > BLOCK_SIZE_BYTES_MAX
                || Integer.bitCount(blockSizeBytes) != 1) {
            throw new IllegalArgumentException(String.format(
                    "block size %d bytes is not a power of two in [%d, %d]",
                    blockSizeBytes, BLOCK_SIZE_BYTES_MIN, BLOCK_SIZE_BYTES_MAX));
        }
    }

    /** Checks that a device size is positive and a whole number of blocks. */
    public static void checkDeviceSize(long sizeBytes, int blockSizeBytes) {
        if (sizeBytes <= 0 || sizeBytes % blockSizeBytes != 0) {
            throw new IllegalArgumentException(String.format(
                    "device size %d bytes is not a positive multiple of the block size %d",
                    sizeBytes, blockSizeBytes));
        }
    }

    /** Checks an I/O range against the device geometry; every failure names all four numbers. */
    public static void checkRange(
            long offsetBytes, long lengthBytes, long sizeBytes, int blockSizeBytes) {
        String problem = null;
        if (offsetBytes < 0) {
            problem = "negative offset";
        } else if (lengthBytes < 0) {
            problem = "negative length";
        } else if (offsetBytes % blockSizeBytes != 0) {
            problem = "offset not block-aligned";
        } else if (lengthBytes % blockSizeBytes != 0) {
            problem = "length not a multiple of the block size";
        } else if (offsetBytes > sizeBytes || lengthBytes > sizeBytes - offsetBytes) {
            problem = "range past the end of the device";
        }
        if (problem != null) {
            throw new IllegalArgumentException(String.format(
                    "%s: offset %d, length %d, device size %d, block size %d",
                    problem, offsetBytes, lengthBytes, sizeBytes, blockSizeBytes));
        }
    }
}
