package io.keelfs.fs;

import io.keelfs.engine.Durability;
import io.keelfs.error.Errno;
import io.keelfs.error.FsException;
import io.keelfs.error.KeelException;
import io.keelfs.fs.PathWalk.Dots;
import io.keelfs.fs.PathWalk.Resolved;
import io.keelfs.fs.inode.Inode;
import io.keelfs.txn.Transaction;

/**
 * rename(2) and renameat2's RENAME_NOREPLACE and RENAME_EXCHANGE, each one transaction.
 *
 * <p>Checks, in Linux's order where it matters: flags (EINVAL); "." / ".." / "/" as either
 * name (EBUSY for "/", EINVAL otherwise); source missing (ENOENT); both names one inode
 * (nothing to do); NOREPLACE onto an existing name (EEXIST); EXCHANGE with a missing target
 * (ENOENT); type mismatches of an overwrite (ENOTDIR, EISDIR); a non-empty target directory
 * (ENOTEMPTY); a directory moved into its own subtree (EINVAL, found by walking the target's
 * parents up to the root); a parent that would pass {@link FsConstants#LINK_COUNT_MAX}
 * (EMLINK).
 *
 * <p>Thread-safety: safe for many threads (see {@link FsState}).
 */
final class Renames {
    /** Parent steps of the loop check: a path of PATH_MAX bytes has at most 2048 names. */
    static final int ANCESTORS_MAX = FsConstants.PATH_LENGTH_MAX / 2;

    private final FsState fs;
    private final Namespace namespace;

    Renames(FsState fs, Namespace namespace) {
        this.fs = fs;
        this.namespace = namespace;
    }

    void rename(String from, String to, int flags) throws KeelException {
        int known = FsConstants.RENAME_NOREPLACE | FsConstants.RENAME_EXCHANGE;
        boolean exchange = (flags & FsConstants.RENAME_EXCHANGE) != 0;
        boolean noReplace = (flags & FsConstants.RENAME_NOREPLACE) != 0;
        if ((flags & ~known) != 0 || (exchange && noReplace)) {
            throw new FsException(Errno.EINVAL, from + " -> " + to + ": rename flags 0x"
                    + Integer.toHexString(flags));
        }
        long freed = fs.engine.update(txn -> {
            Resolved a = fs.walk.resolve(txn, from);
            checkNotDots(a);
            if (!a.exists()) {
                throw new FsException(Errno.ENOENT, from + ": no such file or directory");
            }
            Resolved b = fs.walk.resolve(txn, to);
            checkNotDots(b);
            if (b.exists() && b.ino() == a.ino()) {
                if (noReplace) {
                    throw new FsException(Errno.EEXIST, to + ": exists");
                }
                return 0L; // Both names are links of one inode: POSIX says do nothing.
            }
            if (noReplace && b.exists()) {
                throw new FsException(Errno.EEXIST, to + ": exists");
            }
            if (exchange) {
                if (!b.exists()) {
                    throw new FsException(Errno.ENOENT, to + ": no such file or directory");
                }
                exchange(txn, a, b);
                return 0L;
            }
            return move(txn, a, b);
        }, Durability.NO_FLUSH);
        namespace.reapIfLast(freed);
    }

    private static void checkNotDots(Resolved r) throws FsException {
        if (r.dots() == Dots.ROOT) {
            throw new FsException(Errno.EBUSY, r.path() + ": rename of the root");
        }
        if (r.dots() != Dots.NONE) {
            throw new FsException(Errno.EINVAL, r.path() + ": rename of '.' or '..'");
        }
    }

