package io.keelfs.fs;

import static io.keelfs.fs.FsAsserts.assertErrno;
import static io.keelfs.fs.FsFixture.USER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keelfs.error.Errno;
import io.keelfs.format.Bkey;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** xattrs: namespaces, flags, sizes and limits, removal, persistence, ctime. */
class KeelFilesystemXattrTest {
    private FsFixture f;
    private Filesystem fs;

    @BeforeEach
    void setUp() throws Exception {
        f = FsFixture.create();
        fs = f.fs;
        fs.mknod("/f", FileMode.S_IFREG | 0644, 0, USER);
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    @Test
    void setGetListRemove() throws Exception {
        fs.setxattr("/f", "user.a", new byte[] {1, 2}, 0);
        fs.setxattr("/f", "trusted.b", new byte[0], 0);
        fs.setxattr("/f", "security.c", new byte[] {3}, 0);
        assertArrayEquals(new byte[] {1, 2}, fs.getxattr("/f", "user.a"));
        assertArrayEquals(new byte[0], fs.getxattr("/f", "trusted.b"));
        assertEquals(Set.of("user.a", "trusted.b", "security.c"),
                new TreeSet<>(fs.listxattr("/f")));
        fs.setxattr("/f", "user.a", new byte[] {9}, 0);
        assertArrayEquals(new byte[] {9}, fs.getxattr("/f", "user.a"));
        fs.removexattr("/f", "user.a");
        assertErrno(Errno.ENODATA, () -> fs.getxattr("/f", "user.a"));
        f.remount();
        assertEquals(Set.of("trusted.b", "security.c"), new TreeSet<>(f.fs.listxattr("/f")));
        assertEquals(List.of(), f.fs.listxattr("/"));
    }

    @Test
    void flags() throws Exception {
        assertErrno(Errno.ENODATA, () -> fs.setxattr("/f", "user.a", new byte[1],
                FsConstants.XATTR_REPLACE));
        fs.setxattr("/f", "user.a", new byte[1], FsConstants.XATTR_CREATE);
        assertErrno(Errno.EEXIST, () -> fs.setxattr("/f", "user.a", new byte[1],
                FsConstants.XATTR_CREATE));
        fs.setxattr("/f", "user.a", new byte[] {7}, FsConstants.XATTR_REPLACE);
        assertArrayEquals(new byte[] {7}, fs.getxattr("/f", "user.a"));
        assertErrno(Errno.EINVAL, () -> fs.setxattr("/f", "user.a", new byte[1], 3));
    }

    @Test
    void namesAndSizes() throws Exception {
        assertErrno(Errno.EOPNOTSUPP, () -> fs.setxattr("/f", "system.x", new byte[1], 0));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.setxattr("/f", "other", new byte[1], 0));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.getxattr("/f", "os2.x"));
        assertErrno(Errno.ERANGE, () -> fs.setxattr("/f", "user." + "n".repeat(251),
                new byte[1], 0));
        assertErrno(Errno.ERANGE, () -> fs.setxattr("/f", "", new byte[1], 0));
        String longest = "user." + "n".repeat(250);
        int valueMax = Bkey.VALUE_BYTES_MAX - 1 - longest.length();
        fs.setxattr("/f", longest, new byte[valueMax], 0);
        assertEquals(valueMax, fs.getxattr("/f", longest).length);
        assertErrno(Errno.E2BIG, () -> fs.setxattr("/f", longest, new byte[valueMax + 1], 0));
        assertErrno(Errno.E2BIG, () -> fs.setxattr("/f", "user.s",
                new byte[Bkey.VALUE_BYTES_MAX - 6], 0));
        fs.setxattr("/f", "user.s", new byte[Bkey.VALUE_BYTES_MAX - 7], 0);
        assertErrno(Errno.ENODATA, () -> fs.removexattr("/f", "user.none"));
        assertErrno(Errno.ENOENT, () -> fs.setxattr("/none", "user.a", new byte[1], 0));
    }

    @Test
    void setxattrSetsCtimeAndGoesWithTheInode() throws Exception {
        long[] now = {100};
        f.close();
        f = new FsFixture(FsOptions.defaults().withClockNs(() -> now[0]), 64L << 20);
        fs = f.fs;
        fs.mknod("/f", FileMode.S_IFREG | 0644, 0, USER);
        now[0] = 200;
        fs.setxattr("/f", "user.a", new byte[] {1}, 0);
        assertEquals(200, fs.getattr("/f").ctimeNs());
        assertEquals(100, fs.getattr("/f").mtimeNs());
        for (int i = 0; i < 100; i++) {
            fs.setxattr("/f", "user.x" + i, new byte[] {(byte) i}, 0);
        }
        fs.unlink("/f");
        fs.mknod("/g", FileMode.S_IFREG | 0644, 0, USER);
        assertEquals(List.of(), fs.listxattr("/g"));
        fs.mkdir("/d", 0755, USER);
        fs.setxattr("/d", "user.dir", new byte[] {5}, 0);
        assertArrayEquals(new byte[] {5}, fs.getxattr("/d", "user.dir"));
    }
}
