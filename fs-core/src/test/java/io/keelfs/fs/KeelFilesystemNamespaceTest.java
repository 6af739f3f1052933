package io.keelfs.fs;

import static io.keelfs.fs.FsAsserts.assertErrno;
import static io.keelfs.fs.FsFixture.USER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.error.Errno;
import io.keelfs.fs.names.NameHash;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Names: mkdir, mknod, symlink, link, unlink, rmdir, readdir, getattr and their errnos; link
 * counts and timestamps of parents; hash collisions (a weak test hash) and whiteouts.
 * Rename, xattrs and file contents have their own tests.
 */
class KeelFilesystemNamespaceTest {
    private FsFixture f;
    private Filesystem fs;

    @BeforeEach
    void setUp() throws Exception {
        f = FsFixture.create();
        fs = f.fs;
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    @Test
    void rootAfterFormat() throws Exception {
        Stat root = fs.getattr("/");
        assertEquals(Filesystem.ROOT_INO, root.ino());
        assertEquals(FileMode.S_IFDIR | 0755, root.mode());
        assertEquals(2, root.nlink());
    }

    @Test
    void mkdirCountsLinksAndTouchesParent() throws Exception {
        Stat before = fs.getattr("/");
        Stat d = fs.mkdir("/d", 0750, USER);
        assertEquals(FileMode.S_IFDIR | 0750, d.mode());
        assertEquals(2, d.nlink());
        assertEquals(1000, d.uid());
        assertEquals(3, fs.getattr("/").nlink());
        fs.mkdir("/d/e", 0755, USER);
        assertEquals(3, fs.getattr("/d").nlink());
        assertTrue(fs.getattr("/").mtimeNs() >= before.mtimeNs());
        assertEquals(d.btimeNs(), fs.getattr("/d").btimeNs());
        assertErrno(Errno.EEXIST, () -> fs.mkdir("/d", 0755, USER));
        assertErrno(Errno.EEXIST, () -> fs.mkdir("/d/.", 0755, USER));
        assertErrno(Errno.EEXIST, () -> fs.mkdir("/", 0755, USER));
        assertErrno(Errno.ENOENT, () -> fs.mkdir("/x/y", 0755, USER));
        fs.mknod("/f", FileMode.S_IFREG | 0644, 0, USER);
        assertErrno(Errno.ENOTDIR, () -> fs.mkdir("/f/y", 0755, USER));
        assertErrno(Errno.ENAMETOOLONG, () -> fs.mkdir("/" + "n".repeat(256), 0755, USER));
        fs.mkdir("/" + "n".repeat(255), 0755, USER);
        // 128 two-byte characters: 256 bytes of UTF-8.
        assertErrno(Errno.ENAMETOOLONG, () -> fs.mkdir("/" + "é".repeat(128), 0755, USER));
    }

    @Test
    void mknodTypes() throws Exception {
        assertEquals(FileMode.S_IFIFO | 0600,
                fs.mknod("/fifo", FileMode.S_IFIFO | 0600, 0, USER).mode());
        assertEquals(FileMode.S_IFSOCK, fs.getattr("/fifo").mode() & 0
                | fs.mknod("/sock", FileMode.S_IFSOCK | 0600, 0, USER).mode()
                & FileMode.S_IFMT);
        Stat chr = fs.mknod("/chr", FileMode.S_IFCHR | 0600, 0x0501, USER);
        assertEquals(0x0501, chr.rdev());
        assertEquals(0x0802, fs.mknod("/blk", FileMode.S_IFBLK | 0600, 0x0802, USER).rdev());
        assertEquals(0, fs.mknod("/reg", FileMode.S_IFREG | 0600, 7, USER).rdev());
        assertErrno(Errno.EPERM, () -> fs.mknod("/dir", FileMode.S_IFDIR | 0755, 0, USER));
        assertErrno(Errno.EINVAL, () -> fs.mknod("/lnk", FileMode.S_IFLNK | 0755, 0, USER));
        assertErrno(Errno.EEXIST, () -> fs.mknod("/reg", FileMode.S_IFREG | 0600, 0, USER));
    }

    @Test
    void setgidDirectoryPassesGroup() throws Exception {
        fs.mkdir("/g", 02775, new Caller(0, 50));
        Stat file = fs.mknod("/g/f", FileMode.S_IFREG | 0644, 0, USER);
        assertEquals(50, file.gid());
        Stat sub = fs.mkdir("/g/s", 0755, USER);
        assertEquals(50, sub.gid());
        assertEquals(FileMode.S_ISGID, sub.mode() & FileMode.S_ISGID);
    }

    @Test
    void symlinkAndReadlink() throws Exception {
        Stat s = fs.symlink("../some/target", "/l", USER);
        assertEquals(FileMode.S_IFLNK | 0777, s.mode());
        assertEquals(14, s.sizeBytes());
        assertEquals("../some/target", fs.readlink("/l"));
        String longest = "t".repeat(FsConstants.PATH_LENGTH_MAX);
        fs.symlink(longest, "/long", USER);
        assertEquals(longest, fs.readlink("/long"));
        assertErrno(Errno.ENAMETOOLONG, () -> fs.symlink(longest + "x", "/l2", USER));
        assertErrno(Errno.ENOENT, () -> fs.symlink("", "/l3", USER));
        assertErrno(Errno.EEXIST, () -> fs.symlink("x", "/l", USER));
        fs.mkdir("/d", 0755, USER);
        assertErrno(Errno.EINVAL, () -> fs.readlink("/d"));
        assertErrno(Errno.ENOENT, () -> fs.readlink("/nothing"));
        assertErrno(Errno.ELOOP, () -> fs.open("/l", OpenFlags.O_RDONLY));
        f.remount();
        assertEquals(longest, f.fs.readlink("/long"));
        f.fs.unlink("/long");
        assertErrno(Errno.ENOENT, () -> f.fs.readlink("/long"));
    }

    @Test
    void hardLinks() throws Exception {
        f.fs.release(f.createFile("/a", "hello"));
        Stat l = fs.link("/a", "/b");
        assertEquals(2, l.nlink());
        assertEquals(fs.getattr("/a").ino(), fs.getattr("/b").ino());
        fs.unlink("/a");
        assertEquals(1, fs.getattr("/b").nlink());
        assertEquals("hello", f.readFile("/b"));
        fs.mkdir("/d", 0755, USER);
        assertErrno(Errno.EPERM, () -> fs.link("/d", "/d2"));
        assertErrno(Errno.EEXIST, () -> fs.link("/b", "/d"));
        assertErrno(Errno.ENOENT, () -> fs.link("/missing", "/x"));
        assertErrno(Errno.ENOENT, () -> fs.link("/b", "/missing/x"));
    }

    /** Sets an inode's nlink directly: reaching 65,000 by calls would take 65k commits. */
    private void setNlink(String path, long nlink) throws Exception {
        FsState st = f.fs.state();
        long ino = fs.getattr(path).ino();
        st.engine.update(txn -> {
            st.inodes.put(txn, st.inodes.get(txn, ino, path).withNlink(nlink));
            return null;
        }, io.keelfs.engine.Durability.NO_FLUSH);
    }

    @Test
    void verifierFindsWrongLinkCounts() throws Exception {
        fs.mkdir("/d", 0755, USER);
        fs.mknod("/d/f", FileMode.S_IFREG | 0644, 0, USER);
        fs.link("/d/f", "/g");
        assertEquals(List.of(), NamespaceVerifier.verify(f.fs.state().engine));
        setNlink("/g", 1);
        setNlink("/d", 3);
        List<String> problems = NamespaceVerifier.verify(f.fs.state().engine);
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("nlink"), problems.toString());
    }

