/**
 * The storage engine: opens a device (superblock, journal replay, btrees), runs transactions,
 * checkpoints (journal reclaim), and goes emergency read-only on an internal inconsistency.
 * Also formats a device ({@link io.keelfs.engine.Mkfs}) and describes one without writing
 * ({@link io.keelfs.engine.ImageReport}, for show-super and fsck).
 *
 * <p>Owns: the engine lock (exclusive for updates and checkpoints, shared for reads), the
 * durability order "node writes, device flush, then the journal entry naming the new roots",
 * and the read-only state. May call: block, format, error, btree, journal, keycache, txn.
 * Must not call: fs, fuse, fsck.
 *
 * <p>Threading: {@link io.keelfs.engine.Engine} is safe for many threads; read-write
 * transactions serialise on the exclusive lock, flushed commits share journal flushes.
 */
package io.keelfs.engine;
