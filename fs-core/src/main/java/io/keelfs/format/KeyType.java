package io.keelfs.format;

/** On-disk key type numbers. Values never change meaning; add new ones at the end. */
public final class KeyType {
    public static final int DELETED = 0;
    /** An opaque value, for engine tests and benchmarks. */
    public static final int BLOB = 1;
    public static final int BTREE_PTR = 2;
    public static final int INODE = 8;
    public static final int DIRENT = 10;
    public static final int XATTR = 11;
    /** A removed dirent or xattr inside a probe chain of hashed names (keeps the chain whole). */
    public static final int HASH_WHITEOUT = 12;
    /** A symlink's target, in the xattrs btree at (ino, 0, 0). */
    public static final int SYMLINK = 13;
    /** Filesystem-wide counters (inode count), in the inodes btree at (0, 0, 0). */
    public static final int FS_COUNTERS = 14;
    /** An entry of the orphans btree. */
    public static final int ORPHAN = 15;
    public static final int EXTENT = 6;
    public static final int ALLOC = 27;
    public static final int SET = 25;
    public static final int BACKPOINTER = 28;
    /**
     * Space reserved by fallocate for a file range not yet written (bcachefs
     * {@code KEY_TYPE_reservation}), in the extents btree; reads as zeros.
     */
    public static final int RESERVATION = 29;
    /** File data counters (bytes reserved by fallocate), in the extents btree at (0, 0, 0). */
    public static final int DATA_COUNTERS = 30;

    private KeyType() {}
}
