package io.keelfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keelfs.block.BlockDevice;
import io.keelfs.block.CrashSimDevice;
import io.keelfs.block.ForwardingDevice;
import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * fsync and fdatasync on the real stack: each issues exactly one device flush (the journal's,
 * which covers the data written before the commit), none when everything is durable already,
 * and what they promise survives: the device's durable image (only flushed writes) mounts
 * with the data and size.
 */
class KeelImageFsyncTest {
    /** Counts flushes; everything else passes through. */
    private static final class CountingDevice extends ForwardingDevice {
        final AtomicLong flushes = new AtomicLong();

        CountingDevice(BlockDevice inner) {
            super(inner);
        }

        @Override
        public void flush() throws IOException {
            flushes.incrementAndGet();
            super.flush();
        }
    }

    private static KeelImage.Options options() {
        return KeelImage.Options.defaults().withEngine(
                EngineOptions.defaults().withCheckpointIntervalMs(0));
    }

    @Test
    void fdatasyncAndFsyncFlushOnceAndTheDurableImageHasDataAndSize() throws Exception {
        CrashSimDevice crash = new CrashSimDevice(
                new MemoryBlockDevice(64L << 20, 4096, "fsync-test"));
        CountingDevice dev = new CountingDevice(crash);
        KeelImage.format(dev, new Mkfs.Options(4096, 256 << 10, 16 << 10, "fsync"));
        byte[] data = new byte[(1 << 20) + 4096];
        new Random(5).nextBytes(data);
        try (KeelFilesystem fs = KeelImage.open(dev, options())) {
            long h = fs.create("/f", 0644, OpenFlags.O_RDWR, Caller.ROOT);
            fs.write(h, 0, ByteBuffer.wrap(data, 0, 1 << 20));
            long before = dev.flushes.get();
            fs.fsync(h, true);
            assertEquals(1, dev.flushes.get() - before, "fdatasync: one flush");
            before = dev.flushes.get();
            fs.fsync(h, true);
            fs.fsync(h, false);
            assertEquals(0, dev.flushes.get() - before, "nothing new: no flush");
            checkDurable(crash, Arrays.copyOf(data, 1 << 20));

            fs.write(h, 1 << 20, ByteBuffer.wrap(data, 1 << 20, 4096));
            before = dev.flushes.get();
            fs.fsync(h, false);
            assertEquals(1, dev.flushes.get() - before, "fsync: one flush");
            checkDurable(crash, data);

            fs.utimens("/f", 1_000_000_000L, 2_000_000_000L);
            before = dev.flushes.get();
            fs.fsync(h, true);
            assertEquals(1, dev.flushes.get() - before, "after utimens: one flush");
            fs.release(h);
        }
    }

    /** An append log fsynced after every record: one flush each, all on the durable image. */
    @Test
    void appendLogFsyncedPerRecordFlushesOncePerRecord() throws Exception {
        CrashSimDevice crash = new CrashSimDevice(
                new MemoryBlockDevice(64L << 20, 4096, "fsync-append-test"));
        CountingDevice dev = new CountingDevice(crash);
        KeelImage.format(dev, new Mkfs.Options(4096, 256 << 10, 16 << 10, "fsync"));
        byte[] all = new byte[20 * 4096];
        new Random(9).nextBytes(all);
        try (KeelFilesystem fs = KeelImage.open(dev, options())) {
            long h = fs.create("/f", 0644, OpenFlags.O_RDWR | OpenFlags.O_APPEND, Caller.ROOT);
            for (int i = 0; i < 20; i++) {
                fs.write(h, 0, ByteBuffer.wrap(all, i * 4096, 4096));
                long before = dev.flushes.get();
                fs.fsync(h, false);
                assertEquals(1, dev.flushes.get() - before, "device flushes for fsync " + i);
            }
            checkDurable(crash, all);
            fs.release(h);
        }
    }

    /** Mounts the durable image (flushed writes only) and reads /f back. */
    private static void checkDurable(CrashSimDevice crash, byte[] want) throws Exception {
        MemoryBlockDevice durable = crash.durableImage();
        try (KeelFilesystem fs = KeelImage.open(durable, options())) {
            assertEquals(want.length, fs.getattr("/f").sizeBytes());
            long h = fs.open("/f", OpenFlags.O_RDONLY);
            ByteBuffer got = ByteBuffer.allocate(want.length);
            while (got.hasRemaining() && fs.read(h, got.position(), got) > 0) {
                // read on
            }
            fs.release(h);
            assertArrayEquals(want, got.array());
        }
    }
}
