package io.keelfs.fs;

import static io.keelfs.fs.FsAsserts.assertErrno;
import static io.keelfs.fs.FsFixture.USER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.error.Errno;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Handles and contents: open flags, read/write/append, truncate (partial blocks zeroed,
 * bounded punches, a crash mid-truncate), fallocate modes, unlink while open (orphans across a
 * remount), timestamps, chmod/chown, fsync and statfs.
 */
class KeelFilesystemFileTest {
    private static final int RW = OpenFlags.O_RDWR;
    private long[] now = {1_000_000};
    private FsFixture f;
    private Filesystem fs;

    @BeforeEach
    void setUp() throws Exception {
        f = new FsFixture(FsOptions.defaults().withClockNs(() -> now[0]), 64L << 20);
        fs = f.fs;
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    private byte[] read(long h, long offset, int length) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(length);
        int n = fs.read(h, offset, b);
        return Arrays.copyOf(b.array(), n);
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    @Test
    void writeReadAndSize() throws Exception {
        long h = fs.create("/f", 0644, RW, USER);
        byte[] data = pattern(10_000, 1);
        assertEquals(10_000, fs.write(h, 5, ByteBuffer.wrap(data)));
        Stat st = fs.fgetattr(h);
        assertEquals(10_005, st.sizeBytes());
        assertEquals(3 * 4096 / 512, st.blocks512());
        assertArrayEquals(new byte[5], read(h, 0, 5));
        assertArrayEquals(data, read(h, 5, 10_000));
        assertEquals(0, read(h, 10_005, 10).length);
        assertEquals(5, read(h, 10_000, 100).length);
        assertEquals(0, fs.write(h, 0, ByteBuffer.allocate(0)));
        assertErrno(Errno.EFBIG, () -> fs.write(h, FsConstants.FILE_SIZE_MAX, ByteBuffer.wrap(
                new byte[1])));
        assertErrno(Errno.EINVAL, () -> fs.read(h, -1, ByteBuffer.allocate(1)));
        fs.release(h);
        f.remount();
        fs = f.fs;
        long h2 = fs.open("/f", OpenFlags.O_RDONLY);
        assertArrayEquals(data, read(h2, 5, 10_000));
        assertErrno(Errno.EBADF, () -> fs.write(h2, 0, ByteBuffer.wrap(new byte[1])));
        long w = fs.open("/f", OpenFlags.O_WRONLY);
        assertErrno(Errno.EBADF, () -> fs.read(w, 0, ByteBuffer.allocate(1)));
        assertErrno(Errno.EBADF, () -> fs.read(12345, 0, ByteBuffer.allocate(1)));
    }

    @Test
    void openFlags() throws Exception {
        fs.release(f.createFile("/f", "contents"));
        assertErrno(Errno.EEXIST, () -> fs.create("/f", 0644,
                RW | OpenFlags.O_CREAT | OpenFlags.O_EXCL, USER));
        long h = fs.create("/f", 0600, RW | OpenFlags.O_CREAT, USER);
        assertEquals("contents", f.readAll(h));
        assertEquals(FileMode.S_IFREG | 0644, fs.fgetattr(h).mode());
        long t = fs.open("/f", RW | OpenFlags.O_TRUNC);
        assertEquals(0, fs.fgetattr(t).sizeBytes());
        fs.write(t, 0, ByteBuffer.wrap("abc".getBytes()));
        long a = fs.open("/f", OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
        fs.write(a, 0, ByteBuffer.wrap("de".getBytes()));
        assertEquals("abcde", f.readAll(h));
        fs.mkdir("/d", 0755, USER);
        assertErrno(Errno.EISDIR, () -> fs.open("/d", RW));
        assertErrno(Errno.EISDIR, () -> fs.create("/d", 0644, RW | OpenFlags.O_CREAT, USER));
        assertErrno(Errno.ENOTDIR, () -> fs.open("/f", OpenFlags.O_RDONLY
                | OpenFlags.O_DIRECTORY));
        long dh = fs.open("/d", OpenFlags.O_RDONLY);
        assertErrno(Errno.EISDIR, () -> fs.read(dh, 0, ByteBuffer.allocate(1)));
        assertErrno(Errno.ENOENT, () -> fs.open("/none", RW));
        assertErrno(Errno.ENOENT, () -> fs.create("/none/x", 0644, RW, USER));
        for (long x : new long[] {h, t, a, dh}) {
            fs.release(x);
        }
        assertErrno(Errno.EBADF, () -> fs.release(h));
        assertEquals(0, f.fs.handleCount());
    }

    @Test
    void truncateZeroesPartialBlockAndPunches() throws Exception {
        long h = fs.create("/f", 0644, RW, USER);
        byte[] data = pattern(200_000, 7);
        fs.write(h, 0, ByteBuffer.wrap(data));
        long ino = fs.fgetattr(h).ino();
        int blocksBefore = f.data.blockCount(ino);
        fs.ftruncate(h, 5000);
        assertEquals(5000, fs.fgetattr(h).sizeBytes());
        assertEquals(2, f.data.blockCount(ino));
        assertEquals(2 * 4096 / 512, fs.fgetattr(h).blocks512());
        assertTrue(blocksBefore > 40);
        fs.ftruncate(h, 9000);
        byte[] back = read(h, 0, 9000);
        assertArrayEquals(Arrays.copyOf(data, 5000), Arrays.copyOf(back, 5000));
        assertArrayEquals(new byte[4000], Arrays.copyOfRange(back, 5000, 9000));
        fs.truncate("/f", 0);
        assertEquals(0, f.data.blockCount(ino));
        assertEquals(0, f.fs.orphanCount());
        assertErrno(Errno.EINVAL, () -> fs.truncate("/f", -1));
        assertErrno(Errno.EFBIG, () -> fs.truncate("/f", FsConstants.FILE_SIZE_MAX + 1));
        fs.mkdir("/d", 0755, USER);
        assertErrno(Errno.EISDIR, () -> fs.truncate("/d", 0));
        long ro = fs.open("/f", OpenFlags.O_RDONLY);
        assertErrno(Errno.EINVAL, () -> fs.ftruncate(ro, 0));
    }

    @Test
    void crashMidTruncateIsFinishedAtMount() throws Exception {
        long h = fs.create("/f", 0644, RW, USER);
        fs.write(h, 0, ByteBuffer.wrap(pattern(400_000, 3)));
        long ino = fs.fgetattr(h).ino();
        f.data.punchesBeforeFailure = 2;
        assertErrno(Errno.EIO, () -> fs.ftruncate(h, 10));
        f.data.punchesBeforeFailure = -1;
        assertEquals(10, fs.fgetattr(h).sizeBytes());
        assertTrue(f.data.blockCount(ino) > 1);
        assertEquals(1, f.fs.orphanCount());
        f.crashAndRemount();
        assertEquals(1, f.data.blockCount(ino));
        assertEquals(0, f.fs.orphanCount());
        assertEquals(10, f.fs.getattr("/f").sizeBytes());
        assertEquals(4096 / 512, f.fs.getattr("/f").blocks512());
    }

    @Test
    void fallocateModes() throws Exception {
        long h = fs.create("/f", 0644, RW, USER);
        byte[] data = pattern(40_000, 5);
        fs.write(h, 0, ByteBuffer.wrap(data));
        fs.fallocate(h, FsConstants.FALLOC_FL_PUNCH_HOLE | FsConstants.FALLOC_FL_KEEP_SIZE,
                1000, 20_000);
        byte[] back = read(h, 0, 40_000);
        byte[] expect = data.clone();
        Arrays.fill(expect, 1000, 21_000, (byte) 0);
        assertArrayEquals(expect, back);
        assertEquals(40_000, fs.fgetattr(h).sizeBytes());
        assertTrue(fs.fgetattr(h).blocks512() < 10 * 8);
        fs.fallocate(h, FsConstants.FALLOC_FL_ZERO_RANGE, 39_000, 2000);
        assertEquals(41_000, fs.fgetattr(h).sizeBytes());
        Arrays.fill(expect, 39_000, 40_000, (byte) 0);
        assertArrayEquals(Arrays.copyOf(expect, 40_000), read(h, 0, 40_000));
        fs.fallocate(h, FsConstants.FALLOC_FL_KEEP_SIZE, 0, 100_000);
        assertEquals(41_000, fs.fgetattr(h).sizeBytes());
        fs.fallocate(h, 0, 0, 50_000);
        assertEquals(50_000, fs.fgetattr(h).sizeBytes());
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(h, FsConstants.FALLOC_FL_PUNCH_HOLE,
                0, 10));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(h, 0x20, 0, 10));
        assertErrno(Errno.EINVAL, () -> fs.fallocate(h, 0, 0, 0));
        assertErrno(Errno.EINVAL, () -> fs.fallocate(h, 0, -1, 10));
        long ro = fs.open("/f", OpenFlags.O_RDONLY);
        assertErrno(Errno.EBADF, () -> fs.fallocate(ro, 0, 0, 10));
    }

