package io.keelfs.alloc;

/**
 * What a bucket holds, as bcachefs {@code enum bch_data_type}. The {@link #code} is on disk (the
 * data type byte of {@link AllocRecord}) and never changes meaning; add new types at the end.
 */
public enum DataType {
    /** Empty and allocatable: exactly these buckets have a FREESPACE key. */
    FREE(0),
    SUPERBLOCK(1),
    JOURNAL(2),
    BTREE(3),
    USER(4),
    CACHED(5),
    /**
     * Emptied by a commit that may not be durable yet: not allocatable until the allocator sees
     * that commit durable and turns the bucket FREE (bcachefs: need_discard, then the discard).
     */
    NEED_DISCARD(9);

    public final int code;

    DataType(int code) {
        this.code = code;
    }

    /** The type with this on-disk code, or null for an unknown code (a corrupt record). */
    public static DataType byCodeOrNull(int code) {
        for (DataType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
