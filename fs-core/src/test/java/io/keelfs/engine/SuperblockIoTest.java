package io.keelfs.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.error.SuperblockCorruptException;
import io.keelfs.format.Geometry;
import io.keelfs.format.Superblock;
import java.nio.ByteBuffer;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SuperblockIoTest {
    private static final long SIZE = 64L << 20;
    private static final int BUCKET = 64 << 10;

    static Superblock sample(long seq) {
        Geometry g = Geometry.forDevice(SIZE, 4096, BUCKET, 16 << 10);
        long[] journal = new long[g.journalBucketCount()];
        for (int i = 0; i < journal.length; i++) {
            journal[i] = g.firstJournalBucket() + i;
        }
        return new Superblock(UUID.randomUUID(), seq, g, SIZE, 0, 0, 1_700_000_000L, "test", journal);
    }

    @Test
    void roundTripReadsBothCopiesClean() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(SIZE, 4096);
        Superblock sb = sample(7);
        SuperblockIo.write(dev, sb);
        SuperblockIo.ReadResult r = SuperblockIo.read(dev);
        assertEquals(sb, r.superblock());
        assertFalse(r.fellBack(), r.problems().toString());
    }

    @Test
    void damagedCopyAFallsBackToCopyBAndSaysSo() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(SIZE, 4096);
        Superblock sb = sample(3);
        SuperblockIo.write(dev, sb);
        EngineTestSupport.flipByte(dev, sb.geometry().superblockOffsetsBytes()[0] + 40);
        SuperblockIo.ReadResult r = SuperblockIo.read(dev);
        assertEquals(sb, r.superblock());
        assertEquals(sb.geometry().superblockOffsetsBytes()[1], r.offsetBytes());
        assertTrue(r.fellBack());
        assertTrue(r.problems().get(0).contains("checksum mismatch"), r.problems().toString());
    }

    @Test
    void newestValidCopyWins() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice(SIZE, 4096);
        Superblock old = sample(1);
        SuperblockIo.write(dev, old);
        Superblock newer = old.withSeqAndFlags(2, Superblock.FLAG_CLEAN);
        // A crash after copy A of the new superblock was written: copy B still old.
        ByteBuffer image = newer.encode(4096);
        image.limit(4096);
        dev.write(newer.geometry().superblockOffsetsBytes()[0], image, false);
        SuperblockIo.ReadResult r = SuperblockIo.read(dev);
        assertEquals(2, r.superblock().seq());
        assertTrue(r.superblock().isClean());
        assertTrue(r.problems().get(0).contains("older seq 1"), r.problems().toString());
    }

    @Test
    void noValidCopyIsATypedErrorNamingTheDevice() {
        MemoryBlockDevice dev = new MemoryBlockDevice(SIZE, 4096, "img.keel");
        SuperblockCorruptException e =
                assertThrows(SuperblockCorruptException.class, () -> SuperblockIo.read(dev));
        assertTrue(e.getMessage().contains("img.keel is not a keelfs image"), e.getMessage());
        assertTrue(e.getMessage().contains("bad magic"), e.getMessage());
    }

    @Test
    void decodeNeverThrowsOnRandomBytes() {
        java.util.Random random = new java.util.Random(42);
        Superblock sb = sample(5);
        for (int i = 0; i < 2000; i++) {
            ByteBuffer image = sb.encode(4096);
            int flips = 1 + random.nextInt(8);
            for (int f = 0; f < flips; f++) {
                int at = random.nextInt(sb.encodedBytes());
                image.put(at, (byte) (image.get(at) ^ (1 + random.nextInt(255))));
            }
            Superblock.Decoded d = Superblock.decode(image);
            assertTrue(d instanceof Superblock.Invalid, "corruption " + i + " went unnoticed");
        }
    }
}