    @Test
    void unlinkWhileOpenKeepsDataUntilRelease() throws Exception {
        long h = f.createFile("/f", "still here");
        long ino = fs.fgetattr(h).ino();
        fs.unlink("/f");
        assertErrno(Errno.ENOENT, () -> fs.getattr("/f"));
        assertEquals("still here", f.readAll(h));
        fs.write(h, 10, ByteBuffer.wrap("!".getBytes()));
        assertEquals("still here!", f.readAll(h));
        assertEquals(0, fs.fgetattr(h).nlink());
        assertEquals(1, f.fs.orphanCount());
        fs.release(h);
        assertEquals(0, f.data.blockCount(ino));
        assertEquals(0, f.fs.orphanCount());
    }

    @Test
    void orphansOfACrashAreFreedAtMount() throws Exception {
        long h = f.createFile("/f", "x".repeat(50_000));
        long ino = fs.fgetattr(h).ino();
        fs.setxattr("/f", "user.a", new byte[] {1}, 0);
        fs.mkdir("/d", 0755, USER);
        long dh = fs.opendir("/d");
        fs.unlink("/f");
        fs.rmdir("/d");
        assertEquals(2, f.fs.orphanCount());
        assertEquals(0, fs.readdir(dh, 0, 10).size());
        f.crashAndRemount(); // the handles die with the process
        assertEquals(0, f.fs.orphanCount());
        assertEquals(0, f.data.blockCount(ino));
        long files = f.fs.statfs().filesFree();
        assertEquals(KeelFilesystem.FILES_MAX - 1, files);
    }

