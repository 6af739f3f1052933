package io.keelfs.crash;

import io.keelfs.block.BlockDevice;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import io.keelfs.error.KeelException;
import io.keelfs.fs.Filesystem;
import io.keelfs.fs.KeelImage;

/**
 * keelfs itself as the stack under test: {@link KeelImage} on the device, with no background
 * checkpoint thread (the workload decides when things happen, so a seed replays exactly).
 */
public final class KeelStack implements FsStack {
    private final Mkfs.Options mkfs;
    private final long nodeCacheBytes;

    public KeelStack(Mkfs.Options mkfs, long nodeCacheBytes) {
        this.mkfs = mkfs;
        this.nodeCacheBytes = nodeCacheBytes;
    }

    /** Small buckets and nodes, so a short workload spreads over many buckets and nodes. */
    public static KeelStack small() {
        return new KeelStack(new Mkfs.Options(4096, 64 << 10, 8 << 10, "crash"), 4L << 20);
    }

    @Override
    public void format(BlockDevice device) throws KeelException {
        KeelImage.format(device, mkfs);
    }

    @Override
    public Filesystem open(BlockDevice device) throws KeelException {
        EngineOptions engine = EngineOptions.defaults().withCheckpointIntervalMs(0)
                .withNodeCacheBytesMax(nodeCacheBytes);
        return KeelImage.open(device, KeelImage.Options.defaults().withEngine(engine));
    }
}
