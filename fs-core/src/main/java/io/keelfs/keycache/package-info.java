/**
 * Btree key cache: hot keys of cached btrees (inodes, alloc) live in memory; dirty entries are
 * written back to the btree by journal reclaim (the engine's checkpoint).
 *
 * <p>Owns: the dirty and clean entry maps and the coherency rule "a dirty cached key implies a
 * live key at its position in the btree" (bcachefs c8604a651): creations and deletions write
 * through, only overwrites of existing keys stay dirty here. A violation found on flush is an
 * {@link io.keelfs.error.InconsistentException}, never an assert.
 *
 * <p>May call: format, error, Caffeine (through {@link io.keelfs.keycache.BtreeKeyCache.Backing},
 * never the btree package directly). Must not call: journal, txn, fuse, fsck.
 *
 * <p>Threading: callers hold the engine lock (shared for {@code get}, exclusive otherwise).
 */
package io.keelfs.keycache;
