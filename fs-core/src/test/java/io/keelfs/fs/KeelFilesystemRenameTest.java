package io.keelfs.fs;

import static io.keelfs.fs.FsAsserts.assertErrno;
import static io.keelfs.fs.FsFixture.USER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.error.Errno;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** rename: plain, overwrite, NOREPLACE, EXCHANGE, loops, link counts, every errno. */
class KeelFilesystemRenameTest {
    private FsFixture f;
    private Filesystem fs;

    @BeforeEach
    void setUp() throws Exception {
        f = FsFixture.create();
        fs = f.fs;
        fs.mkdir("/a", 0755, USER);
        fs.mkdir("/b", 0755, USER);
        fs.release(f.createFile("/a/f", "one"));
        fs.release(f.createFile("/b/g", "two"));
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    @Test
    void moveFileAcrossDirectories() throws Exception {
        long ino = fs.getattr("/a/f").ino();
        fs.rename("/a/f", "/b/f", 0);
        assertErrno(Errno.ENOENT, () -> fs.getattr("/a/f"));
        assertEquals(ino, fs.getattr("/b/f").ino());
        assertEquals("one", f.readFile("/b/f"));
        assertEquals(2, fs.getattr("/a").nlink());
    }

    @Test
    void renameInSameDirectoryAndOntoItself() throws Exception {
        fs.rename("/a/f", "/a/h", 0);
        assertEquals("one", f.readFile("/a/h"));
        fs.rename("/a/h", "/a/h", 0);
        fs.link("/a/h", "/a/h2");
        fs.rename("/a/h", "/a/h2", 0); // two links of one inode: nothing happens
        assertEquals(2, fs.getattr("/a/h").nlink());
        assertErrno(Errno.EEXIST, () -> fs.rename("/a/h", "/a/h2",
                FsConstants.RENAME_NOREPLACE));
    }

    @Test
    void overwriteFileFreesVictim() throws Exception {
        long victim = fs.getattr("/b/g").ino();
        fs.rename("/a/f", "/b/g", 0);
        assertEquals("one", f.readFile("/b/g"));
        assertEquals(0, f.data.blockCount(victim));
        assertEquals(0, f.fs.orphanCount());
    }

    @Test
    void overwriteOpenFileKeepsItUntilRelease() throws Exception {
        long h = fs.open("/b/g", OpenFlags.O_RDONLY);
        long victim = fs.fgetattr(h).ino();
        fs.rename("/a/f", "/b/g", 0);
        assertEquals("two", f.readAll(h));
        assertEquals(0, fs.fgetattr(h).nlink());
        assertEquals(1, f.fs.orphanCount());
        fs.release(h);
        assertEquals(0, f.data.blockCount(victim));
        assertEquals(0, f.fs.orphanCount());
    }

    @Test
    void overwriteDirectories() throws Exception {
        fs.mkdir("/a/d", 0755, USER);
        fs.mkdir("/b/e", 0755, USER);
        fs.mkdir("/b/full", 0755, USER);
        fs.mknod("/b/full/x", FileMode.S_IFREG | 0644, 0, USER);
        assertErrno(Errno.ENOTEMPTY, () -> fs.rename("/a/d", "/b/full", 0));
        assertErrno(Errno.ENOTDIR, () -> fs.rename("/a/d", "/b/g", 0));
        assertErrno(Errno.EISDIR, () -> fs.rename("/a/f", "/b/e", 0));
        long d = fs.getattr("/a/d").ino();
        assertEquals(3, fs.getattr("/a").nlink());
        assertEquals(4, fs.getattr("/b").nlink());
        fs.rename("/a/d", "/b/e", 0);
        assertEquals(d, fs.getattr("/b/e").ino());
        assertEquals(2, fs.getattr("/a").nlink());
        assertEquals(4, fs.getattr("/b").nlink());
        long h = fs.opendir("/b/e/..");
        assertEquals(fs.getattr("/b").ino(), fs.fgetattr(h).ino());
        assertEquals(fs.getattr("/b").ino(), fs.readdir(fs.opendir("/b/e"), 1, 1).get(0).ino());
        fs.releasedir(h);
        assertEquals(0, f.fs.orphanCount());
    }

    @Test
    void directoryIntoItsOwnSubtreeIsEinval() throws Exception {
        fs.mkdir("/a/d", 0755, USER);
        fs.mkdir("/a/d/e", 0755, USER);
        assertErrno(Errno.EINVAL, () -> fs.rename("/a", "/a/d/e/x", 0));
        assertErrno(Errno.EINVAL, () -> fs.rename("/a/d", "/a/d/x", 0));
        assertErrno(Errno.EINVAL, () -> fs.rename("/a", "/a/d/e/x",
                FsConstants.RENAME_NOREPLACE));
        fs.mkdir("/b/x", 0755, USER);
        assertErrno(Errno.EINVAL, () -> fs.rename("/a", "/a/d/e", FsConstants.RENAME_EXCHANGE));
        fs.rename("/a/d/e", "/e", 0);
        assertEquals(3, fs.getattr("/a").nlink());
    }

    @Test
    void errnos() throws Exception {
        assertErrno(Errno.ENOENT, () -> fs.rename("/a/none", "/b/x", 0));
        assertErrno(Errno.ENOENT, () -> fs.rename("/a/f", "/none/x", 0));
        assertErrno(Errno.EBUSY, () -> fs.rename("/", "/x", 0));
        assertErrno(Errno.EINVAL, () -> fs.rename("/a/.", "/x", 0));
        assertErrno(Errno.EINVAL, () -> fs.rename("/a/f", "/b/..", 0));
        assertErrno(Errno.EINVAL, () -> fs.rename("/a/f", "/b/x", 4));
        assertErrno(Errno.EINVAL, () -> fs.rename("/a/f", "/b/x",
                FsConstants.RENAME_NOREPLACE | FsConstants.RENAME_EXCHANGE));
        assertErrno(Errno.EEXIST, () -> fs.rename("/a/f", "/b/g", FsConstants.RENAME_NOREPLACE));
        assertErrno(Errno.ENOENT, () -> fs.rename("/a/f", "/b/x", FsConstants.RENAME_EXCHANGE));
        assertErrno(Errno.ENAMETOOLONG, () -> fs.rename("/a/f", "/b/" + "x".repeat(256), 0));
        assertErrno(Errno.ENOTDIR, () -> fs.rename("/a/f/x", "/b/x", 0));
        fs.rename("/a/f", "/b/x", FsConstants.RENAME_NOREPLACE);
        assertEquals("one", f.readFile("/b/x"));
    }

    @Test
    void exchangeFileAndDirectoryAcrossParents() throws Exception {
        fs.mkdir("/b/d", 0755, USER);
        fs.mknod("/b/d/inner", FileMode.S_IFREG | 0644, 0, USER);
        long file = fs.getattr("/a/f").ino();
        long dir = fs.getattr("/b/d").ino();
        fs.rename("/a/f", "/b/d", FsConstants.RENAME_EXCHANGE);
        assertEquals(dir, fs.getattr("/a/f").ino());
        assertEquals(file, fs.getattr("/b/d").ino());
        assertTrue(fs.getattr("/a/f/inner").isRegular());
        assertEquals(3, fs.getattr("/a").nlink());
        assertEquals(2, fs.getattr("/b").nlink());
        assertEquals("one", f.readFile("/b/d"));
        assertEquals(fs.getattr("/a").ino(), fs.getattr("/a/f/..").ino());
        f.remount();
        assertEquals(3, f.fs.getattr("/a").nlink());
        assertEquals(dir, f.fs.getattr("/a/f").ino());
    }

    @Test
    void renameUpdatesTimes() throws Exception {
        long[] now = {1_000};
        f.close();
        f = new FsFixture(FsOptions.defaults().withClockNs(() -> now[0]), 64L << 20);
        fs = f.fs;
        fs.mkdir("/a", 0755, USER);
        fs.mkdir("/b", 0755, USER);
        fs.mknod("/a/f", FileMode.S_IFREG | 0644, 0, USER);
        now[0] = 5_000;
        fs.rename("/a/f", "/b/f", 0);
        assertEquals(5_000, fs.getattr("/a").mtimeNs());
        assertEquals(5_000, fs.getattr("/b").ctimeNs());
        Stat moved = fs.getattr("/b/f");
        assertEquals(5_000, moved.ctimeNs());
        assertEquals(1_000, moved.mtimeNs());
        assertEquals(1_000, moved.btimeNs());
    }
}
