package io.keelfs.alloc;

/**
 * How deep into the reserve an allocation may go (bcachefs {@code bch_watermark}), shallowest
 * first: file data stops at the normal reserve, copygc (which frees space) at the copygc
 * reserve, btree nodes (which every freeing transaction's checkpoint needs) at nothing. See
 * {@link BucketAllocator#setReserves}.
 */
public enum Watermark {
    NORMAL,
    COPYGC,
    BTREE
}
