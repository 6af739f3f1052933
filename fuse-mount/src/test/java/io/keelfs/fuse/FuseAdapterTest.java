package io.keelfs.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.error.Errno;
import io.keelfs.fs.Caller;
import io.keelfs.fs.FileMode;
import io.keelfs.fs.FsConstants;
import io.keelfs.fs.OpenFlags;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The adapter called directly (no mount) over the in-memory fake: errno mapping, the catch-all
 * that turns bugs into EIO, stat filling, handles and direct_io, the xattr size protocol,
 * readdir offsets, readlink truncation, utimens sentinels, fallocate modes.
 *
 * <p>Not covered here: anything the kernel or libfuse does (FuseMountTest mounts for real).
 */
class FuseAdapterTest {
    private static final Caller ALICE = new Caller(1000, 100);
    private InMemoryFilesystem fs;
    private KeelFuse fuse;

    @BeforeEach
    void setUp() {
        FuseTestSupport.assumeLibfuse();
        fs = new InMemoryFilesystem();
        fuse = new KeelFuse(fs, () -> ALICE, null);
    }

    private static Pointer mem(int sizeBytes) {
        return Memory.allocateDirect(Runtime.getSystemRuntime(), sizeBytes, true);
    }

    private static FuseFileInfo fileInfo(int flags) {
        FuseFileInfo fi = FuseFileInfo.of(mem(64));
        fi.flags.set(flags);
        return fi;
    }

    private static FileStat stat() {
        return FileStat.of(mem(256));
    }

    private long createFile(String path, String contents) {
        FuseFileInfo fi = fileInfo(OpenFlags.O_CREAT | OpenFlags.O_RDWR);
        assertEquals(0, fuse.create(path, FileMode.S_IFREG | 0644, fi));
        byte[] bytes = contents.getBytes(StandardCharsets.UTF_8);
        Pointer buf = mem(Math.max(1, bytes.length));
        buf.put(0, bytes, 0, bytes.length);
        assertEquals(bytes.length, fuse.write(path, buf, bytes.length, 0, fi));
        assertEquals(0, fuse.release(path, fi));
        return fi.fh.get();
    }

    @Test
    void getattrFillsEveryFieldIncludingNanoseconds() throws Exception {
        createFile("/f", "hello");
        fs.setMtimeForTest("/f", 1_700_000_000_123_456_789L);
        FileStat st = stat();
        assertEquals(0, fuse.getattr("/f", st));
        assertEquals(FileMode.S_IFREG | 0644, st.st_mode.intValue());
        assertEquals(5, st.st_size.longValue());
        assertEquals(1, st.st_nlink.longValue());
        assertEquals(1000, st.st_uid.longValue());
        assertEquals(100, st.st_gid.longValue());
        assertEquals(InMemoryFilesystem.BLOCK_SIZE_BYTES, st.st_blksize.longValue());
        assertTrue(st.st_blocks.longValue() > 0);
        assertEquals(1_700_000_000L, st.st_mtim.tv_sec.get());
        assertEquals(123_456_789L, st.st_mtim.tv_nsec.longValue());
        assertNotEquals(0, st.st_ino.longValue());
    }

    @Test
    void filesystemErrorsBecomeTheirNegativeErrno() {
        assertEquals(-Errno.ENOENT.value, fuse.getattr("/missing", stat()));
        assertEquals(0, fuse.mkdir("/d", 0755));
        assertEquals(-Errno.EEXIST.value, fuse.mkdir("/d", 0755));
        createFile("/d/x", "1");
        assertEquals(-Errno.ENOTEMPTY.value, fuse.rmdir("/d"));
        assertEquals(-Errno.EISDIR.value, fuse.unlink("/d"));
        assertEquals(-Errno.ENOTDIR.value, fuse.rmdir("/d/x"));
        assertEquals(0, fuse.internalErrorCount());
    }

    @Test
    void anyOtherThrowableBecomesEioAndIsCounted() {
        fs.failNextWith("getattr", new IllegalStateException("injected bug"));
        assertEquals(-Errno.EIO.value, fuse.getattr("/", stat()));
        assertEquals(1, fuse.internalErrorCount());
        // An Error, not an Exception: the catch-all holds for those too.
        fs.failNextWith("mkdir", new AssertionError("injected assertion"));
        assertEquals(-Errno.EIO.value, fuse.mkdir("/x", 0755));
        assertEquals(2, fuse.internalErrorCount());
        fs.failNextWith("read", new NullPointerException("injected"));
        assertEquals(-Errno.EIO.value, fuse.read("/x", mem(8), 8, 0, fileInfo(0)));
        assertEquals(0, fuse.getattr("/", stat()));
        assertEquals(3, fuse.internalErrorCount());
    }

