package io.keelfs.fs;

/** Flag values of rename, setxattr, fallocate and utimens (Linux values) and fixed limits. */
public final class FsConstants {
    /** renameat2 flags. */
    public static final int RENAME_NOREPLACE = 1;
    public static final int RENAME_EXCHANGE = 2;
    /** setxattr flags. */
    public static final int XATTR_CREATE = 1;
    public static final int XATTR_REPLACE = 2;
    /**
     * A control, not an xattr: setting it (any value) on the root directory writes back and
     * drops the filesystem's in-process caches ({@link io.keelfs.engine.Engine#dropCaches}),
     * as {@code sync; echo 3 > /proc/sys/vm/drop_caches} does a kernel filesystem's, so that
     * benchmarks read from the image without restarting the daemon. Nothing is stored.
     * In the trusted namespace because the kernel lets only CAP_SYS_ADMIN set those.
     */
    public static final String XATTR_DROP_CACHES = "trusted.keelfs.drop_caches";
    /** fallocate modes. */
    public static final int FALLOC_FL_KEEP_SIZE = 0x01;
    public static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    public static final int FALLOC_FL_ZERO_RANGE = 0x10;
    /** utimens sentinels for a time argument (the kernel's UTIME_NOW and UTIME_OMIT). */
    public static final long UTIME_NOW = (1L << 30) - 1;
    public static final long UTIME_OMIT = (1L << 30) - 2;
    /** chown: leave this id as it is. */
    public static final long ID_UNCHANGED = -1;

    public static final int NAME_LENGTH_MAX = 255;
    /** Linux PATH_MAX, also the longest symlink target. */
    public static final int PATH_LENGTH_MAX = 4096;
    public static final long LINK_COUNT_MAX = 65_000;
    public static final int XATTR_NAME_LENGTH_MAX = 255;
    /** The largest file: offsets are kept in bytes in a u64, capped like ext4's 16 TiB. */
    public static final long FILE_SIZE_MAX = 1L << 44;

    private FsConstants() {}
}
