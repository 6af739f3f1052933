package io.keelfs.fs;

import io.keelfs.engine.Durability;
import io.keelfs.error.Errno;
import io.keelfs.error.FsException;
import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import io.keelfs.fs.PathWalk.Dots;
import io.keelfs.fs.PathWalk.Resolved;
import io.keelfs.fs.inode.Inode;
import io.keelfs.fs.xattr.Xattrs;
import io.keelfs.txn.Transaction;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.Lock;

/**
 * Namespace operations that create and remove names: mknod, mkdir, symlink, link, unlink,
 * rmdir. Each is one engine transaction: resolve, check (Linux errno), update dirents, inodes
 * and the orphans btree; an inode whose nlink reaches 0 is then freed by {@link Orphans} unless
 * a handle has it open. Rename lives in {@link Renames}, attribute changes in {@link Attrs}.
 *
 * <p>Link counts are ext4's: a file has one per name, a directory 2 + its subdirectories.
 *
 * <p>Thread-safety: safe for many threads (see {@link FsState}).
 */
final class Namespace {
    private final FsState fs;
    private final Orphans orphans;

    Namespace(FsState fs, Orphans orphans) {
        this.fs = fs;
        this.orphans = orphans;
    }

    Inode mknod(String path, int mode, long rdev, Caller caller) throws KeelException {
        if (FileMode.isDirectory(mode)) {
            throw new FsException(Errno.EPERM, path + ": mknod of a directory");
        }
        if (!FileMode.isMknodType(mode)) {
            throw new FsException(Errno.EINVAL, path + ": mknod of file type 0"
                    + Integer.toOctalString(FileMode.type(mode)));
        }
        int t = FileMode.type(mode);
        long dev = t == FileMode.S_IFCHR || t == FileMode.S_IFBLK ? rdev : 0;
        return fs.engine.update(txn -> create(txn, fs.walk.resolve(txn, path), mode, dev,
                caller), Durability.NO_FLUSH);
    }

    Inode mkdir(String path, int mode, Caller caller) throws KeelException {
        int m = FileMode.S_IFDIR | (mode & FileMode.PERMISSION_MASK);
        return fs.engine.update(txn -> create(txn, fs.walk.resolve(txn, path), m, 0, caller),
                Durability.NO_FLUSH);
    }

    Inode symlink(String target, String linkPath, Caller caller) throws KeelException {
        byte[] t = target.getBytes(StandardCharsets.UTF_8);
        if (t.length == 0) {
            throw new FsException(Errno.ENOENT, linkPath + ": empty symlink target");
        }
        if (t.length > fs.xattrs.symlinkBytesMax()) {
            throw new FsException(Errno.ENAMETOOLONG, linkPath + ": symlink target of "
                    + t.length + " bytes exceeds " + fs.xattrs.symlinkBytesMax());
        }
        return fs.engine.update(txn -> {
            Inode made = create(txn, fs.walk.resolve(txn, linkPath), FileMode.S_IFLNK | 0777,
                    0, caller);
            Inode sized = made.withSize(t.length);
            fs.inodes.put(txn, sized);
            Xattrs.putSymlink(txn, made.ino(), t);
            return sized;
        }, Durability.NO_FLUSH);
    }

    /**
     * Creates an inode of {@code mode} under the resolved name (EEXIST if the name is taken,
     * EMLINK if a new subdirectory would overflow the parent's link count). A setgid parent
     * passes on its group (and, to directories, its setgid bit).
     */
    Inode create(Transaction txn, Resolved r, int mode, long rdev, Caller caller)
            throws KeelException {
        if (r.dots() != Dots.NONE || r.exists()) {
            throw new FsException(Errno.EEXIST, r.path() + ": exists");
        }
        Inode parent = fs.inodes.get(txn, r.parentIno(), r.path());
        if (parent.nlink() == 0) {
            throw new FsException(Errno.ENOENT, r.path() + ": parent directory was removed");
        }
        boolean dir = FileMode.isDirectory(mode);
        if (dir && parent.nlink() >= FsConstants.LINK_COUNT_MAX) {
            throw new FsException(Errno.EMLINK, r.path() + ": parent has "
                    + parent.nlink() + " links");
        }
        long gid = caller.gid();
        int m = mode;
        if ((parent.mode() & FileMode.S_ISGID) != 0) {
            gid = parent.gid();
            if (dir) {
                m |= FileMode.S_ISGID;
            }
        }
        long now = fs.nowNs();
        Inode child = Inode.create(fs.inodes.allocate(), m, caller.uid(), gid, dir ? 2 : 1,
                rdev, r.parentIno(), now);
        fs.inodes.insertNew(txn, child);
        fs.dirents.insert(txn, r.parentIno(), r.name(), child.ino(), m);
        Inode p = parent.modified(now);
        fs.inodes.put(txn, dir ? p.withNlink(p.nlink() + 1) : p);
        return child;
    }

    Inode link(String existing, String newPath) throws KeelException {
        return fs.engine.update(txn -> {
            Resolved src = fs.walk.existing(txn, existing);
            Inode inode = fs.inodes.get(txn, src.ino(), existing);
            if (inode.isDirectory()) {
                throw new FsException(Errno.EPERM, existing + ": hard link to a directory");
            }
            if (inode.nlink() >= FsConstants.LINK_COUNT_MAX) {
                throw new FsException(Errno.EMLINK, existing + ": has " + inode.nlink()
                        + " links");
            }
            Resolved dst = fs.walk.resolve(txn, newPath);
            if (dst.dots() != Dots.NONE || dst.exists()) {
                throw new FsException(Errno.EEXIST, newPath + ": exists");
            }
            long now = fs.nowNs();
            fs.dirents.insert(txn, dst.parentIno(), dst.name(), inode.ino(), inode.mode());
            InodeSet set = new InodeSet(fs, txn);
            set.set(set.get(dst.parentIno(), newPath).modified(now));
            Inode linked = set.get(inode.ino(), existing);
            linked = linked.withNlink(linked.nlink() + 1).changed(now);
            set.set(linked);
            set.writeAll();
            return linked;
        }, Durability.NO_FLUSH);
    }

