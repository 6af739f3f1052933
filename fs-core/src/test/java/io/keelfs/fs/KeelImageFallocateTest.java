package io.keelfs.fs;

import static io.keelfs.fs.FsAsserts.assertErrno;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import io.keelfs.error.Errno;
import io.keelfs.error.KeelException;
import io.keelfs.fs.data.ExtentFileData;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * fallocate mode 0 and KEEP_SIZE on the managed stack (KeelImage on a 64 MiB memory device,
 * 256 KiB buckets): space is reserved (statfs, st_blocks, the reserved total), reserved
 * ranges read as zeros, writes into them succeed after the rest of the filesystem was filled
 * to ENOSPC, an fallocate larger than the free space is ENOSPC with nothing changed, punch,
 * truncate and unlink give the space back, and the reserved total survives remounts.
 *
 * <p>Not covered: crashes (KeelFilesystemModelTest's remounts, PosixCrashTest), concurrency.
 */
class KeelImageFallocateTest {
    private static final int BUCKET = 256 << 10;
    private static final int CHUNK = 64 << 10;
    private static final int RW = OpenFlags.O_RDWR;

    private final MemoryBlockDevice device =
            new MemoryBlockDevice(64L << 20, 4096, "keel-image-fallocate-test");
    private final long seed = Long.getLong("keelfs.seed", System.nanoTime());
    private final Random random = new Random(seed);

    private KeelFilesystem mount() throws KeelException {
        return KeelImage.open(device, KeelImage.Options.defaults().withEngine(
                EngineOptions.defaults().withCheckpointIntervalMs(0)));
    }

    private void format() throws KeelException {
        KeelImage.format(device, new Mkfs.Options(4096, BUCKET, 16 << 10, "falloc"));
    }

    private static long reserved(KeelFilesystem fs) {
        return ((ExtentFileData) fs.state().data).reservedBytes();
    }

    @Test
    void writesIntoFallocatedRangeSucceedOnAFullFilesystem() throws Exception {
        format();
        int size = 4 << 20;
        byte[] data = new byte[size];
        random.nextBytes(data);
        try (KeelFilesystem fs = mount()) {
            StatFs before = fs.statfs();
            long h = fs.create("/res", 0644, RW, Caller.ROOT);
            fs.fallocate(h, 0, 0, size);
            assertEquals(size, fs.fgetattr(h).sizeBytes());
            assertEquals(size / 512, fs.fgetattr(h).blocks512());
            assertEquals(size, reserved(fs));
            StatFs after = fs.statfs();
            assertEquals(before.blocksFree() - size / 4096, after.blocksFree(), ctx("free"));
            assertArrayEquals(new byte[size], read(fs, h, 0, size), ctx("reads as zeros"));
            fs.release(h);
            fillToEnospc(fs);
            h = fs.open("/res", RW);
            for (int at = 0; at < size; at += CHUNK) {
                assertEquals(CHUNK, fs.write(h, at, ByteBuffer.wrap(data, at, CHUNK)),
                        ctx("write into the reserved range at " + at));
            }
            assertEquals(0, reserved(fs));
            assertEquals(size / 512, fs.fgetattr(h).blocks512());
            assertArrayEquals(data, read(fs, h, 0, size));
            fs.release(h);
        }
        try (KeelFilesystem fs = mount()) {
            long h = fs.open("/res", OpenFlags.O_RDONLY);
            assertArrayEquals(data, read(fs, h, 0, size), ctx("after remount"));
            assertEquals(0, reserved(fs));
            fs.release(h);
        }
    }

    @Test
    void fallocateBeyondFreeSpaceIsEnospcWithNothingChanged() throws Exception {
        format();
        try (KeelFilesystem fs = mount()) {
            long h = fs.create("/big", 0644, RW, Caller.ROOT);
            fs.write(h, 0, ByteBuffer.wrap(new byte[8192]));
            Stat st = fs.fgetattr(h);
            StatFs sfs = fs.statfs();
            assertErrno(Errno.ENOSPC, () -> fs.fallocate(h, 0, 0, 64L << 20));
            assertErrno(Errno.ENOSPC, () -> fs.fallocate(h, FsConstants.FALLOC_FL_KEEP_SIZE,
                    4096, 63L << 20));
            assertEquals(st.sizeBytes(), fs.fgetattr(h).sizeBytes());
            assertEquals(st.blocks512(), fs.fgetattr(h).blocks512());
            assertEquals(0, reserved(fs));
            assertEquals(sfs.blocksFree(), fs.statfs().blocksFree());
            // What fits still fits, and the second fallocate counts the first.
            long half = sfs.blocksAvail() * 4096 / 2;
            fs.fallocate(h, FsConstants.FALLOC_FL_KEEP_SIZE, 8192, half);
            assertErrno(Errno.ENOSPC, () -> fs.fallocate(h, FsConstants.FALLOC_FL_KEEP_SIZE,
                    8192 + half, half + (2L << 20)));
            assertEquals(half, reserved(fs));
            fs.release(h);
        }
    }

    @Test
    void keepSizePunchTruncateAndUnlinkGiveTheSpaceBack() throws Exception {
        format();
        try (KeelFilesystem fs = mount()) {
            long free = fs.statfs().blocksFree();
            long h = fs.create("/k", 0644, RW, Caller.ROOT);
            byte[] head = new byte[6000];
            random.nextBytes(head);
            fs.write(h, 0, ByteBuffer.wrap(head));
            // Rounded out to blocks; the written first two blocks are not reserved again.
            fs.fallocate(h, FsConstants.FALLOC_FL_KEEP_SIZE, 100, (1 << 20) - 100);
            assertEquals(6000, fs.fgetattr(h).sizeBytes());
            assertEquals((1 << 20) - 8192, reserved(fs));
            assertEquals((1 << 20) / 512, fs.fgetattr(h).blocks512());
            assertArrayEquals(head, read(fs, h, 0, 10_000), ctx("nothing past EOF"));
            fs.fallocate(h, FsConstants.FALLOC_FL_PUNCH_HOLE | FsConstants.FALLOC_FL_KEEP_SIZE,
                    65536, 65536);
            assertEquals((1 << 20) - 8192 - 65536, reserved(fs));
            fs.ftruncate(h, 200_000);
            byte[] want = new byte[200_000];
            System.arraycopy(head, 0, want, 0, head.length);
            assertArrayEquals(want, read(fs, h, 0, 200_000), ctx("zeros after truncate up"));
            fs.ftruncate(h, 100_000);
            // Left: [8192, 65536); the punch took [65536, 131072), the truncate what lies past.
            assertEquals(65536 - 8192, reserved(fs));
            fs.release(h);
        }
        try (KeelFilesystem fs = mount()) {
            assertEquals(65536 - 8192, reserved(fs), ctx("after remount"));
            long before = fs.statfs().blocksFree();
            fs.unlink("/k");
            assertEquals(0, reserved(fs));
            assertTrue(fs.statfs().blocksFree() > before, ctx("unlink frees " + fs.statfs()));
        }
        try (KeelFilesystem fs = mount()) {
            assertEquals(0, reserved(fs));
        }
    }

    /** Writes new 1 MiB files in 64 KiB chunks until ENOSPC. */
    private void fillToEnospc(KeelFilesystem fs) throws Exception {
        byte[] b = new byte[CHUNK];
        for (int n = 0; n < 10_000; n++) {
            long h = fs.create("/fill" + n, 0644, RW, Caller.ROOT);
            try {
                for (int at = 0; at < (1 << 20); at += CHUNK) {
                    random.nextBytes(b);
                    try {
                        fs.write(h, at, ByteBuffer.wrap(b));
                    } catch (KeelException e) {
                        assertEquals(Errno.ENOSPC, e.errno(), ctx("fill: " + e));
                        return;
                    }
                }
            } finally {
                fs.release(h);
            }
        }
        throw new AssertionError(ctx("never ran out of space"));
    }

    private static byte[] read(KeelFilesystem fs, long h, long at, int length)
            throws KeelException {
        ByteBuffer got = ByteBuffer.allocate(length);
        while (got.hasRemaining()) {
            if (fs.read(h, at + got.position(), got) <= 0) {
                break;
            }
        }
        return java.util.Arrays.copyOf(got.array(), got.position());
    }

    private String ctx(String what) {
        return "seed " + seed + ": " + what;
    }
}
