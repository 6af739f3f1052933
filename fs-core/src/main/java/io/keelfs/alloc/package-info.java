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
 * <p>Next step (not done here): the allocator manages a bucket range it is given. Wiring the
 * engine's btree node slots (today a SlotNodeStore over all non-journal buckets) and mkfs to
 * it, so that nodes and data are allocated here, and an early allocator for use before
 * FREESPACE exists, come next.
 */
package io.keelfs.alloc;
