package io.keelfs.fs;

import io.keelfs.alloc.AllocFormat;
import io.keelfs.alloc.ManagedEngine;
import io.keelfs.block.BlockDevice;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import io.keelfs.error.KeelException;
import io.keelfs.format.Geometry;
import io.keelfs.format.Superblock;
import io.keelfs.engine.SuperblockIo;
import io.keelfs.fs.data.ExtentFileData;
import io.keelfs.fs.data.ExtentReplayCheck;
import io.keelfs.fs.data.FileData;
import io.keelfs.fs.data.FileDataOptions;

/**
 * The whole filesystem stack on one device, as mkfs, mount, fsck and the crash tests make and
 * open it: the engine in managed mode (btree nodes in allocator buckets), the bucket allocator,
 * the file data over the same allocator, and {@link KeelFilesystem} on top.
 *
 * <p>Entry points: {@link #format}, {@link #open}. Thread-safety: stateless.
 */
public final class KeelImage {
    /** How an image is opened. */
    public record Options(EngineOptions engine, FileDataOptions data, FsOptions fs) {
        public static Options defaults() {
            return new Options(EngineOptions.defaults(), FileDataOptions.defaults(),
                    FsOptions.defaults());
        }

        public Options withEngine(EngineOptions value) {
            return new Options(value, data, fs);
        }

        public Options withFs(FsOptions value) {
            return new Options(engine, data, value);
        }

        public boolean readOnly() {
            return engine.readOnly();
        }
    }

    private KeelImage() {}

    /**
     * Formats the device: superblocks, journal, an alloc record for every bucket (the early
     * allocator places the first btree nodes), then the root directory. Returns the superblock.
     */
    public static Superblock format(BlockDevice device, Mkfs.Options mkfs) throws KeelException {
        return format(device, mkfs, Mkfs.Progress.NONE);
    }

    /** {@link #format} reporting progress (journal zeroing) to {@code progress}. */
    public static Superblock format(BlockDevice device, Mkfs.Options mkfs, Mkfs.Progress progress)
            throws KeelException {
        Superblock sb = AllocFormat.format(device, mkfs, progress);
        EngineOptions options = EngineOptions.defaults().withCheckpointIntervalMs(0);
        try (ManagedEngine managed = ManagedEngine.open(device, options)) {
            KeelFilesystem.format(managed.engine(), FsOptions.defaults());
        }
        return sb;
    }

    /**
     * Mounts the filesystem on the device (journal replay, orphans finished unless read-only).
     * Replay stops before an unacknowledged journal tail whose file data did not reach the
     * device ({@link ExtentReplayCheck}).
     * Closing the result syncs and closes everything under it.
     */
    public static KeelFilesystem open(BlockDevice device, Options options) throws KeelException {
        Geometry geometry = SuperblockIo.read(device).superblock().geometry();
        ManagedEngine managed = ManagedEngine.open(device, options.engine()
                .withReplayCheck(new ExtentReplayCheck(device, geometry)));
        try {
            Geometry g = managed.engine().superblock().geometry();
            FileData data = managed.allocator() == null
                    ? null
                    : ExtentFileData.open(managed.engine(), device, managed.allocator(),
                            g.firstNodeBucket(), g.endNodeBucket(), options.data());
            return KeelFilesystem.open(managed.engine(), data == null
                    ? ExtentFileData.readOnly(managed.engine(), device, options.data())
                    : data, options.fs());
        } catch (KeelException | RuntimeException e) {
            managed.close();
            throw e;
        }
    }

    public static KeelFilesystem open(BlockDevice device) throws KeelException {
        return open(device, Options.defaults());
    }
}
