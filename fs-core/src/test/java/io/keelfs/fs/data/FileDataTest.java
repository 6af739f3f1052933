package io.keelfs.fs.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.Durability;
import io.keelfs.error.ChecksumException;
import io.keelfs.error.Errno;
import io.keelfs.error.NoSpaceException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Single-threaded behaviour: the extent encoding refuses garbage, checksum corruption is EIO
 * naming inode and offset, ENOSPC then freeing and reuse, and an overwrite-heavy workload at
 * ~85% full kept going by copygc. Races: FileDataRaceTest; crashes: FileDataCrashTest.
 */
class FileDataTest {
    private static final int BS = DataFixture.BLOCK;

    /** A device whose data range is {@code dataBuckets} buckets. */
    static MemoryBlockDevice deviceWithDataBuckets(int dataBuckets) {
        long buckets = 1 + 8 + DataFixture.NODE_BUCKETS + dataBuckets + 1;
        return DataFixture.memory(buckets * DataFixture.BUCKET);
    }

    @Test
    void extentDecodeRefusesGarbageWithTypedError() throws Exception {
        Extent e = new Extent(7, 8192, 40, 4096, 3, BS, new int[] {1, 2, 3});
        assertEquals(e, Extent.decode(e.toKey(), BS, DataFixture.BUCKET));
        assertEquals(e.slice(12288, 20480), Extent.decode(e.slice(12288, 20480).toKey(), BS,
                DataFixture.BUCKET));
        byte[] v = e.toKey().value();
        byte[] badVersion = v.clone();
        badVersion[0] = 9;
        byte[] truncated = Arrays.copyOf(v, v.length - 2);
        for (byte[] bad : List.of(badVersion, truncated, new byte[0])) {
            Bkey k = new Bkey(e.pos(), KeyType.EXTENT, bad);
            assertEquals(Errno.EIO, assertThrows(io.keelfs.error.InconsistentException.class,
                    () -> Extent.decode(k, BS, DataFixture.BUCKET)).errno());
        }
        assertThrows(io.keelfs.error.InconsistentException.class,
                () -> Extent.decode(e.toKey(), 512, DataFixture.BUCKET));
        Bkey past = new Bkey(Bpos.of(7, 8192), KeyType.EXTENT, v);
        assertThrows(io.keelfs.error.InconsistentException.class,
                () -> Extent.decode(past, BS, DataFixture.BUCKET), "starts before 0");
    }

    @Test
    void corruptedDataBlockReadsAsEioNamingInodeAndOffset() throws Exception {
        MemoryBlockDevice dev = DataFixture.memory(8L << 20);
        try (DataFixture f = DataFixture.format(dev, FileDataOptions.defaults())) {
            byte[] bytes = new byte[4 * BS];
            new Random(1).nextBytes(bytes);
            f.write(5, 3 * BS, bytes, 0, Durability.NO_FLUSH);
            Extent e = f.engine.read(txn -> Extent.decode(
                    txn.get(BtreeId.EXTENTS, Bpos.of(5, 7 * BS)), BS, DataFixture.BUCKET));
            long deviceOffset = e.bucket() * DataFixture.BUCKET + e.offsetInBucketBytes()
                    + 2 * BS + 100;
            flipByte(dev, deviceOffset);
            ChecksumException ex = assertThrows(ChecksumException.class,
                    () -> f.read(5, 0, 8 * BS, 7 * BS));
            assertEquals(Errno.EIO, ex.errno());
            assertTrue(ex.getMessage().contains("inode 5 at file offset " + 5 * BS),
                    ex.getMessage());
            // The blocks around it still read.
            assertArrayEquals(Arrays.copyOf(bytes, 2 * BS), f.read(5, 3 * BS, 2 * BS, 7 * BS));
            assertArrayEquals(Arrays.copyOfRange(bytes, 3 * BS, 4 * BS),
                    f.read(5, 6 * BS, BS, 7 * BS));
        }
    }

