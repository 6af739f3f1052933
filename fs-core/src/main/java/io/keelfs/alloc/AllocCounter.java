package io.keelfs.alloc;

/**
 * What the allocator counts: each distinct slow or failing path (STYLE.md section 3), as
 * bcachefs's bucket_alloc skip counters. Read them with {@link BucketAllocator#count}.
 */
public enum AllocCounter {
    /** Buckets handed out. */
    ALLOCATED,
    /** Walk: the FREESPACE key's bucket is outside the allocator's range. */
    SKIP_OUT_OF_RANGE,
    /** Walk: the bucket is open (no lock). */
    SKIP_OPEN,
    /** Walk: the FREESPACE key does not match a FREE record with its genbits (stale key). */
    SKIP_STALE_FREESPACE,
    /** Revalidation: the committed record is no longer FREE. */
    SKIP_NOT_FREE,
    /** Revalidation: the committed record's genbits differ from the walk's. */
    SKIP_GENBITS,
    /** Revalidation: the record changed since the walk read it (changeSeq differs). */
    SKIP_CHANGED,
    /** Revalidation: the commit that emptied the bucket is not durable yet. */
    SKIP_JOURNAL_NOT_DURABLE,
    /** Revalidation: another writer opened the bucket since the walk (under the lock). */
    SKIP_OPEN_LOCKED,
    /** The walk wrapped from the end of FREESPACE to its start. */
    WRAPS,
    /** NEED_DISCARD buckets turned FREE once their emptying commit was durable. */
    PROMOTED,
    /** allocate() refused: no more than its watermark's reserve was available. */
    NO_SPACE_WATERMARK,
    /** allocate() flushed the journal so that emptied buckets could be promoted. */
    JOURNAL_FLUSHES,
    /** allocate() failed with ENOSPC. */
    NO_SPACE,
    /** Revalidation: a FREE record over a bucket with backpointers (the engine went RO). */
    INCONSISTENT_LIVE_DATA
}
