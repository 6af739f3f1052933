/**
 * The storage engine: opens a device (superblock, journal replay, btrees), runs transactions,
 * checkpoints (journal reclaim), and goes emergency read-only on an internal inconsistency.
 * Also formats a device ({@link io.keelfs.engine.Mkfs}) and describes one without writing
 * ({@link io.keelfs.engine.ImageReport}, for show-super and fsck).
 *
 * <p>Owns: the engine lock (exclusive for updates and checkpoints, shared for reads), the
 * durability order "node writes, device flush, then the journal entry naming the new roots",
 * and the read-only state. May call: block, format, error, btree, journal, keycache, txn.
 * Must not call: alloc (it calls the engine; it reaches back only through
 * {@link io.keelfs.engine.NodeBucketSource}), fs, fuse, fsck.
 *
 * <p>Btree node space: unmanaged (no {@link io.keelfs.engine.NodeBucketSource}), nodes may
 * use every bucket between the journal and the last bucket; managed, only the buckets the
 * source (the bucket allocator, a layer above that this package does not import) hands out,
 * reserved before each checkpoint takes the lock and returned once empty
 * ({@link io.keelfs.engine.NodeBucketReserve}).
 *
 * <p>Threading: {@link io.keelfs.engine.Engine} is safe for many threads; read-write
 * transactions serialise on the exclusive lock, flushed commits share journal flushes.
 * Checkpoints serialise on a checkpoint lock (taken before the engine lock) and hold the
 * exclusive lock only to snapshot the dirty nodes; their node writes, device flush and
 * journal wait run while updates go on.
 */
package io.keelfs.engine;