    static void flipByte(MemoryBlockDevice dev, long offset) {
        long block = offset - offset % BS;
        ByteBuffer buf = ByteBuffer.allocate(BS);
        dev.read(block, buf);
        int at = (int) (offset - block);
        buf.put(at, (byte) (buf.get(at) ^ 0x5a));
        buf.clear();
        dev.write(block, buf, false);
    }

    @Test
    void fillToEnospcThenFreeAndReuse() throws Exception {
        FileDataOptions opts = FileDataOptions.defaults().withWritePoints(1).withReserve(2, 2);
        try (DataFixture f = DataFixture.format(deviceWithDataBuckets(10), opts)) {
            byte[] bucketOfData = new byte[DataFixture.BUCKET];
            List<Long> written = new ArrayList<>();
            NoSpaceException full = null;
            for (long ino = 100; ino < 200 && full == null; ino++) {
                Arrays.fill(bucketOfData, (byte) ino);
                try {
                    f.write(ino, 0, bucketOfData, 0, Durability.NO_FLUSH);
                    written.add(ino);
                } catch (NoSpaceException e) {
                    full = e;
                }
            }
            assertTrue(full != null, "never ran out of space");
            assertEquals(Errno.ENOSPC, full.errno());
            assertEquals(0, f.data.availBytes(), "statfs avail excludes the reserve");
            assertTrue(written.size() >= 10 - 2 - 1, "only " + written.size() + " fit");
            DataInvariants.check(f, "at ENOSPC");
            // Freeing one file makes room again, after its freeing commit is durable.
            long victim = written.remove(0);
            assertEquals(-DataFixture.BUCKET, f.punchBlocks(victim, 0, Long.MAX_VALUE));
            Arrays.fill(bucketOfData, (byte) 7);
            f.write(7, 0, bucketOfData, 0, Durability.NO_FLUSH);
            assertArrayEquals(bucketOfData, f.read(7, 0, DataFixture.BUCKET, DataFixture.BUCKET));
            for (long ino : written) {
                byte[] got = f.read(ino, 0, DataFixture.BUCKET, DataFixture.BUCKET);
                Arrays.fill(bucketOfData, (byte) ino);
                assertArrayEquals(bucketOfData, got, "inode " + ino);
            }
            DataInvariants.check(f, "after reuse");
        }
    }

    @Test
    void overwriteHeavyWorkloadAtEightyFivePercentKeepsWorkingThanksToCopygc()
            throws Exception {
        long seed = Long.getLong("keelfs.seed", System.nanoTime());
        Random random = new Random(seed);
        int dataBuckets = 40;
        FileDataOptions opts = FileDataOptions.defaults().withWritePoints(1).withReserve(2, 4);
        try (DataFixture f = DataFixture.format(deviceWithDataBuckets(dataBuckets), opts)) {
            int files = 4;
            int fileBytes = (int) (0.85 * dataBuckets * DataFixture.BUCKET / files) / BS * BS;
            byte[][] model = new byte[files][fileBytes];
            for (int i = 0; i < files; i++) {
                random.nextBytes(model[i]);
                for (int at = 0; at < fileBytes; at += 32 * BS) {
                    int n = Math.min(32 * BS, fileBytes - at);
                    f.write(i, at, Arrays.copyOfRange(model[i], at, at + n), fileBytes,
                            Durability.NO_FLUSH);
                }
            }
            for (int op = 0; op < 2500; op++) {
                int i = random.nextInt(files);
                int blocks = 1 + random.nextInt(2);
                int at = random.nextInt(fileBytes / BS - blocks + 1) * BS;
                byte[] b = new byte[blocks * BS];
                random.nextBytes(b);
                try {
                    f.write(i, at, b, fileBytes, Durability.NO_FLUSH);
                } catch (NoSpaceException e) {
                    throw new AssertionError("seed " + seed + " op " + op + ": "
                            + f.data.statsText(), e);
                }
                System.arraycopy(b, 0, model[i], at, b.length);
            }
            for (int i = 0; i < files; i++) {
                assertArrayEquals(model[i], f.read(i, 0, fileBytes, fileBytes),
                        "seed " + seed + " file " + i);
            }
            DataInvariants.check(f, "seed " + seed);
            System.out.println("overwrite at 85%: " + f.data.statsText());
        }
    }
}