    void unlink(String path) throws KeelException {
        Lock[] held = new Lock[1];
        long freed;
        try {
            freed = unlinkTxn(path, held);
        } finally {
            if (held[0] != null) {
                held[0].unlock();
            }
        }
        reapIfLast(freed);
    }

    private long unlinkTxn(String path, Lock[] held) throws KeelException {
        return fs.engine.update(txn -> {
            Resolved r = fs.walk.resolve(txn, path);
            if (r.dots() != Dots.NONE) {
                throw new FsException(Errno.EISDIR, path + ": is a directory");
            }
            if (!r.exists()) {
                throw new FsException(Errno.ENOENT, path + ": no such file or directory");
            }
            Inode child = fs.inodes.get(txn, r.ino(), path);
            if (child.isDirectory()) {
                throw new FsException(Errno.EISDIR, path + ": is a directory");
            }
            return removeName(txn, r, child, held);
        }, Durability.NO_FLUSH);
    }

    void rmdir(String path) throws KeelException {
        long freed = fs.engine.update(txn -> {
            Resolved r = fs.walk.resolve(txn, path);
            switch (r.dots()) {
                case ROOT -> throw new FsException(Errno.EBUSY, path + ": is the root");
                case DOT -> throw new FsException(Errno.EINVAL, path + ": rmdir of '.'");
                case DOTDOT -> throw new FsException(Errno.ENOTEMPTY, path + ": rmdir of '..'");
                default -> { }
            }
            if (!r.exists()) {
                throw new FsException(Errno.ENOENT, path + ": no such file or directory");
            }
            Inode child = fs.inodes.get(txn, r.ino(), path);
            if (!child.isDirectory()) {
                throw new FsException(Errno.ENOTDIR, path + ": not a directory");
            }
            if (!fs.dirents.isEmpty(txn, child.ino())) {
                throw new FsException(Errno.ENOTEMPTY, path + ": directory not empty");
            }
            return removeName(txn, r, child, null);
        }, Durability.NO_FLUSH);
        reapIfLast(freed);
    }

    /**
     * Removes the resolved name of {@code child} and drops a link (a directory drops to 0 and
     * its parent loses one). Returns the inode number if its nlink reached 0 and it is left
     * in the orphans btree, else 0.
     *
     * <p>With {@code held}, an inode whose last link goes and that nothing has open is freed
     * in this same transaction when one bounded {@link Orphans#reapStep} finishes it (an
     * empty or small file): one commit per unlink instead of two, and no orphan key written
     * and deleted. That needs the inode's lock (the FileData contract: nothing else may punch
     * or write it meanwhile), taken with tryLock (never wait inside a transaction) into
     * {@code held}, which the caller unlocks after the transaction.
     */
    private long removeName(Transaction txn, Resolved r, Inode child, Lock[] held)
            throws KeelException {
        checkLinked(child, r.path());
        long now = fs.nowNs();
        fs.dirents.remove(txn, r.dirent());
        Inode parent = fs.inodes.get(txn, r.parentIno(), r.path()).modified(now);
        if (child.isDirectory()) {
            parent = parent.withNlink(parent.nlink() - 1);
        }
        fs.inodes.put(txn, parent);
        long nlink = child.isDirectory() ? 0 : child.nlink() - 1;
        fs.inodes.put(txn, child.withNlink(nlink).changed(now));
        if (nlink == 0) {
            Orphans.add(txn, child.ino());
            if (held != null && !fs.handles.isOpen(child.ino()) && lockFor(child.ino(), held)
                    && orphans.reapStep(txn, child.ino())) {
                return 0;
            }
            return child.ino();
        }
        return 0;
    }

    /** Holds {@code ino}'s lock in {@code held} if free (or held already); never waits. */
    private boolean lockFor(long ino, Lock[] held) {
        Lock lock = fs.inodeLock(ino);
        if (held[0] != null) {
            // The engine ran the body again: keep what the first run took.
            return held[0] == lock;
        }
        if (lock.tryLock()) {
            held[0] = lock;
            return true;
        }
        return false;
    }

    /**
     * A dirent names {@code inode}, so its nlink must be at least 1: otherwise the metadata is
     * inconsistent (tier 2): refuse with a typed error naming the inode, never underflow.
     */
    static void checkLinked(Inode inode, String path) throws InconsistentException {
        if (inode.nlink() <= 0) {
            throw new InconsistentException(path + ": inode " + inode.ino() + " is named by a"
                    + " dirent but has nlink " + inode.nlink() + "; run keelfs fsck");
        }
    }

    /** After a commit that dropped an inode's last link: free it unless it is open. */
    void reapIfLast(long ino) throws KeelException {
        if (ino != 0 && !fs.handles.isOpen(ino)) {
            orphans.reapIfUnused(ino);
        }
    }

    String readlink(String path) throws KeelException {
        return fs.engine.read(txn -> {
            Resolved r = fs.walk.existing(txn, path);
            Inode inode = fs.inodes.get(txn, r.ino(), path);
            if (!inode.isSymlink()) {
                throw new FsException(Errno.EINVAL, path + ": not a symlink");
            }
            return new String(Xattrs.symlink(txn, inode.ino()), StandardCharsets.UTF_8);
        });
    }
}