    @Test
    void createExclusiveRefusesAnExistingFile() {
        createFile("/f", "x");
        FuseFileInfo fi = fileInfo(OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_WRONLY);
        assertEquals(-Errno.EEXIST.value, fuse.create("/f", FileMode.S_IFREG | 0644, fi));
        assertEquals(0, fs.openHandleCount());
    }

    @Test
    void createStoresTheHandleAndOwnerIsTheCaller() throws Exception {
        FuseFileInfo fi = fileInfo(OpenFlags.O_CREAT | OpenFlags.O_RDWR);
        assertEquals(0, fuse.create("/f", FileMode.S_IFREG | 0600, fi));
        assertNotEquals(0, fi.fh.get());
        assertEquals(1000, fs.getattr("/f").uid());
        FileStat st = stat();
        assertEquals(0, fuse.fgetattr("/f", st, fi));
        assertEquals(FileMode.S_IFREG | 0600, st.st_mode.intValue());
        assertEquals(0, directIoBit(fi));
        assertEquals(0, fuse.release("/f", fi));
    }

    private static int directIoBit(FuseFileInfo fi) {
        return Struct.getMemory(fi).getInt(KeelFuse.FILE_INFO_BITS_OFFSET)
                & KeelFuse.FILE_INFO_DIRECT_IO_BIT;
    }

    @Test
    void oDirectOpenSetsDirectIoAndKeepsTheHandleField() {
        createFile("/f", "data");
        FuseFileInfo fi = fileInfo(OpenFlags.O_RDWR | OpenFlags.O_DIRECT);
        assertEquals(0, fuse.open("/f", fi));
        assertEquals(1, directIoBit(fi));
        long handle = fi.fh.get();
        assertNotEquals(0, handle);
        assertEquals(OpenFlags.O_RDWR | OpenFlags.O_DIRECT, fi.flags.get());
        assertEquals(0, fuse.release("/f", fi));
    }

    @Test
    void writeThenReadGoesThroughNativeBuffers() {
        FuseFileInfo fi = fileInfo(OpenFlags.O_CREAT | OpenFlags.O_RDWR);
        assertEquals(0, fuse.create("/big", FileMode.S_IFREG | 0644, fi));
        int size = 1 << 20;
        Pointer in = mem(size);
        byte[] pattern = new byte[size];
        for (int i = 0; i < size; i++) {
            pattern[i] = (byte) (i * 31 + 7);
        }
        in.put(0, pattern, 0, size);
        assertEquals(size, fuse.write("/big", in, size, 4096, fi));
        Pointer out = mem(size);
        assertEquals(size, fuse.read("/big", out, size, 4096, fi));
        byte[] back = new byte[size];
        out.get(0, back, 0, size);
        assertArrayEquals(pattern, back);
        assertEquals(4096, fuse.read("/big", out, size, size, fi), "short read at EOF");
        assertEquals(0, fuse.read("/big", out, size, size + 4096, fi));
        assertEquals(0, fuse.release("/big", fi));
    }

    @Test
    void readlinkTerminatesAndTruncates() {
        assertEquals(0, fuse.symlink("/some/where/far", "/l"));
        Pointer buf = mem(64);
        assertEquals(0, fuse.readlink("/l", buf, 64));
        assertEquals("/some/where/far", buf.getString(0));
        Pointer small = mem(8);
        assertEquals(0, fuse.readlink("/l", small, 6));
        assertEquals("/some", small.getString(0));
        assertEquals(-Errno.EINVAL.value, fuse.readlink("/", buf, 64));
    }

