package io.keelfs.fs;

import io.keelfs.error.Errno;
import io.keelfs.error.FsException;
import io.keelfs.error.KeelException;
import io.keelfs.fs.inode.Inode;
import io.keelfs.fs.inode.InodeTable;
import io.keelfs.fs.names.Dirent;
import io.keelfs.fs.names.Dirents;
import io.keelfs.txn.Transaction;
import java.nio.charset.StandardCharsets;

/**
 * Resolves absolute paths to (parent directory, last name, dirent) inside a transaction.
 * Symlinks are not followed (the kernel does that before FUSE); "." and ".." in the middle of a
 * path are resolved through each directory's parent; as the last component they are reported
 * as {@link Resolved#dots} so each operation can refuse them as Linux does.
 *
 * <p>Thread-safety: stateless; runs inside the caller's transaction.
 */
final class PathWalk {
    /** Components of one path: a path is at most PATH_MAX bytes, so at most half are names. */
    static final int COMPONENTS_MAX = FsConstants.PATH_LENGTH_MAX / 2;

    /** What the last component is. */
    enum Dots { NONE, DOT, DOTDOT, ROOT }

    /**
     * @param parentIno directory holding the last component (for "/": the root)
     * @param name the last component's bytes (empty for ROOT)
     * @param dirent its entry, or null when absent or when {@code dots} is not NONE
     * @param ino the inode the path names, or 0 when absent
     */
    record Resolved(String path, long parentIno, byte[] name, Dots dots, Dirent dirent,
            long ino) {
        boolean exists() {
            return ino != 0;
        }
    }

    private final InodeTable inodes;
    private final Dirents dirents;

    PathWalk(InodeTable inodes, Dirents dirents) {
        this.inodes = inodes;
        this.dirents = dirents;
    }

    Resolved resolve(Transaction txn, String path) throws KeelException {
        if (path == null || !path.startsWith("/")) {
            throw new FsException(Errno.EINVAL, "path '" + path + "' is not absolute");
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > FsConstants.PATH_LENGTH_MAX) {
            throw new FsException(Errno.ENAMETOOLONG, "path of more than "
                    + FsConstants.PATH_LENGTH_MAX + " bytes: " + path.substring(0, 64) + "...");
        }
        String[] parts = path.split("/");
        int last = parts.length - 1;
        while (last >= 0 && parts[last].isEmpty()) {
            last--;
        }
        long dir = Filesystem.ROOT_INO;
        if (last < 0) {
            return new Resolved(path, dir, new byte[0], Dots.ROOT, null, dir);
        }
        for (int i = 0; i < last; i++) {
            if (parts[i].isEmpty() || parts[i].equals(".")) {
                continue;
            }
            Inode d = inodes.get(txn, dir, path);
            if (!d.isDirectory()) {
                throw new FsException(Errno.ENOTDIR, path + ": a component is not a directory");
            }
            if (parts[i].equals("..")) {
                dir = d.parentIno();
                continue;
            }
            Dirent e = dirents.lookup(txn, dir, nameBytes(parts[i], path));
            if (e == null) {
                throw new FsException(Errno.ENOENT, path + ": no " + parts[i]);
            }
            dir = e.childIno();
        }
        Inode parent = inodes.get(txn, dir, path);
        if (!parent.isDirectory()) {
            throw new FsException(Errno.ENOTDIR, path + ": a component is not a directory");
        }
        String lastName = parts[last];
        if (lastName.equals(".")) {
            return new Resolved(path, dir, new byte[] {'.'}, Dots.DOT, null, dir);
        }
        if (lastName.equals("..")) {
            return new Resolved(path, dir, new byte[] {'.', '.'}, Dots.DOTDOT, null,
                    parent.parentIno());
        }
        byte[] name = nameBytes(lastName, path);
        Dirent e = dirents.lookup(txn, dir, name);
        return new Resolved(path, dir, name, Dots.NONE, e, e == null ? 0 : e.childIno());
    }

    /** Like {@link #resolve} but the path must exist (ENOENT). */
    Resolved existing(Transaction txn, String path) throws KeelException {
        Resolved r = resolve(txn, path);
        if (!r.exists()) {
            throw new FsException(Errno.ENOENT, path + ": no such file or directory");
        }
        return r;
    }

    static byte[] nameBytes(String name, String path) throws FsException {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        if (b.length > FsConstants.NAME_LENGTH_MAX) {
            throw new FsException(Errno.ENAMETOOLONG, path + ": a name of " + b.length
                    + " bytes exceeds " + FsConstants.NAME_LENGTH_MAX);
        }
        return b;
    }
}
