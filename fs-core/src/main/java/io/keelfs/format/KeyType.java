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
    public static final int EXTENT = 6;
    public static final int ALLOC = 27;
    public static final int SET = 25;
    public static final int BACKPOINTER = 28;

    private KeyType() {}
}
