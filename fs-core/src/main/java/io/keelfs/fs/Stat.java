package io.keelfs.fs;

/**
 * What stat(2) reports about one inode.
 *
 * @param mode file type bits ({@link FileMode}) and permission bits
 * @param rdev device number of a character or block device node, else 0
 * @param sizeBytes i_size
 * @param blocks512 space used by data, in 512-byte units (st_blocks)
 * @param atimeNs access time, ns since the epoch (likewise mtime, ctime and btime)
 */
public record Stat(
        long ino, int mode, long nlink, long uid, long gid, long rdev, long sizeBytes,
        long blocks512, long atimeNs, long mtimeNs, long ctimeNs, long btimeNs,
        int blockSizeBytes) {

    public boolean isDirectory() {
        return FileMode.isDirectory(mode);
    }

    public boolean isRegular() {
        return FileMode.isRegular(mode);
    }

    public boolean isSymlink() {
        return FileMode.isSymlink(mode);
    }
}
