package io.keelfs.fs;

import io.keelfs.engine.Durability;
import io.keelfs.error.Errno;
import io.keelfs.error.FsException;
import io.keelfs.error.KeelException;
import io.keelfs.fs.PathWalk.Resolved;
import io.keelfs.fs.inode.Inode;
import io.keelfs.fs.xattr.Xattrs;
import java.util.List;

/**
 * Attribute changes of one inode named by a path: chmod, chown, utimens and xattrs. Each
 * change sets ctime (utimens too, as Linux does) in the same transaction.
 *
 * <p>chown of a non-directory clears setuid, and setgid when group-execute is set (Linux's
 * rule for a caller without CAP_FSETID; we do not know the caller, so we always clear, as
 * ext4 does for unprivileged callers). chmod keeps the bits it is given.
 *
 * <p>Thread-safety: safe for many threads (see {@link FsState}).
 */
final class Attrs {
    private final FsState fs;

    Attrs(FsState fs) {
        this.fs = fs;
    }

    @FunctionalInterface
    private interface Change {
        Inode apply(Inode inode, long nowNs) throws KeelException;
    }

    private void change(String path, Change change) throws KeelException {
        fs.engine.update(txn -> {
            Resolved r = fs.walk.existing(txn, path);
            Inode inode = fs.inodes.get(txn, r.ino(), path);
            Inode next = change.apply(inode, fs.nowNs());
            if (next != inode) {
                fs.inodes.put(txn, next);
            }
            return null;
        }, Durability.NO_FLUSH);
    }

    void chmod(String path, int mode) throws KeelException {
        change(path, (i, now) -> i.withMode(FileMode.type(i.mode())
                | (mode & FileMode.PERMISSION_MASK)).changed(now));
    }

    void chown(String path, long uid, long gid) throws KeelException {
        checkId(uid, path);
        checkId(gid, path);
        change(path, (i, now) -> {
            if (uid == FsConstants.ID_UNCHANGED && gid == FsConstants.ID_UNCHANGED) {
                return i.changed(now);
            }
            long u = uid == FsConstants.ID_UNCHANGED ? i.uid() : uid;
            long g = gid == FsConstants.ID_UNCHANGED ? i.gid() : gid;
            int mode = i.mode();
            if (!i.isDirectory()) {
                mode &= ~FileMode.S_ISUID;
                if ((mode & 0010) != 0) {
                    mode &= ~FileMode.S_ISGID;
                }
            }
            return i.withOwner(u, g).withMode(mode).changed(now);
        });
    }

    private static void checkId(long id, String path) throws FsException {
        if (id != FsConstants.ID_UNCHANGED && (id < 0 || id > 0xffff_ffffL)) {
            throw new FsException(Errno.EINVAL, path + ": id " + id + " not 32-bit");
        }
    }

    void utimens(String path, long atimeNs, long mtimeNs) throws KeelException {
        if (atimeNs == FsConstants.UTIME_OMIT && mtimeNs == FsConstants.UTIME_OMIT) {
            fs.engine.read(txn -> fs.walk.existing(txn, path));
            return;
        }
        change(path, (i, now) -> i.withTimes(pick(atimeNs, i.atimeNs(), now),
                pick(mtimeNs, i.mtimeNs(), now), now));
    }

    private static long pick(long given, long current, long now) {
        if (given == FsConstants.UTIME_NOW) {
            return now;
        }
        return given == FsConstants.UTIME_OMIT ? current : given;
    }

    void setxattr(String path, String name, byte[] value, int flags) throws KeelException {
        int known = FsConstants.XATTR_CREATE | FsConstants.XATTR_REPLACE;
        if ((flags & ~known) != 0 || flags == known) {
            throw new FsException(Errno.EINVAL, path + ": setxattr flags 0x"
                    + Integer.toHexString(flags));
        }
        if (name.equals(FsConstants.XATTR_DROP_CACHES) && path.equals("/")) {
            fs.engine.dropCaches();
            return;
        }
        byte[] n = Xattrs.checkName(name, path);
        fs.engine.update(txn -> {
            Resolved r = fs.walk.existing(txn, path);
            Inode inode = fs.inodes.get(txn, r.ino(), path);
            fs.xattrs.set(txn, inode.ino(), n, value, flags, path);
            fs.inodes.put(txn, inode.changed(fs.nowNs()));
            return null;
        }, Durability.NO_FLUSH);
    }

    byte[] getxattr(String path, String name) throws KeelException {
        byte[] n = Xattrs.checkName(name, path);
        return fs.engine.read(txn -> fs.xattrs.get(txn, fs.walk.existing(txn, path).ino(), n,
                path));
    }

    List<String> listxattr(String path) throws KeelException {
        return fs.engine.read(txn -> fs.xattrs.list(txn, fs.walk.existing(txn, path).ino()));
    }

    void removexattr(String path, String name) throws KeelException {
        byte[] n = Xattrs.checkName(name, path);
        fs.engine.update(txn -> {
            Resolved r = fs.walk.existing(txn, path);
            Inode inode = fs.inodes.get(txn, r.ino(), path);
            fs.xattrs.remove(txn, inode.ino(), n, path);
            fs.inodes.put(txn, inode.changed(fs.nowNs()));
            return null;
        }, Durability.NO_FLUSH);
    }
}