    @Test
    void linkCountMaxIsEmlink() throws Exception {
        fs.mknod("/f", FileMode.S_IFREG | 0644, 0, USER);
        fs.link("/f", "/f2");
        setNlink("/f", FsConstants.LINK_COUNT_MAX);
        assertErrno(Errno.EMLINK, () -> fs.link("/f", "/f3"));
        fs.mkdir("/full", 0755, USER);
        fs.mkdir("/other", 0755, USER);
        fs.mkdir("/other/sub", 0755, USER);
        setNlink("/full", FsConstants.LINK_COUNT_MAX);
        assertErrno(Errno.EMLINK, () -> fs.mkdir("/full/d", 0755, USER));
        assertErrno(Errno.EMLINK, () -> fs.rename("/other/sub", "/full/sub", 0));
        fs.mknod("/full/file", FileMode.S_IFREG | 0644, 0, USER); // files do not count
        fs.rename("/f2", "/full/f2", 0);
    }

    @Test
    void unlinkAndRmdirErrnos() throws Exception {
        fs.mkdir("/d", 0755, USER);
        fs.mknod("/d/f", FileMode.S_IFREG | 0644, 0, USER);
        assertErrno(Errno.EISDIR, () -> fs.unlink("/d"));
        assertErrno(Errno.EISDIR, () -> fs.unlink("/d/."));
        assertErrno(Errno.ENOENT, () -> fs.unlink("/d/g"));
        assertErrno(Errno.ENOTEMPTY, () -> fs.rmdir("/d"));
        assertErrno(Errno.ENOTDIR, () -> fs.rmdir("/d/f"));
        assertErrno(Errno.EBUSY, () -> fs.rmdir("/"));
        assertErrno(Errno.EINVAL, () -> fs.rmdir("/d/."));
        assertErrno(Errno.ENOTEMPTY, () -> fs.rmdir("/d/.."));
        assertErrno(Errno.ENOENT, () -> fs.rmdir("/e"));
        fs.unlink("/d/f");
        assertErrno(Errno.ENOENT, () -> fs.getattr("/d/f"));
        assertEquals(3, fs.getattr("/").nlink());
        fs.rmdir("/d");
        assertEquals(2, fs.getattr("/").nlink());
        assertErrno(Errno.ENOENT, () -> fs.getattr("/d"));
        assertEquals(0, f.fs.orphanCount());
    }

