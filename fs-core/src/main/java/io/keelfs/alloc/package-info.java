/**
 * The bucket allocator (DESIGN.md section 4): alloc records, the FREESPACE and NEED_DISCARD
 * btrees derived from them, and handing FREE buckets to writers, each to one writer at a time.
 *
 * <p>Owns: the alloc record format ({@link io.keelfs.alloc.AllocRecord}); the invariant that
 * FREESPACE holds a key exactly for the FREE buckets and NEED_DISCARD exactly for the
 * NEED_DISCARD ones ({@link io.keelfs.alloc.AllocUpdates#set}, the only writer of the three);
 * the open-bucket set (an open bucket is never handed out again until released); the rule that
 * a bucket is reused only once the commit that emptied it is durable.
 *
 * <p>May call: engine (transactions, durable journal seq), txn, format, error. Must not call:
 * btree, journal or keycache directly, fs, fuse, fsck.
 *
 * <p>Threading: {@link io.keelfs.alloc.BucketAllocator} is safe for many threads: one
 * allocator lock serialises revalidation and opening; lock order is allocator lock, then the
 * engine's shared lock, so allocate never runs inside a transaction body.
 *
 * <p>Managed mode: {@link io.keelfs.alloc.AllocFormat} formats a device with a record for
 * every bucket (the {@link io.keelfs.alloc.EarlyNodeBuckets early allocator} picks the first
 * BTREE buckets, obeying the allocator's rule that only a FREE bucket is taken), and
 * {@link io.keelfs.alloc.ManagedEngine} opens the engine with
 * {@link io.keelfs.alloc.AllocNodeBuckets} as its node bucket source plus the allocator over
 * every non-superblock, non-journal bucket: btree nodes (BTREE) and file data (USER) come
 * from the same allocator and never share a bucket. {@link io.keelfs.alloc.AllocBucketCounts}
 * counts buckets by record type (show-super).
 *
 * <p>Lock order with the engine's node reserve: reserve monitor, allocator lock, engine lock.
 * The engine calls {@link io.keelfs.alloc.AllocNodeBuckets} only without its lock held.
 */
package io.keelfs.alloc;
