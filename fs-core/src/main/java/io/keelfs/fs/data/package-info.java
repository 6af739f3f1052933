/**
 * File contents: extents (inode, file offset) to (bucket, offset, gen, length, per-block
 * CRC32C), copy-on-write writes through write points into USER buckets of the bucket
 * allocator, checksummed reads that recheck bucket generations after the device read, punch,
 * backpointers and copying garbage collection. Implementation: {@link
 * io.keelfs.fs.data.ExtentFileData} behind {@link io.keelfs.fs.data.FileData}.
 *
 * <p>Owns: EXTENTS keys ({@code Extent}, keyed by end offset; fallocate's
 * {@code ReservedExtent} ranges and their total, {@code ReservedSpace}), BACKPOINTERS keys
 * ({@code Backpointer}), the dirty bytes of USER alloc records in its bucket range, the open
 * data buckets ({@code DataBucket}, {@code WritePoint}) and copygc. Invariants, checked by
 * the tests' {@code DataInvariants} and meant for fsck: per USER bucket, the sum of the
 * lengths of extents pointing into it equals its dirty bytes; every extent's generation is its
 * bucket's; backpointers and extents match one to one; extents of an inode do not overlap; a
 * bucket whose live bytes reach zero is freed unless it is open (then when it is released);
 * reserved ranges overlap no extent of their file and sum to the reserved total.
 *
 * <p>May call: engine, txn, alloc, format, error, block. Must not call: fs (its caller), fuse,
 * fsck. Called by {@link io.keelfs.fs}.
 *
 * <p>Threading: safe for many threads. Lock order: a file write point's lock, the copygc lock
 * (allocation may run copygc), copygc's write point lock, the allocator lock, the engine lock;
 * nothing here takes a write point or copygc lock inside a transaction.
 * Device reads and writes happen outside the engine lock. Callers serialise writes, truncates
 * and punches of one inode.
 */
package io.keelfs.fs.data;
