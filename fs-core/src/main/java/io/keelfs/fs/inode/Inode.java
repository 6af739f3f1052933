package io.keelfs.fs.inode;

import io.keelfs.fs.FileMode;
import io.keelfs.fs.Stat;

/**
 * One inode as the filesystem keeps it in {@link io.keelfs.format.BtreeId#INODES} at
 * (ino, 0, 0). Immutable: updates make a new value with the {@code with...} methods.
 *
 * @param mode file type and permission bits ({@link FileMode})
 * @param nlink hard links; a directory has 2 + its subdirectories (ext4). 0 while an unlinked
 *     inode is still open (it is then in the orphans btree)
 * @param sizeBytes i_size; a directory reports {@link #DIRECTORY_SIZE_BYTES}
 * @param usedBytes data space the file's extents take (st_blocks * 512)
 * @param atimeNs access time, ns since the epoch (likewise mtime, ctime, btime)
 * @param flags {@link #FLAG_SIZE_DIRTY}
 * @param parentIno the directory holding this inode's (latest) dirent: ".." of a directory
 */
public record Inode(
        long ino, int mode, long uid, long gid, long nlink, long rdev, long sizeBytes,
        long usedBytes, long atimeNs, long mtimeNs, long ctimeNs, long btimeNs, long flags,
        long parentIno) {
    /** A truncate set i_size but has not yet punched everything past it (see Orphans). */
    public static final long FLAG_SIZE_DIRTY = 1;
    public static final long FLAGS_KNOWN = FLAG_SIZE_DIRTY;
    /** What stat reports as a directory's size (ext4 reports its block count; we fix one). */
    public static final long DIRECTORY_SIZE_BYTES = 4096;

    public Inode {
        if (ino <= 0) {
            throw new IllegalArgumentException("inode number " + ino + " not positive");
        }
        if (nlink < 0 || sizeBytes < 0 || usedBytes < 0) {
            throw new IllegalArgumentException(String.format(
                    "inode %d: nlink %d size %d used %d must not be negative",
                    ino, nlink, sizeBytes, usedBytes));
        }
    }

    /** A fresh inode: every time {@code nowNs}, no data. */
    public static Inode create(long ino, int mode, long uid, long gid, long nlink, long rdev,
            long parentIno, long nowNs) {
        long size = FileMode.isDirectory(mode) ? DIRECTORY_SIZE_BYTES : 0;
        return new Inode(ino, mode, uid, gid, nlink, rdev, size, 0, nowNs, nowNs, nowNs, nowNs,
                0, parentIno);
    }

    public boolean isDirectory() {
        return FileMode.isDirectory(mode);
    }

    public boolean isRegular() {
        return FileMode.isRegular(mode);
    }

    public boolean isSymlink() {
        return FileMode.isSymlink(mode);
    }

    public Inode withMode(int value) {
        return new Inode(ino, value, uid, gid, nlink, rdev, sizeBytes, usedBytes, atimeNs,
                mtimeNs, ctimeNs, btimeNs, flags, parentIno);
    }

    public Inode withOwner(long newUid, long newGid) {
        return new Inode(ino, mode, newUid, newGid, nlink, rdev, sizeBytes, usedBytes, atimeNs,
                mtimeNs, ctimeNs, btimeNs, flags, parentIno);
    }

    public Inode withNlink(long value) {
        return new Inode(ino, mode, uid, gid, value, rdev, sizeBytes, usedBytes, atimeNs,
                mtimeNs, ctimeNs, btimeNs, flags, parentIno);
    }

    public Inode withSize(long value) {
        return new Inode(ino, mode, uid, gid, nlink, rdev, value, usedBytes, atimeNs,
                mtimeNs, ctimeNs, btimeNs, flags, parentIno);
    }

    /** Adds a (possibly negative) change to the bytes used, never below 0. */
    public Inode withUsedDelta(long deltaBytes) {
        return new Inode(ino, mode, uid, gid, nlink, rdev, sizeBytes,
                Math.max(0, usedBytes + deltaBytes), atimeNs, mtimeNs, ctimeNs, btimeNs, flags,
                parentIno);
    }

    public Inode withTimes(long newAtimeNs, long newMtimeNs, long newCtimeNs) {
        return new Inode(ino, mode, uid, gid, nlink, rdev, sizeBytes, usedBytes, newAtimeNs,
                newMtimeNs, newCtimeNs, btimeNs, flags, parentIno);
    }

    /** mtime and ctime set to now: a change of contents (data, or a directory's entries). */
    public Inode modified(long nowNs) {
        return withTimes(atimeNs, nowNs, nowNs);
    }

    /** ctime set to now: a change of metadata only. */
    public Inode changed(long nowNs) {
        return withTimes(atimeNs, mtimeNs, nowNs);
    }

    public Inode withFlags(long value) {
        return new Inode(ino, mode, uid, gid, nlink, rdev, sizeBytes, usedBytes, atimeNs,
                mtimeNs, ctimeNs, btimeNs, value, parentIno);
    }

    public Inode withParent(long value) {
        return new Inode(ino, mode, uid, gid, nlink, rdev, sizeBytes, usedBytes, atimeNs,
                mtimeNs, ctimeNs, btimeNs, flags, value);
    }

    public Stat toStat(int blockSizeBytes) {
        return new Stat(ino, mode, nlink, uid, gid, rdev, sizeBytes,
                (usedBytes + 511) / 512, atimeNs, mtimeNs, ctimeNs, btimeNs,
                blockSizeBytes);
    }

    public void appendTo(StringBuilder out) {
        out.append("inode ").append(ino).append(" mode ").append(Integer.toOctalString(mode))
                .append(" nlink ").append(nlink).append(" size ").append(sizeBytes)
                .append(" used ").append(usedBytes).append(" parent ").append(parentIno)
                .append(" flags ").append(flags);
    }
}
