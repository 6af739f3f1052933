package io.keelfs.journal;

import io.keelfs.block.BlockDevice;
import io.keelfs.error.DeviceIoException;
import io.keelfs.error.KeelException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads every journal bucket and decodes what is in it, without deciding anything: the raw
 * material of {@link JournalReader} and of fsck's journal dump. Entry point: {@link #scan}.
 *
 * <p>Per bucket: decode block-aligned entries from offset 0; a valid entry is followed by the
 * next at its end; a block where no entry starts (wrong magic) ends the bucket. A damaged entry
 * (magic matched, checksum, length or fields bad) is recorded, and then, unlike a clean end,
 * every later block of the bucket is probed for a valid entry: a torn or rotted entry must not
 * hide acknowledged entries written after it, or the reader would cut them as a "torn tail"
 * without proof (crash-testing.md design implications).
 *
 * <p>Thread-safety: stateless; reads the device only.
 */
final class JournalScan {
    private JournalScan() {}

    /** A valid entry and where it was found. */
    record Located(JournalEntry entry, int bucketIndex, int offsetInBucketBytes, int sizeBytes,
            long deviceOffsetBytes, boolean afterDamage) {}

    /** A damaged entry: its unverified header seq, where, and what is wrong. */
    record Damage(long headerSeq, int bucketIndex, long deviceOffsetBytes, String reason) {}

    /** A bucket that could not be read. */
    record Unreadable(int bucketIndex, long deviceOffsetBytes, String reason) {}

    /**
     * Everything found.
     *
     * @param valid valid entries, bucket by bucket in ring order, in offset order within one
     * @param damaged damaged entries in the same order
     * @param unreadable buckets whose read failed (only when they were tolerated)
     */
    record Result(List<Located> valid, List<Damage> damaged, List<Unreadable> unreadable) {}

    /**
     * Scans all buckets.
     *
     * @param tolerateReadErrors record an unreadable bucket and go on, instead of failing
     * @throws DeviceIoException when a bucket cannot be read and errors are not tolerated
     */
    static Result scan(BlockDevice device, JournalLayout layout, boolean tolerateReadErrors)
            throws KeelException {
        layout.checkFits(device);
        List<Located> valid = new ArrayList<>();
        List<Damage> damaged = new ArrayList<>();
        List<Unreadable> unreadable = new ArrayList<>();
        byte[] bucket = new byte[layout.bucketSizeBytes()];
        for (int b = 0; b < layout.bucketCount(); b++) {
            long bucketOffset = layout.bucketOffsetBytes(b);
            try {
                device.read(bucketOffset, ByteBuffer.wrap(bucket));
            } catch (IOException e) {
                if (!tolerateReadErrors) {
                    throw new DeviceIoException(String.format(
                            "reading journal bucket %d at offset %d of %s",
                            b, bucketOffset, device.describe()), e);
                }
                unreadable.add(new Unreadable(b, bucketOffset, e.toString()));
                continue;
            }
            scanBucket(bucket, b, bucketOffset, layout.blockSizeBytes(), valid, damaged);
        }
        return new Result(valid, damaged, unreadable);
    }

    /** Decodes one bucket's bytes into the lists. */
    static void scanBucket(byte[] bucket, int bucketIndex, long bucketOffsetBytes,
            int blockSizeBytes, List<Located> valid, List<Damage> damaged) {
        int offset = 0;
        boolean afterDamage = false;
        // Bounded: every iteration advances offset by at least one block.
        while (offset < bucket.length) {
            JournalEntryCodec.Decoded d =
                    JournalEntryCodec.decode(bucket, offset, bucket.length, blockSizeBytes);
            if (d instanceof JournalEntryCodec.Decoded.Valid v) {
                valid.add(new Located(v.entry(), bucketIndex, offset, v.sizeBytes(),
                        bucketOffsetBytes + offset, afterDamage));
                offset += v.sizeBytes();
            } else if (d instanceof JournalEntryCodec.Decoded.Damaged bad) {
                damaged.add(new Damage(
                        bad.headerSeq(), bucketIndex, bucketOffsetBytes + offset, bad.reason()));
                afterDamage = true;
                offset += blockSizeBytes;
            } else if (afterDamage) {
                offset += blockSizeBytes;
            } else {
                return;
            }
        }
    }
}
