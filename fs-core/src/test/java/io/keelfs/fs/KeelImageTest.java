package io.keelfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import io.keelfs.error.Errno;
import io.keelfs.error.KeelException;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The whole stack on one device: format, mount, write files bigger than a bucket (data and
 * btree nodes from the same allocator), remount, read back; a read-only mount reads and
 * refuses writes with EROFS.
 */
class KeelImageTest {
    private final MemoryBlockDevice device =
            new MemoryBlockDevice(64L << 20, 4096, "keel-image-test");

    private static KeelImage.Options options() {
        return KeelImage.Options.defaults().withEngine(
                EngineOptions.defaults().withCheckpointIntervalMs(0));
    }

    @Test
    void formatMountWriteRemountRead() throws Exception {
        KeelImage.format(device, new Mkfs.Options(4096, 256 << 10, 16 << 10, "t"));
        byte[] data = new byte[3 << 20];
        new Random(7).nextBytes(data);
        try (KeelFilesystem fs = KeelImage.open(device, options())) {
            fs.mkdir("/d", 0755, Caller.ROOT);
            for (int i = 0; i < 50; i++) {
                long h = fs.create("/d/f" + i, 0644, OpenFlags.O_RDWR, Caller.ROOT);
                fs.write(h, 0, ByteBuffer.wrap(data, i * 1000, 100_000));
                fs.release(h);
            }
            long h = fs.create("/big", 0644, OpenFlags.O_RDWR, Caller.ROOT);
            assertEquals(data.length, fs.write(h, 0, ByteBuffer.wrap(data)));
            fs.fsync(h, false);
            fs.release(h);
        }
        try (KeelFilesystem fs = KeelImage.open(device, options())) {
            assertEquals(data.length, fs.getattr("/big").sizeBytes());
            long h = fs.open("/big", OpenFlags.O_RDONLY);
            ByteBuffer back = ByteBuffer.allocate(data.length);
            while (back.hasRemaining()) {
                int n = fs.read(h, back.position(), back);
                if (n <= 0) {
                    break;
                }
            }
            fs.release(h);
            assertArrayEquals(data, back.array());
            assertEquals(100_000, fs.getattr("/d/f49").sizeBytes());
        }
        KeelImage.Options ro = options().withEngine(options().engine().withReadOnly(true));
        try (KeelFilesystem fs = KeelImage.open(device, ro)) {
            assertEquals(data.length, fs.getattr("/big").sizeBytes());
            KeelException e = assertThrows(KeelException.class,
                    () -> fs.mkdir("/nope", 0755, Caller.ROOT));
            assertEquals(Errno.EROFS, e.errno());
            long h = fs.open("/big", OpenFlags.O_RDONLY);
            ByteBuffer first = ByteBuffer.allocate(4096);
            fs.read(h, 0, first);
            fs.release(h);
            assertArrayEquals(java.util.Arrays.copyOf(data, 4096), first.array());
        }
    }
}
