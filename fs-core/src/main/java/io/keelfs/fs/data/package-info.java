/**
 * File contents: extents (inode, file offset) to (bucket, offset, gen, length, per-block
 * CRC32C), copy-on-write writes through the bucket allocator, checksummed reads, truncate,
 * punch and zero-range, backpointers and copying garbage collection.
 *
 * <p>May call: engine, txn, alloc, format, error, block. Called by {@link io.keelfs.fs}.
 */
package io.keelfs.fs.data;
