package io.keelfs.fs;

import static io.keelfs.fs.FsAsserts.assertErrno;
import static io.keelfs.fs.FsFixture.USER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.error.Errno;
import io.keelfs.error.KeelException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * KeelFilesystem over the real extents, allocator and device: contents after remounts and
 * crashes, partial-block zeroing of truncate and punch, st_blocks, space returned by unlink of
 * an open file on release, and ENOSPC then recovery after deleting.
 */
class KeelFilesystemExtentsTest {
    private static final int RW = OpenFlags.O_RDWR;
    private FsFixture f;

    @BeforeEach
    void setUp() throws Exception {
        f = FsFixture.real(FsOptions.defaults());
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    private byte[] readAll(long h) throws KeelException {
        int size = (int) f.fs.fgetattr(h).sizeBytes();
        ByteBuffer b = ByteBuffer.allocate(size);
        while (b.hasRemaining() && f.fs.read(h, b.position(), b) > 0) {
            // read on
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    @Test
    void contentsSurviveRemountAndCrashAfterFsync() throws Exception {
        byte[] data = new byte[300_000];
        new Random(5).nextBytes(data);
        long h = f.fs.create("/f", 0644, RW, USER);
        f.fs.write(h, 0, ByteBuffer.wrap(data));
        f.fs.write(h, 123_457, ByteBuffer.wrap(new byte[] {1, 2, 3}));
        System.arraycopy(new byte[] {1, 2, 3}, 0, data, 123_457, 3);
        f.fs.fsync(h, false);
        f.crashAndRemount();
        long h2 = f.fs.open("/f", OpenFlags.O_RDONLY);
        assertArrayEquals(data, readAll(h2));
        assertEquals((300_000 + 4095) / 4096 * 8, f.fs.fgetattr(h2).blocks512());
        f.fs.release(h2);
        f.remount();
        long h3 = f.fs.open("/f", OpenFlags.O_RDONLY);
        assertArrayEquals(data, readAll(h3));
    }

    @Test
    void truncateAndPunchZeroPartialBlocks() throws Exception {
        byte[] data = new byte[50_000];
        Arrays.fill(data, (byte) 7);
        long h = f.fs.create("/f", 0644, RW, USER);
        f.fs.write(h, 0, ByteBuffer.wrap(data));
        f.fs.ftruncate(h, 10_001);
        f.fs.ftruncate(h, 50_000);
        byte[] expect = data.clone();
        Arrays.fill(expect, 10_001, 50_000, (byte) 0);
        assertArrayEquals(expect, readAll(h));
        f.fs.fallocate(h, FsConstants.FALLOC_FL_PUNCH_HOLE | FsConstants.FALLOC_FL_KEEP_SIZE,
                100, 9000);
        Arrays.fill(expect, 100, 9100, (byte) 0);
        assertArrayEquals(expect, readAll(h));
        assertTrue(f.fs.fgetattr(h).blocks512() <= 3 * 8, "" + f.fs.fgetattr(h));
        f.remount();
        long h2 = f.fs.open("/f", OpenFlags.O_RDONLY);
        assertArrayEquals(expect, readAll(h2));
    }

    @Test
    void unlinkedOpenFileFreesSpaceOnRelease() throws Exception {
        long used0 = f.fs.statfs().blocks() - f.fs.statfs().blocksFree();
        long h = f.fs.create("/f", 0644, RW, USER);
        f.fs.write(h, 0, ByteBuffer.wrap(new byte[2 << 20]));
        f.fs.unlink("/f");
        long used1 = f.fs.statfs().blocks() - f.fs.statfs().blocksFree();
        assertTrue(used1 >= used0 + 512, used0 + " -> " + used1);
        assertEquals(2 << 20, readAll(h).length);
        f.fs.release(h);
        long used2 = f.fs.statfs().blocks() - f.fs.statfs().blocksFree();
        assertEquals(used0, used2);
        assertEquals(0, f.fs.orphanCount());
    }

    @Test
    void enospcThenSpaceBackAfterDelete() throws Exception {
        long h = f.fs.create("/big", 0644, RW, USER);
        byte[] chunk = new byte[1 << 20];
        long written = 0;
        KeelException full = null;
        for (int i = 0; i < 200 && full == null; i++) {
            try {
                written += f.fs.write(h, written, ByteBuffer.wrap(chunk));
            } catch (KeelException e) {
                full = e;
            }
        }
        assertTrue(full != null, "never full after " + written + " bytes");
        assertEquals(Errno.ENOSPC, full.errno(), full.getMessage());
        assertTrue(written > 10 << 20, "only " + written);
        f.fs.release(h);
        f.fs.unlink("/big");
        f.fs.sync(); // freed space is reusable once the freeing commit is durable
        long h2 = f.fs.create("/again", 0644, RW, USER);
        assertEquals(chunk.length, f.fs.write(h2, 0, ByteBuffer.wrap(chunk)));
        f.fs.release(h2);
        assertErrno(Errno.ENOENT, () -> f.fs.getattr("/big"));
    }
}
