package io.keelfs.format;

/**
 * The btrees of a keelfs filesystem. The {@link #id} is on disk (node headers, journal entries,
 * superblock root records) and never changes meaning; add new trees at the end.
 */
public enum BtreeId {
    EXTENTS(0, false),
    INODES(1, true),
    DIRENTS(2, false),
    XATTRS(3, false),
    ALLOC(4, true),
    FREESPACE(5, false),
    NEED_DISCARD(6, false),
    BACKPOINTERS(7, false),
    /**
     * Inodes that need work at the next mount: unlinked while open (delete them), or cut by a
     * truncate that had not finished punching (punch past i_size). Key (ino, 0, 0).
     */
    ORPHANS(8, false),
    /** Free-form trees for engine tests and benchmarks. */
    TEST0(14, false),
    TEST1(15, true);

    public static final int COUNT_MAX = 16;

    public final int id;
    /** Updates go through the btree key cache (DESIGN.md section 4: inodes and alloc). */
    public final boolean cached;

    BtreeId(int id, boolean cached) {
        this.id = id;
        this.cached = cached;
    }

    private static final BtreeId[] BY_ID = new BtreeId[COUNT_MAX];

    static {
        for (BtreeId b : values()) {
            if (b.id < 0 || b.id >= COUNT_MAX || BY_ID[b.id] != null) {
                throw new ExceptionInInitializerError("bad or duplicate btree id " + b);
            }
            BY_ID[b.id] = b;
        }
    }

    /** The tree with this on-disk id, or null if the id is unknown (a corrupt field). */
    public static BtreeId byIdOrNull(int id) {
        return id >= 0 && id < COUNT_MAX ? BY_ID[id] : null;
    }
}