    @Test
    void getxattrAndListxattrFollowTheSizeProtocol() {
        createFile("/f", "");
        byte[] value = "blue".getBytes(StandardCharsets.UTF_8);
        Pointer v = mem(value.length);
        v.put(0, value, 0, value.length);
        assertEquals(0, fuse.setxattr("/f", "user.color", v, value.length, 0));
        assertEquals(-Errno.EEXIST.value,
                fuse.setxattr("/f", "user.color", v, value.length, FsConstants.XATTR_CREATE));
        assertEquals(0, fuse.setxattr("/f", "user.empty", v, 0, 0));

        Pointer out = mem(64);
        assertEquals(4, fuse.getxattr("/f", "user.color", out, 0), "size 0 asks the length");
        assertEquals(-Errno.ERANGE.value, fuse.getxattr("/f", "user.color", out, 3));
        assertEquals(4, fuse.getxattr("/f", "user.color", out, 4));
        byte[] back = new byte[4];
        out.get(0, back, 0, 4);
        assertArrayEquals(value, back);
        assertEquals(0, fuse.getxattr("/f", "user.empty", out, 64));
        assertEquals(-Errno.ENODATA.value, fuse.getxattr("/f", "user.none", out, 64));

        byte[] expected = "user.color\0user.empty\0".getBytes(StandardCharsets.UTF_8);
        assertEquals(expected.length, fuse.listxattr("/f", out, 0));
        assertEquals(-Errno.ERANGE.value, fuse.listxattr("/f", out, expected.length - 1));
        assertEquals(expected.length, fuse.listxattr("/f", out, 64));
        byte[] list = new byte[expected.length];
        out.get(0, list, 0, list.length);
        assertArrayEquals(expected, list);

        assertEquals(0, fuse.removexattr("/f", "user.color"));
        assertEquals(-Errno.ENODATA.value, fuse.removexattr("/f", "user.color"));
    }

    /** Collects names and offsets; says "full" after {@code capacity} entries. */
    private static final class Filler implements FuseFillDir {
        final List<String> names = new ArrayList<>();
        final List<Long> offsets = new ArrayList<>();
        final int capacity;

        Filler(int capacity) {
            this.capacity = capacity;
        }

        @Override
        public int apply(Pointer buf, ByteBuffer name, Pointer stbuf, long off) {
            if (names.size() >= capacity) {
                return 1;
            }
            byte[] bytes = new byte[name.remaining()];
            name.get(bytes);
            int end = 0;
            while (end < bytes.length && bytes[end] != 0) {
                end++;
            }
            assertTrue(end < bytes.length, "name not NUL-terminated");
            names.add(new String(bytes, 0, end, StandardCharsets.UTF_8));
            offsets.add(off);
            assertNotEquals(0, FileStat.of(stbuf).st_mode.intValue() & FileMode.S_IFMT);
            return 0;
        }
    }

    @Test
    void readdirResumesAtTheOffsetOfTheLastEntryItReturned() {
        assertEquals(0, fuse.mkdir("/d", 0755));
        Set<String> expected = new HashSet<>(List.of(".", ".."));
        for (int i = 0; i < 300; i++) {
            createFile("/d/file-" + i, "");
            expected.add("file-" + i);
        }
        expected.add("späť");
        createFile("/d/späť", "");
        FuseFileInfo fi = fileInfo(OpenFlags.O_RDONLY);
        assertEquals(0, fuse.opendir("/d", fi));
        List<String> all = new ArrayList<>();
        long offset = 0;
        for (int call = 0; call < 100; call++) {
            Filler filler = new Filler(7);
            assertEquals(0, fuse.readdir("/d", mem(8), filler, offset, fi));
            if (filler.names.isEmpty()) {
                break;
            }
            all.addAll(filler.names);
            offset = filler.offsets.get(filler.offsets.size() - 1);
            for (long o : filler.offsets) {
                assertNotEquals(0, o, "offset 0 would switch libfuse out of offset mode");
            }
            if (call == 3) {
                createFile("/d/late", "");
                expected.add("late");
                assertEquals(0, fuse.unlink("/d/file-299"));
                expected.remove("file-299");
            }
        }
        assertEquals(expected, new HashSet<>(all));
        assertEquals(all.size(), new HashSet<>(all).size(), "no entry twice");
        assertEquals(0, fuse.releasedir("/d", fi));
    }

    @Test
    void readdirFillsMoreThanOneBatchPerCall() {
        assertEquals(0, fuse.mkdir("/d", 0755));
        for (int i = 0; i < 3 * FuseTranslation.READDIR_BATCH_ENTRIES; i++) {
            createFile("/d/" + i, "");
        }
        FuseFileInfo fi = fileInfo(OpenFlags.O_RDONLY);
        assertEquals(0, fuse.opendir("/d", fi));
        Filler filler = new Filler(Integer.MAX_VALUE);
        assertEquals(0, fuse.readdir("/d", mem(8), filler, 0, fi));
        assertEquals(3 * FuseTranslation.READDIR_BATCH_ENTRIES + 2, filler.names.size());
    }

