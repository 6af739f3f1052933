package io.keelfs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.ForwardingDevice;
import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import io.keelfs.fs.data.ExtentFileData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The read path of a sequentially written file on the managed stack: 1 MiB reads take fewer
 * device reads than the extents they cover (physically contiguous extents are read at once),
 * a sequential reader gets readahead hints ahead of where it reads, covering the device reads
 * that follow, and reads in random order get none.
 *
 * <p>Not covered: the speed of either (bench fs), the hint's effect (the OS's).
 */
class KeelImageReadaheadTest {
    private static final int MIB = 1 << 20;
    private static final int FILE_MIB = 24;

    /** Records device reads and readahead hints while {@link #watching}. */
    private static final class WatchingDevice extends ForwardingDevice {
        final List<long[]> reads = Collections.synchronizedList(new ArrayList<>());
        final List<long[]> advised = Collections.synchronizedList(new ArrayList<>());
        volatile boolean watching;

        WatchingDevice() {
            super(new MemoryBlockDevice(128L << 20, 4096, "readahead-test"));
        }

        @Override
        public void read(long offsetBytes, ByteBuffer dst) throws IOException {
            if (watching) {
                reads.add(new long[] {offsetBytes, dst.remaining()});
            }
            super.read(offsetBytes, dst);
        }

        @Override
        public void adviseWillNeed(long offsetBytes, long lengthBytes) {
            if (watching) {
                advised.add(new long[] {offsetBytes, lengthBytes});
            }
        }
    }

    private final WatchingDevice device = new WatchingDevice();

    private KeelFilesystem mount() throws Exception {
        return KeelImage.open(device, KeelImage.Options.defaults().withEngine(
                EngineOptions.defaults().withCheckpointIntervalMs(0)));
    }

    private void writeFile() throws Exception {
        KeelImage.format(device, Mkfs.Options.defaults());
        try (KeelFilesystem fs = mount()) {
            long h = fs.create("/f", 0644, OpenFlags.O_RDWR, Caller.ROOT);
            ByteBuffer b = ByteBuffer.allocate(MIB);
            for (int i = 0; i < FILE_MIB; i++) {
                b.clear();
                b.putInt(0, i);
                fs.write(h, (long) i * MIB, b);
            }
            fs.release(h);
        }
    }

    private static void readChunk(KeelFilesystem fs, long h, int i) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(MIB);
        assertEquals(MIB, fs.read(h, (long) i * MIB, b));
        assertEquals(i, b.getInt(0));
    }

    @Test
    void sequentialReadsAreCoalescedAndReadAhead() throws Exception {
        writeFile();
        try (KeelFilesystem fs = mount()) {
            long h = fs.open("/f", OpenFlags.O_RDONLY);
            readChunk(fs, h, 0);
            device.watching = true;
            for (int i = 1; i < FILE_MIB; i++) {
                readChunk(fs, h, i);
            }
            device.watching = false;
            long reads = device.reads.stream().filter(r -> r[1] >= 64 << 10).count();
            // Extents hold at most 512 KiB: two or more per chunk unless coalesced.
            assertTrue(reads < 2L * (FILE_MIB - 1), "device reads of data: " + reads);
            long advised = device.advised.stream().mapToLong(r -> r[1]).sum();
            assertTrue(advised >= (FILE_MIB - 2L) * MIB, "advised " + advised);
            assertEquals(advised, ((ExtentFileData) fs.state().data).readaheadBytes());
            // Every data read after the first few lies in a range advised before it.
            for (long[] r : device.reads.subList(2, device.reads.size())) {
                if (r[1] >= 64 << 10) {
                    assertTrue(device.advised.stream().anyMatch(a -> a[0] <= r[0]
                            && r[0] + r[1] <= a[0] + a[1]), "read " + r[0] + "+" + r[1]
                            + " was not advised");
                }
            }
            fs.release(h);
        }
    }

    @Test
    void randomReadsGetNoReadahead() throws Exception {
        writeFile();
        try (KeelFilesystem fs = mount()) {
            long h = fs.open("/f", OpenFlags.O_RDONLY);
            device.watching = true;
            for (int i : new int[] {7, 3, 19, 0, 12, 5, 22, 9}) {
                readChunk(fs, h, i);
            }
            device.watching = false;
            assertEquals(List.of(), device.advised);
            fs.release(h);
        }
    }
}
