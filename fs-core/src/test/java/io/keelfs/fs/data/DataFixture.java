package io.keelfs.fs.data;

import io.keelfs.alloc.AllocHooks;
import io.keelfs.alloc.AllocInit;
import io.keelfs.alloc.BucketAllocator;
import io.keelfs.block.BlockDevice;
import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import io.keelfs.error.KeelException;
import io.keelfs.format.Geometry;
import java.nio.ByteBuffer;

/**
 * A small image with nodes and data in disjoint bucket ranges (until node buckets come from
 * the allocator): 64 KiB buckets of 4 KiB blocks; nodes in [firstNodeBucket, split), data in
 * [split, endNodeBucket). Opens engine, allocator and file data; reopens them.
 */
final class DataFixture implements AutoCloseable {
    static final int BLOCK = 4096;
    static final int BUCKET = 64 << 10;
    static final int NODE = 8 << 10;
    static final int NODE_BUCKETS = 24;

    final BlockDevice device;
    final long split;
    final long end;
    final FileDataOptions options;
    final EngineOptions engineOptions;
    Engine engine;
    BucketAllocator allocator;
    ExtentFileData data;

    private DataFixture(BlockDevice device, FileDataOptions options, EngineOptions eo) {
        this.device = device;
        this.options = options;
        Geometry g = Geometry.forDevice(device.sizeBytes(), BLOCK, BUCKET, NODE);
        this.split = g.firstNodeBucket() + NODE_BUCKETS;
        this.end = g.endNodeBucket();
        this.engineOptions = eo.withNodeBucketsEnd(split);
    }

    static EngineOptions engineOptions() {
        return EngineOptions.defaults().withCheckpointIntervalMs(0)
                .withNodeCacheBytesMax(8 << 20);
    }

    /** Formats {@code device}, initialises the data range and opens everything. */
    static DataFixture format(BlockDevice device, FileDataOptions options) throws Exception {
        return format(device, options, engineOptions());
    }

    static DataFixture format(BlockDevice device, FileDataOptions options, EngineOptions eo)
            throws Exception {
        Mkfs.format(device, new Mkfs.Options(BLOCK, BUCKET, NODE, "data-test"));
        DataFixture f = new DataFixture(device, options, eo);
        f.engine = Engine.open(device, f.engineOptions);
        AllocInit.initialise(f.engine, f.engine.superblock().geometry(), f.split, f.end,
                Durability.FLUSH);
        f.openData();
        return f;
    }

    /** Opens an already formatted and initialised device. */
    static DataFixture open(BlockDevice device, FileDataOptions options) throws Exception {
        DataFixture f = new DataFixture(device, options, engineOptions());
        f.engine = Engine.open(device, f.engineOptions);
        f.openData();
        return f;
    }

    static MemoryBlockDevice memory(long sizeBytes) {
        return new MemoryBlockDevice(sizeBytes, BLOCK, "data-test");
    }

    private void openData() throws KeelException {
        allocator = BucketAllocator.open(engine, split, end, AllocHooks.NONE);
        data = ExtentFileData.open(engine, device, allocator, split, end, options);
    }

    void reopen() throws Exception {
        data.close();
        engine.close();
        engine = Engine.open(device, engineOptions);
        openData();
    }

    long dataBuckets() {
        return end - split;
    }

    /** prepare + commit (in its own transaction) + finish; returns the used-bytes delta. */
    long write(long ino, long offset, byte[] bytes, long fileSize, Durability d)
            throws KeelException {
        return write(data, ino, offset, bytes, fileSize, d);
    }

    long write(FileData fd, long ino, long offset, byte[] bytes, long fileSize, Durability d)
            throws KeelException {
        FileData.PreparedWrite w = fd.prepare(ino, offset, ByteBuffer.wrap(bytes), fileSize);
        try {
            return engine.update(txn -> fd.commit(txn, w), d);
        } finally {
            fd.finish(w);
        }
    }

    byte[] read(long ino, long offset, int length, long fileSize) throws KeelException {
        ByteBuffer dst = ByteBuffer.allocate(length);
        int n = data.read(ino, offset, dst, fileSize);
        byte[] out = new byte[n];
        dst.flip().get(out);
        return out;
    }

    /** Punches whole blocks of [start, end) transaction by transaction; returns the delta. */
    /** fallocate's three steps over block-aligned [start, end); returns the bytes-used delta. */
    long allocate(long ino, long start, long end) throws KeelException {
        FileData.PreparedAllocation a = data.prepareAllocate(ino, start, end);
        long delta = 0;
        try {
            for (long at = start; at < end; ) {
                long from = at;
                FileData.PunchResult r = engine.update(txn -> data.commitAllocate(txn, a, from),
                        Durability.NO_FLUSH);
                delta += r.usedDeltaBytes();
                at = r.doneUpToBytes();
            }
        } finally {
            data.finishAllocate(a);
        }
        return delta;
    }

    long punchBlocks(long ino, long start, long end) throws KeelException {
        long delta = 0;
        long at = start;
        for (int t = 0; at < end; t++) {
            if (t > 10_000) {
                throw new AssertionError("punch made no progress at " + at);
            }
            long from = at;
            FileData.PunchResult r = engine.update(txn -> data.punch(txn, ino, from, end),
                    Durability.NO_FLUSH);
            delta += r.usedDeltaBytes();
            at = r.doneUpToBytes();
        }
        return delta;
    }

    @Override
    public void close() throws Exception {
        data.close();
        engine.close();
    }
}
