package io.keelfs.alloc;

/**
 * A bucket handed to one writer by {@link BucketAllocator#allocate}: owned by it (no other
 * writer can receive it) until {@link BucketAllocator#release}.
 *
 * <p>Lifecycle: (1) allocate: FREE, durable-empty, marked open; (2) claim, in the writer's
 * transaction: record takes the data type and bytes; (3) the transaction commits; (4) release.
 * Releasing before the claim committed (or after it failed) leaves the bucket FREE.
 *
 * @param bucket bucket index
 * @param generation the bucket generation pointers into it must carry
 * @param changeSeq the changeSeq of the committed FREE record the allocation was validated on
 * @param openSeq unique per allocation (of this allocator), so that a stale handle of an
 *     earlier allocation of the same bucket is told apart from the current one
 */
public record OpenBucket(long bucket, int generation, long changeSeq, long openSeq) {}