    @Test
    void utimensPassesNowAndOmitThrough() throws Exception {
        createFile("/f", "");
        Timespec[] times = {Timespec.of(mem(16)), Timespec.of(mem(16))};
        times[0].tv_sec.set(1_600_000_000L);
        times[0].tv_nsec.set(42);
        times[1].tv_sec.set(0);
        times[1].tv_nsec.set((1L << 30) - 2);
        long mtimeBefore = fs.getattr("/f").mtimeNs();
        assertEquals(0, fuse.utimens("/f", times));
        assertEquals(1_600_000_000_000_000_042L, fs.getattr("/f").atimeNs());
        assertEquals(mtimeBefore, fs.getattr("/f").mtimeNs(), "UTIME_OMIT leaves mtime");
        times[1].tv_nsec.set((1L << 30) - 1);
        assertEquals(0, fuse.utimens("/f", times));
        assertTrue(fs.getattr("/f").mtimeNs() > 1_700_000_000_000_000_000L, "UTIME_NOW");
    }

    @Test
    void chownMinusOneLeavesThatId() throws Exception {
        createFile("/f", "");
        assertEquals(0, fuse.chown("/f", 0xffff_ffffL, 55));
        assertEquals(1000, fs.getattr("/f").uid());
        assertEquals(55, fs.getattr("/f").gid());
        assertEquals(0, fuse.chown("/f", 7, -1));
        assertEquals(7, fs.getattr("/f").uid());
        assertEquals(55, fs.getattr("/f").gid());
    }

    @Test
    void fallocateModesItDoesNotKnowAreEopnotsupp() {
        createFile("/f", "0123456789");
        FuseFileInfo fi = fileInfo(OpenFlags.O_RDWR);
        assertEquals(0, fuse.open("/f", fi));
        int collapseRange = 0x08;
        assertEquals(-Errno.EOPNOTSUPP.value, fuse.fallocate("/f", collapseRange, 0, 4096, fi));
        assertEquals(-Errno.EOPNOTSUPP.value, fuse.fallocate("/f", 0x20, 0, 4096, fi));
        assertEquals(0, fuse.fallocate("/f", 0, 0, 8192, fi));
        assertEquals(0, fuse.fallocate("/f", FsConstants.FALLOC_FL_PUNCH_HOLE
                | FsConstants.FALLOC_FL_KEEP_SIZE, 0, 4, fi));
        assertEquals(0, fuse.release("/f", fi));
    }

    @Test
    void renameLinkTruncateChmodStatfsAndAccess() throws Exception {
        createFile("/a", "abcdef");
        assertEquals(0, fuse.rename("/a", "/b"));
        assertEquals(-Errno.ENOENT.value, fuse.getattr("/a", stat()));
        assertEquals(0, fuse.link("/b", "/c"));
        assertEquals(2, fs.getattr("/b").nlink());
        assertEquals(0, fuse.truncate("/c", 2));
        assertEquals(2, fs.getattr("/b").sizeBytes());
        assertEquals(0, fuse.chmod("/b", FileMode.S_IFREG | 0600));
        assertEquals(FileMode.S_IFREG | 0600, fs.getattr("/c").mode());
        assertEquals(0, fuse.mknod("/fifo", FileMode.S_IFIFO | 0644, 0));
        Statvfs sv = Statvfs.of(mem(256));
        assertEquals(0, fuse.statfs("/", sv));
        assertEquals(InMemoryFilesystem.BLOCK_SIZE_BYTES, sv.f_bsize.longValue());
        assertEquals(65536, sv.f_blocks.longValue());
        assertEquals(59000, sv.f_bavail.longValue());
        assertEquals(255, sv.f_namemax.longValue());
        assertEquals(0, fuse.access("/nonexistent", 7), "default_permissions does the checks");
    }

    @Test
    void unlinkedOpenFileStaysUsableThroughItsHandleWithANullPath() {
        FuseFileInfo fi = fileInfo(OpenFlags.O_CREAT | OpenFlags.O_RDWR);
        assertEquals(0, fuse.create("/f", FileMode.S_IFREG | 0644, fi));
        assertEquals(0, fuse.unlink("/f"));
        Pointer buf = mem(4);
        buf.put(0, new byte[] {1, 2, 3, 4}, 0, 4);
        assertEquals(4, fuse.write(null, buf, 4, 0, fi));
        FileStat st = stat();
        assertEquals(0, fuse.fgetattr(null, st, fi));
        assertEquals(4, st.st_size.longValue());
        assertEquals(0, st.st_nlink.longValue());
        assertEquals(0, fuse.fsync(null, 1, fi));
        assertEquals(0, fuse.release(null, fi));
    }
}
