package io.keelfs.fs;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.Engine;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import io.keelfs.error.KeelException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** A formatted filesystem on a memory device with {@link MemoryFileData}; remountable. */
final class FsFixture implements AutoCloseable {
    static final Caller USER = new Caller(1000, 1000);

    final MemoryBlockDevice device;
    final MemoryFileData data = new MemoryFileData();
    final FsOptions options;
    KeelFilesystem fs;

    FsFixture(FsOptions options, long deviceBytes) throws KeelException {
        this.options = options;
        this.device = new MemoryBlockDevice(deviceBytes, 4096, "fs-test");
        Mkfs.format(device, new Mkfs.Options(4096, 128 << 10, 32 << 10, "fs"));
        Engine engine = Engine.open(device, engineOptions());
        KeelFilesystem.format(engine, options);
        fs = KeelFilesystem.open(engine, data, options);
    }

    static FsFixture create() throws KeelException {
        return new FsFixture(FsOptions.defaults(), 64L << 20);
    }

    static EngineOptions engineOptions() {
        return EngineOptions.defaults().withCheckpointIntervalMs(0)
                .withNodeCacheBytesMax(8 << 20);
    }

    /** Clean unmount and mount again (handles are lost; orphans are freed at mount). */
    void remount() throws KeelException {
        fs.close();
        fs = KeelFilesystem.open(Engine.open(device, engineOptions()), data, options);
    }

    /** The process dies without closing: the next mount replays the journal. */
    void crashAndRemount() throws KeelException {
        fs.sync();
        MemoryBlockDevice snap = device.snapshot();
        fs.close(); // onto the old device contents, which nobody reads again
        fs = KeelFilesystem.open(Engine.open(snap, engineOptions()), data, options);
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