    @Test
    void timestamps() throws Exception {
        long h = f.createFile("/f", "abc");
        Stat created = fs.fgetattr(h);
        assertEquals(1_000_000, created.btimeNs());
        now[0] = 2_000_000;
        fs.write(h, 0, ByteBuffer.wrap("x".getBytes()));
        Stat written = fs.fgetattr(h);
        assertEquals(2_000_000, written.mtimeNs());
        assertEquals(2_000_000, written.ctimeNs());
        assertEquals(1_000_000, written.atimeNs());
        now[0] = 3_000_000;
        read(h, 0, 3); // relatime: atime older than mtime moves
        assertEquals(3_000_000, fs.fgetattr(h).atimeNs());
        now[0] = 4_000_000;
        read(h, 0, 3); // and then stays
        assertEquals(3_000_000, fs.fgetattr(h).atimeNs());
        now[0] = 3_000_000 + 86_400_000_000_001L;
        read(h, 0, 3); // unless a day old
        assertEquals(now[0], fs.fgetattr(h).atimeNs());
        now[0] += 10;
        fs.chmod("/f", 0600);
        assertEquals(now[0], fs.fgetattr(h).ctimeNs());
        assertEquals(2_000_000, fs.fgetattr(h).mtimeNs());
        fs.utimens("/f", 5, FsConstants.UTIME_OMIT);
        Stat u = fs.fgetattr(h);
        assertEquals(5, u.atimeNs());
        assertEquals(2_000_000, u.mtimeNs());
        now[0] += 10;
        fs.utimens("/f", FsConstants.UTIME_OMIT, FsConstants.UTIME_NOW);
        assertEquals(now[0], fs.fgetattr(h).mtimeNs());
        assertEquals(now[0], fs.fgetattr(h).ctimeNs());
        assertEquals(5, fs.fgetattr(h).atimeNs());
        fs.utimens("/f", FsConstants.UTIME_OMIT, FsConstants.UTIME_OMIT);
        assertErrno(Errno.ENOENT, () -> fs.utimens("/none", 1, 1));
    }

    @Test
    void chmodAndChown() throws Exception {
        fs.mknod("/f", FileMode.S_IFREG | 06755, 0, USER);
        fs.chmod("/f", FileMode.S_IFDIR | 04711);
        assertEquals(FileMode.S_IFREG | 04711, fs.getattr("/f").mode());
        fs.chmod("/f", 06755);
        fs.chown("/f", 7, FsConstants.ID_UNCHANGED);
        Stat st = fs.getattr("/f");
        assertEquals(7, st.uid());
        assertEquals(1000, st.gid());
        assertEquals(FileMode.S_IFREG | 0755, st.mode()); // setuid, and setgid with g+x, gone
        fs.chmod("/f", 02745);
        fs.chown("/f", FsConstants.ID_UNCHANGED, 9);
        assertEquals(02745, fs.getattr("/f").mode() & 07777); // setgid without g+x stays
        fs.mkdir("/d", 06755, USER);
        fs.chown("/d", 1, 1);
        assertEquals(06755, fs.getattr("/d").mode() & 07777);
        assertErrno(Errno.EINVAL, () -> fs.chown("/d", 1L << 33, 1));
        assertErrno(Errno.ENOENT, () -> fs.chmod("/none", 0644));
    }

    @Test
    void fsyncSyncAndStatfs() throws Exception {
        long h = f.createFile("/f", "data");
        long before = f.fs.statfs().blocksFree();
        fs.fsync(h, false);
        fs.fsync(h, true);
        fs.fsyncdir("/", false);
        fs.sync();
        StatFs s = fs.statfs();
        assertEquals(4096, s.blockSizeBytes());
        assertEquals(before, s.blocksFree());
        assertEquals(MemoryFileData.CAPACITY_BYTES / 4096, s.blocks());
        assertNotEquals(0, s.filesFree());
        assertEquals(KeelFilesystem.FILES_MAX - 2, s.filesFree());
        f.crashAndRemount();
        assertEquals("data", f.readFile("/f"));
    }
}
