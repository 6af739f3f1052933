package io.keelfs.engine;

import io.keelfs.block.BlockDevice;
import io.keelfs.error.KeelException;
import io.keelfs.format.Geometry;
import io.keelfs.format.Superblock;
import io.keelfs.journal.JournalWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

/**
 * Formats a device: every place a superblock copy may be is zeroed first, then the journal
 * (zeroed buckets and a first flushed entry), then both superblock copies, so a crash during
 * mkfs leaves a device that is plainly not a keelfs image rather than one that half is, and no
 * superblock of an earlier filesystem on the device survives to be read instead of ours.
 *
 * <p>Entry points: {@link #geometry} (the layout, or why the device is too small, before
 * anything is written) and {@link #format}.
 *
 * <p>Thread-safety: stateless; the caller owns the device for the duration.
 */
public final class Mkfs {
    private Mkfs() {}

    /**
     * What mkfs chooses; sizes in bytes. The constructor checks the sizes against each other
     * ({@link Geometry#checkSizes}) and the label (at most {@link Superblock#LABEL_BYTES_MAX}
     * bytes of UTF-8, no NUL, which pads the label on disk): an
     * {@link IllegalArgumentException} names the value at fault.
     */
    public record Options(
            int blockSizeBytes, int bucketSizeBytes, int nodeSizeBytes, String label) {
        public Options {
            Geometry.checkSizes(blockSizeBytes, bucketSizeBytes, nodeSizeBytes);
            int labelBytes = label.getBytes(StandardCharsets.UTF_8).length;
            if (labelBytes > Superblock.LABEL_BYTES_MAX) {
                throw new IllegalArgumentException(String.format(
                        "label '%s' is %d bytes of UTF-8; at most %d fit",
                        label, labelBytes, Superblock.LABEL_BYTES_MAX));
            }
            if (label.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("label contains a NUL character");
            }
        }

        public static Options defaults() {
            return new Options(Geometry.BLOCK_SIZE_BYTES_DEFAULT,
                    Geometry.BUCKET_SIZE_BYTES_DEFAULT, Geometry.NODE_SIZE_BYTES_DEFAULT, "");
        }

        public Options withBlockSizeBytes(int value) {
            return new Options(value, bucketSizeBytes, nodeSizeBytes, label);
        }

        public Options withBucketSizeBytes(int value) {
            return new Options(blockSizeBytes, value, nodeSizeBytes, label);
        }

        public Options withNodeSizeBytes(int value) {
            return new Options(blockSizeBytes, bucketSizeBytes, value, label);
        }

        public Options withLabel(String value) {
            return new Options(blockSizeBytes, bucketSizeBytes, nodeSizeBytes, value);
        }
    }

    /** Told how formatting moves on; called on the formatting thread. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (done, total) -> { };

        /** {@code bucketsDone} of the {@code bucketsTotal} journal buckets are zeroed. */
        void journalZeroed(int bucketsDone, int bucketsTotal);
    }

    /**
     * The layout {@link #format} would write on a device of {@code deviceSizeBytes}; a device
     * too small is an IllegalArgumentException naming the minimum. Writes nothing.
     */
    public static Geometry geometry(long deviceSizeBytes, Options options) {
        return Geometry.forDevice(deviceSizeBytes, options.blockSizeBytes(),
                options.bucketSizeBytes(), options.nodeSizeBytes());
    }

    /**
     * Formats the whole device; a device too small is an IllegalArgumentException naming the
     * minimum.
     */
    public static Superblock format(BlockDevice device, Options options) throws KeelException {
        return format(device, options, Progress.NONE);
    }

    /** {@link #format(BlockDevice, Options)}, reporting the journal zeroing to {@code progress}. */
    public static Superblock format(BlockDevice device, Options options, Progress progress)
            throws KeelException {
        return format(device, options, progress, 0);
    }

    /**
     * As {@link #format(BlockDevice, Options, Progress)} with these superblock feature bits
     * (a subset of {@link Superblock#FEATURES_KNOWN}); the alloc package's AllocFormat sets
     * {@link Superblock#FEATURE_ALLOC_RECORDS}.
     */
    public static Superblock format(BlockDevice device, Options options, Progress progress,
            long features) throws KeelException {
        if ((features & ~Superblock.FEATURES_KNOWN) != 0) {
            throw new IllegalArgumentException(String.format("unknown feature bits %x",
                    features & ~Superblock.FEATURES_KNOWN));
        }
        Geometry g = geometry(device.sizeBytes(), options);
        long[] journal = new long[g.journalBucketCount()];
        for (int i = 0; i < journal.length; i++) {
            journal[i] = g.firstJournalBucket() + i;
        }
        Superblock sb = new Superblock(UUID.randomUUID(), 1, g, device.sizeBytes(), features,
                Superblock.FLAG_CLEAN, Instant.now().getEpochSecond(), options.label(), journal);
        SuperblockIo.eraseAll(device);
        JournalWriter.format(device, Engine.journalLayout(sb),
                done -> progress.journalZeroed(done, journal.length));
        SuperblockIo.write(device, sb);
        return sb;
    }
}
