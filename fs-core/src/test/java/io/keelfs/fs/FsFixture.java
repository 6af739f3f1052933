package io.keelfs.fs;

import io.keelfs.alloc.AllocHooks;
import io.keelfs.alloc.AllocInit;
import io.keelfs.alloc.BucketAllocator;
import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import io.keelfs.error.KeelException;
import io.keelfs.format.Geometry;
import io.keelfs.fs.data.ExtentFileData;
import io.keelfs.fs.data.FileData;
import io.keelfs.fs.data.FileDataOptions;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A formatted filesystem on a memory device, remountable, with file contents either in the
 * test-only {@link MemoryFileData} (survives remounts in memory) or, {@link #real}, in
 * {@link ExtentFileData} on the device: 4 KiB blocks, 128 KiB buckets, 32 KiB nodes (a full
 * 4 KiB key fits), node buckets first and data buckets after {@link #NODE_BUCKETS}.
 */
final class FsFixture implements AutoCloseable {
    static final Caller USER = new Caller(1000, 1000);
    static final int NODE_BUCKETS = 64;

    MemoryBlockDevice device;
    /** The contents of the memory double, or null on the real stack. */
    final MemoryFileData data;
    final FsOptions options;
    private final long split;
    private final long end;
    KeelFilesystem fs;

    private FsFixture(FsOptions options, long deviceBytes, boolean real) throws KeelException {
        this.options = options;
        this.device = new MemoryBlockDevice(deviceBytes, 4096, "fs-test");
        this.data = real ? null : new MemoryFileData();
        Mkfs.Options mkfs = new Mkfs.Options(4096, 128 << 10, 32 << 10, "fs");
        Mkfs.format(device, mkfs);
        Geometry g = Mkfs.geometry(deviceBytes, mkfs);
        this.split = real ? g.firstNodeBucket() + NODE_BUCKETS : 0;
        this.end = g.endNodeBucket();
        Engine engine = Engine.open(device, engineOptions());
        if (real) {
            AllocInit.initialise(engine, g, split, end, Durability.FLUSH);
        }
        KeelFilesystem.format(engine, options);
        fs = KeelFilesystem.open(engine, openData(engine, device), options);
    }

    FsFixture(FsOptions options, long deviceBytes) throws KeelException {
        this(options, deviceBytes, false);
    }

    static FsFixture create() throws KeelException {
        return new FsFixture(FsOptions.defaults(), 64L << 20, false);
    }

    /** Over the real extents, allocator and device. */
    static FsFixture real(FsOptions options) throws KeelException {
        return new FsFixture(options, 64L << 20, true);
    }

    EngineOptions engineOptions() {
        EngineOptions o = EngineOptions.defaults().withCheckpointIntervalMs(0)
                .withNodeCacheBytesMax(8 << 20);
        return split == 0 ? o : o.withNodeBucketsEnd(split);
    }

    private FileData openData(Engine engine, MemoryBlockDevice dev) throws KeelException {
        if (data != null) {
            return data;
        }
        BucketAllocator allocator = BucketAllocator.open(engine, split, end, AllocHooks.NONE);
        return ExtentFileData.open(engine, dev, allocator, split, end,
                FileDataOptions.defaults());
    }

    /** Clean unmount and mount again (handles are lost; orphans are freed at mount). */
    void remount() throws KeelException {
        fs.close();
        Engine engine = Engine.open(device, engineOptions());
        fs = KeelFilesystem.open(engine, openData(engine, device), options);
    }

    /** The process dies right after a sync: the next mount replays the journal. */
    void crashAndRemount() throws KeelException {
        fs.sync();
        MemoryBlockDevice snap = device.snapshot();
        fs.close(); // onto the old device contents, which nobody reads again
        device = snap;
        Engine engine = Engine.open(snap, engineOptions());
        fs = KeelFilesystem.open(engine, openData(engine, snap), options);
    }

    /**
     * Mounts a copy of the device as it is now, as if the process had died at this instant
     * (what the journal writer has not written yet is lost); the caller closes it.
     */
    KeelFilesystem mountCrashCopy() throws KeelException {
        MemoryBlockDevice snap = device.snapshot();
        Engine engine = Engine.open(snap, engineOptions());
        return KeelFilesystem.open(engine, openData(engine, snap), options);
    }

    long createFile(String path, String contents) throws KeelException {
        long h = fs.create(path, 0644, OpenFlags.O_RDWR, USER);
        fs.write(h, 0, ByteBuffer.wrap(contents.getBytes(StandardCharsets.UTF_8)));
        return h;
    }

    String readAll(long handle) throws KeelException {
        Stat st = fs.fgetattr(handle);
        ByteBuffer b = ByteBuffer.allocate((int) st.sizeBytes());
        while (b.hasRemaining()) {
            if (fs.read(handle, b.position(), b) == 0) {
                break;
            }
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }

    String readFile(String path) throws KeelException {
        long h = fs.open(path, OpenFlags.O_RDONLY);
        try {
            return readAll(h);
        } finally {
            fs.release(h);
        }
    }

    @Override
    public void close() throws KeelException {
        fs.close();
    }
}