    /** Moves a's inode to b's name, replacing b's inode if any; returns an ino to free or 0. */
    private long move(Transaction txn, Resolved a, Resolved b) throws KeelException {
        InodeSet set = new InodeSet(fs, txn);
        Inode moved = set.get(a.ino(), a.path());
        Inode victim = b.exists() ? set.get(b.ino(), b.path()) : null;
        if (victim != null) {
            if (moved.isDirectory() && !victim.isDirectory()) {
                throw new FsException(Errno.ENOTDIR, b.path() + ": not a directory");
            }
            if (!moved.isDirectory() && victim.isDirectory()) {
                throw new FsException(Errno.EISDIR, b.path() + ": is a directory");
            }
            if (victim.isDirectory() && !fs.dirents.isEmpty(txn, victim.ino())) {
                throw new FsException(Errno.ENOTEMPTY, b.path() + ": directory not empty");
            }
        }
        boolean crossDir = a.parentIno() != b.parentIno();
        if (moved.isDirectory() && crossDir) {
            checkNotAncestor(txn, moved.ino(), b.parentIno(), b.path());
            Inode newParent = set.get(b.parentIno(), b.path());
            if (victim == null && newParent.nlink() >= FsConstants.LINK_COUNT_MAX) {
                throw new FsException(Errno.EMLINK, b.path() + ": parent has "
                        + newParent.nlink() + " links");
            }
        }
        long now = fs.nowNs();
        fs.dirents.remove(txn, a.dirent());
        if (victim != null) {
            fs.dirents.replace(txn, b.dirent(), moved.ino(), moved.mode());
        } else {
            fs.dirents.insert(txn, b.parentIno(), b.name(), moved.ino(), moved.mode());
        }
        set.set(set.get(a.parentIno(), a.path()).modified(now));
        set.set(set.get(b.parentIno(), b.path()).modified(now));
        if (moved.isDirectory() && crossDir) {
            addLinks(set, a.parentIno(), -1, a.path());
            addLinks(set, b.parentIno(), +1, b.path());
        }
        set.set(set.get(moved.ino(), a.path()).withParent(b.parentIno()).changed(now));
        long freed = 0;
        if (victim != null) {
            Inode v = set.get(victim.ino(), b.path());
            Namespace.checkLinked(v, b.path());
            long nlink = v.isDirectory() ? 0 : v.nlink() - 1;
            if (v.isDirectory()) {
                addLinks(set, b.parentIno(), -1, b.path());
            }
            set.set(v.withNlink(nlink).changed(now));
            if (nlink == 0) {
                Orphans.add(txn, v.ino());
                freed = v.ino();
            }
        }
        set.writeAll();
        return freed;
    }

    /** Swaps the inodes of two existing names. */
    private void exchange(Transaction txn, Resolved a, Resolved b) throws KeelException {
        InodeSet set = new InodeSet(fs, txn);
        Inode ia = set.get(a.ino(), a.path());
        Inode ib = set.get(b.ino(), b.path());
        boolean crossDir = a.parentIno() != b.parentIno();
        if (crossDir && ia.isDirectory()) {
            checkNotAncestor(txn, ia.ino(), b.parentIno(), b.path());
        }
        if (crossDir && ib.isDirectory()) {
            checkNotAncestor(txn, ib.ino(), a.parentIno(), a.path());
        }
        if (crossDir && ia.isDirectory() != ib.isDirectory()) {
            long gaining = ia.isDirectory() ? b.parentIno() : a.parentIno();
            Inode g = set.get(gaining, b.path());
            if (g.nlink() >= FsConstants.LINK_COUNT_MAX) {
                throw new FsException(Errno.EMLINK, a.path() + " <-> " + b.path()
                        + ": a parent has " + g.nlink() + " links");
            }
            addLinks(set, gaining, +1, b.path());
            addLinks(set, gaining == a.parentIno() ? b.parentIno() : a.parentIno(), -1,
                    a.path());
        }
        long now = fs.nowNs();
        fs.dirents.replace(txn, a.dirent(), ib.ino(), ib.mode());
        fs.dirents.replace(txn, b.dirent(), ia.ino(), ia.mode());
        set.set(set.get(a.parentIno(), a.path()).modified(now));
        set.set(set.get(b.parentIno(), b.path()).modified(now));
        set.set(set.get(ia.ino(), a.path()).withParent(b.parentIno()).changed(now));
        set.set(set.get(ib.ino(), b.path()).withParent(a.parentIno()).changed(now));
        set.writeAll();
    }

    private static void addLinks(InodeSet set, long ino, long delta, String what)
            throws KeelException {
        Inode i = set.get(ino, what);
        set.set(i.withNlink(i.nlink() + delta));
    }

    /**
     * EINVAL when {@code dirIno} is {@code newParentIno} or one of its ancestors: the move
     * would cut the subtree off the root. Walks parent pointers, at most ANCESTORS_MAX steps.
     */
    private void checkNotAncestor(Transaction txn, long dirIno, long newParentIno, String path)
            throws KeelException {
        long cur = newParentIno;
        for (int i = 0; i < ANCESTORS_MAX; i++) {
            if (cur == dirIno) {
                throw new FsException(Errno.EINVAL, path + ": would move a directory into"
                        + " its own subtree");
            }
            if (cur == Filesystem.ROOT_INO) {
                return;
            }
            cur = fs.inodes.get(txn, cur, path).parentIno();
        }
        throw new FsException(Errno.ELOOP, path + ": more than " + ANCESTORS_MAX
                + " parent directories");
    }
}
