package io.keelfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The no-copy paths of file data against a byte-array model: block-aligned writes go to the
 * device from the caller's buffer (direct, as FUSE's), reads put whole blocks straight into the
 * caller's buffer, edge blocks are staged, holes read as zeros (they are no longer zeroed up
 * front). Random writes (aligned and not, direct and heap buffers), punches, truncates and
 * reads of random ranges into dirty direct buffers, every read compared with the model, then
 * again after a remount. Seed printed; {@code -Dkeelfs.seed=N} replays. Not covered: stale
 * extents during a read (ExtentReader's retry; the race tests).
 */
class FileDataCopiesTest {
    private static final int BS = 4096;
    private static final int FILE_BYTES_MAX = 3 << 20;

    @Test
    void randomWritesPunchesAndReadsMatchTheModel() throws Exception {
        long seed = Long.getLong("keelfs.seed", System.nanoTime());
        Random random = new Random(seed);
        MemoryBlockDevice device = new MemoryBlockDevice(64L << 20, BS, "copies-test");
        KeelImage.format(device, new Mkfs.Options(BS, 256 << 10, 16 << 10, "t"));
        KeelImage.Options options = KeelImage.Options.defaults().withEngine(
                EngineOptions.defaults().withCheckpointIntervalMs(0));
        byte[] model = new byte[FILE_BYTES_MAX];
        int size = 0;
        try (KeelFilesystem fs = KeelImage.open(device, options)) {
            long h = fs.create("/f", 0644, OpenFlags.O_RDWR, Caller.ROOT);
            for (int step = 0; step < 400; step++) {
                int kind = random.nextInt(10);
                if (kind < 5) {
                    boolean aligned = random.nextBoolean();
                    int off = aligned ? random.nextInt(FILE_BYTES_MAX / BS - 64) * BS
                            : random.nextInt(FILE_BYTES_MAX - (256 << 10));
                    int len = aligned ? (1 + random.nextInt(64)) * BS
                            : 1 + random.nextInt(200_000);
                    byte[] data = new byte[len];
                    random.nextBytes(data);
                    ByteBuffer src = random.nextBoolean()
                            ? ByteBuffer.allocateDirect(len).put(data).flip()
                            : ByteBuffer.wrap(data);
                    assertEquals(len, fs.write(h, off, src), "seed " + seed);
                    System.arraycopy(data, 0, model, off, len);
                    size = Math.max(size, off + len);
                } else if (kind < 6) {
                    int off = random.nextInt(FILE_BYTES_MAX / 2);
                    int len = 1 + random.nextInt(300_000);
                    fs.fallocate(h, FsConstants.FALLOC_FL_PUNCH_HOLE
                            | FsConstants.FALLOC_FL_KEEP_SIZE, off, len);
                    int stop = Math.min(size, off + len);
                    if (off < stop) {
                        Arrays.fill(model, off, stop, (byte) 0);
                    }
                } else if (kind < 7) {
                    int newSize = random.nextInt(FILE_BYTES_MAX);
                    fs.ftruncate(h, newSize);
                    if (newSize < size) {
                        Arrays.fill(model, newSize, size, (byte) 0);
                    }
                    size = newSize;
                } else {
                    checkRead(fs, h, random, model, size, seed);
                }
            }
            fs.release(h);
            assertTrue(((io.keelfs.fs.data.ExtentFileData) fs.state().data).alignedWrites() > 0,
                    "no write took the aligned path");
        }
        try (KeelFilesystem fs = KeelImage.open(device, options)) {
            long h = fs.open("/f", OpenFlags.O_RDONLY);
            assertEquals(size, fs.fgetattr(h).sizeBytes());
            for (int i = 0; i < 50; i++) {
                checkRead(fs, h, random, model, size, seed);
            }
            ByteBuffer all = ByteBuffer.allocateDirect(size + BS);
            int n = readFully(fs, h, 0, all);
            assertEquals(size, n);
            byte[] got = new byte[n];
            all.get(0, got);
            assertArrayEquals(Arrays.copyOf(model, size), got, "seed " + seed);
            fs.release(h);
        }
    }

    private static int readFully(KeelFilesystem fs, long h, long off, ByteBuffer dst)
            throws Exception {
        int total = 0;
        while (dst.hasRemaining()) {
            int n = fs.read(h, off + total, dst);
            if (n <= 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    /** A read of a random range into a direct buffer full of garbage, against the model. */
    private static void checkRead(KeelFilesystem fs, long h, Random random, byte[] model,
            int size, long seed) throws Exception {
        boolean aligned = random.nextBoolean();
        int off = aligned ? random.nextInt(FILE_BYTES_MAX / BS) * BS
                : random.nextInt(FILE_BYTES_MAX);
        int len = aligned ? (1 + random.nextInt(256)) * BS : 1 + random.nextInt(1 << 20);
        ByteBuffer dst = ByteBuffer.allocateDirect(len);
        byte[] garbage = new byte[len];
        random.nextBytes(garbage);
        dst.put(0, garbage);
        int n = fs.read(h, off, dst);
        int expected = Math.max(0, Math.min(len, size - off));
        assertEquals(expected, n, "read length at " + off + " (seed " + seed + ")");
        byte[] got = new byte[n];
        dst.get(0, got);
        assertArrayEquals(Arrays.copyOfRange(model, off, off + n), got,
                "read of " + len + " at " + off + " (seed " + seed + ")");
    }
}
