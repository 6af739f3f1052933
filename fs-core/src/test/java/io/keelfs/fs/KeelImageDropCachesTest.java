package io.keelfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.ForwardingDevice;
import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import io.keelfs.error.Errno;
import io.keelfs.error.KeelException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The drop-caches control ({@link FsConstants#XATTR_DROP_CACHES} set on "/"): a warm
 * filesystem answers stats without device reads; after the control the same answers come from
 * the device; changes not yet checkpointed (dirty nodes and key-cache entries) survive it; the
 * control stores no xattr.
 *
 * <p>Not covered: the kernel's page cache of a FUSE mount (fsbench drops that itself).
 */
class KeelImageDropCachesTest {
    private static final int FILES = 300;

    /** Counts device reads. */
    private static final class CountingDevice extends ForwardingDevice {
        final AtomicLong reads = new AtomicLong();

        CountingDevice() {
            super(new MemoryBlockDevice(128L << 20, 4096, "drop-caches-test"));
        }

        @Override
        public void read(long offsetBytes, ByteBuffer dst) throws IOException {
            reads.incrementAndGet();
            super.read(offsetBytes, dst);
        }
    }

    private final CountingDevice device = new CountingDevice();

    private KeelFilesystem mount() throws Exception {
        return KeelImage.open(device, KeelImage.Options.defaults().withEngine(
                EngineOptions.defaults().withCheckpointIntervalMs(0)));
    }

    private static byte[] content(int i) {
        return ("file " + i + " ").repeat(1 + i % 50).getBytes(StandardCharsets.UTF_8);
    }

    private static Stat[] statAll(KeelFilesystem fs) throws KeelException {
        Stat[] stats = new Stat[FILES];
        for (int i = 0; i < FILES; i++) {
            stats[i] = fs.getattr("/d" + (i % 7) + "/f" + i);
        }
        return stats;
    }

    private static void checkContent(KeelFilesystem fs, int i) throws KeelException {
        long h = fs.open("/d" + (i % 7) + "/f" + i, OpenFlags.O_RDONLY);
        ByteBuffer b = ByteBuffer.allocate(4096);
        int n = fs.read(h, 0, b);
        fs.release(h);
        byte[] got = new byte[n];
        b.flip().get(got);
        assertArrayEquals(content(i), got, "file " + i);
    }

    @Test
    void dropsCleanCachesAndKeepsDirtyState() throws Exception {
        // Small nodes: the trees get interior levels, so leaves are cached (roots are pinned).
        KeelImage.format(device, Mkfs.Options.defaults().withNodeSizeBytes(4096));
        try (KeelFilesystem fs = mount()) {
            for (int d = 0; d < 7; d++) {
                fs.mkdir("/d" + d, 0755, Caller.ROOT);
            }
            for (int i = 0; i < FILES; i++) {
                long h = fs.create("/d" + (i % 7) + "/f" + i, 0644, OpenFlags.O_RDWR,
                        Caller.ROOT);
                fs.write(h, 0, ByteBuffer.wrap(content(i)));
                fs.release(h);
            }
            fs.sync();
            Stat[] before = statAll(fs);
            long warm = device.reads.get();
            assertArrayEquals(before, statAll(fs));
            assertEquals(warm, device.reads.get(), "a warm stat pass read the device");
            // Dirty after the last checkpoint: must survive the drop.
            fs.chmod("/d3/f3", 0600);
            fs.setxattr("/", FsConstants.XATTR_DROP_CACHES, new byte[] {'1'}, 0);
            long dropped = device.reads.get();
            Stat[] after = statAll(fs);
            assertTrue(device.reads.get() > dropped, "stats after the drop read nothing");
            for (int i = 0; i < FILES; i++) {
                Stat expected = i == 3 ? fs.getattr("/d3/f3") : before[i];
                assertEquals(expected, after[i], "file " + i);
                checkContent(fs, i);
            }
            assertEquals(0600, fs.getattr("/d3/f3").mode() & 0777);
            assertFalse(fs.listxattr("/").contains(FsConstants.XATTR_DROP_CACHES));
            KeelException e = assertThrows(KeelException.class,
                    () -> fs.getxattr("/", FsConstants.XATTR_DROP_CACHES));
            assertEquals(Errno.ENODATA, e.errno());
        }
        try (KeelFilesystem fs = mount()) {
            assertEquals(0600, fs.getattr("/d3/f3").mode() & 0777);
            checkContent(fs, 3);
        }
    }
}