    @Test
    void readdirListsEverythingWithStableOffsets() throws Exception {
        fs.mkdir("/d", 0755, USER);
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            fs.mknod("/d/f" + i, FileMode.S_IFREG | 0644, 0, USER);
            expected.add("f" + i);
        }
        long h = fs.opendir("/d");
        List<DirEntry> all = new ArrayList<>();
        long offset = 0;
        for (int round = 0; round < 1000; round++) {
            List<DirEntry> page = fs.readdir(h, offset, 7);
            if (page.isEmpty()) {
                break;
            }
            all.addAll(page);
            offset = page.get(page.size() - 1).nextOffset();
            if (round == 5) {
                // Entries removed and added mid-listing: the others are listed exactly once.
                fs.unlink("/d/f0");
                fs.unlink("/d/f299");
                expected.remove("f0");
                expected.remove("f299");
            }
        }
        assertEquals(".", all.get(0).name());
        assertEquals("..", all.get(1).name());
        assertEquals(Filesystem.ROOT_INO, all.get(1).ino());
        Set<String> names = new HashSet<>();
        for (DirEntry e : all.subList(2, all.size())) {
            assertTrue(names.add(e.name()), "listed twice: " + e.name());
            assertEquals(FileMode.S_IFREG, e.mode());
        }
        names.remove("f0");
        names.remove("f299");
        assertEquals(expected, names);
        fs.releasedir(h);
        assertErrno(Errno.EBADF, () -> fs.readdir(h, 0, 10));
        assertErrno(Errno.ENOTDIR, () -> fs.opendir("/d/f1"));
    }

    @Test
    void collidingNamesUseProbingAndWhiteouts() throws Exception {
        f.close();
        // Every name hashes to one of two slots: all lookups walk probe chains.
        NameHash weak = name -> name.length % 2;
        f = new FsFixture(FsOptions.defaults().withNameHash(weak), 64L << 20);
        fs = f.fs;
        fs.mkdir("/d", 0755, USER);
        for (int i = 0; i < 60; i++) {
            fs.mknod("/d/n" + i, FileMode.S_IFREG | 0644, 0, USER);
        }
        for (int i = 0; i < 60; i += 3) {
            fs.unlink("/d/n" + i);
        }
        for (int i = 0; i < 60; i++) {
            if (i % 3 == 0) {
                int n = i;
                assertErrno(Errno.ENOENT, () -> fs.getattr("/d/n" + n));
            } else {
                assertTrue(fs.getattr("/d/n" + i).isRegular());
            }
        }
        fs.mknod("/d/n0", FileMode.S_IFREG | 0644, 0, USER);
        assertErrno(Errno.EEXIST, () -> fs.mknod("/d/n1", FileMode.S_IFREG | 0644, 0, USER));
        for (int i = 0; i < 60; i++) {
            if (i % 3 != 0 || i == 0) {
                fs.unlink("/d/n" + i);
            }
        }
        // Every whiteout went with the last entry: the directory is empty and removable.
        fs.rmdir("/d");
        f.fs.setxattr("/", "user.a", new byte[] {1}, 0);
        f.fs.setxattr("/", "user.b", new byte[] {2}, 0);
        f.fs.removexattr("/", "user.a");
        assertEquals(2, f.fs.getxattr("/", "user.b")[0]);
    }

    @Test
    void inodeNumbersNotReusedAndCounted() throws Exception {
        AtomicLong last = new AtomicLong();
        for (int i = 0; i < 5; i++) {
            long ino = fs.mknod("/f" + i, FileMode.S_IFREG | 0644, 0, USER).ino();
            assertTrue(ino > last.get());
            last.set(ino);
            fs.unlink("/f" + i);
        }
        long files = fs.statfs().filesFree();
        fs.mknod("/g", FileMode.S_IFREG | 0644, 0, USER);
        assertEquals(files - 1, fs.statfs().filesFree());
        assertEquals(255, fs.statfs().nameLengthMax());
        f.remount();
        long next = f.fs.mknod("/h", FileMode.S_IFREG | 0644, 0, USER).ino();
        assertTrue(next > fs.getattr("/g").ino() || true);
        assertTrue(next > f.fs.getattr("/g").ino());
    }

    @Test
    void pathsResolveDotsInTheMiddle() throws Exception {
        fs.mkdir("/a", 0755, USER);
        fs.mkdir("/a/b", 0755, USER);
        assertEquals(fs.getattr("/a").ino(), fs.getattr("/a/b/..").ino());
        assertEquals(fs.getattr("/a/b").ino(), fs.getattr("/a/./b/../b").ino());
        assertEquals(fs.getattr("/a").ino(), fs.getattr("//a//").ino());
        assertErrno(Errno.EINVAL, () -> fs.getattr("relative"));
        assertErrno(Errno.ENAMETOOLONG, () -> fs.getattr("/" + "a/".repeat(2100)));
    }
}
