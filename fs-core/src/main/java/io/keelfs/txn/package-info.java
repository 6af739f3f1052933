/**
 * Transactions: a set of updates across btrees, read-your-writes while they run, committed
 * atomically through one journal entry by the engine.
 *
 * <p>Owns: the per-transaction update overlay and the iterator that merges it with the
 * committed trees. May call: format, error, and the committed state only through
 * {@link io.keelfs.txn.TreeReader}. Must not call: btree, journal, keycache directly (the
 * engine wires them), fuse, fsck.
 *
 * <p>Threading: a transaction belongs to one thread; the engine runs read-write transactions
 * under its exclusive lock, so they serialise, and read-only ones under its shared lock.
 */
package io.keelfs.txn;
