/**
 * Hashed names: {@link io.keelfs.fs.names.HashedSlots} (a linear-probing hash table inside a
 * btree, with whiteouts), used by directories ({@link io.keelfs.fs.names.Dirents}) and xattrs.
 *
 * <p>Owns: keys of {@link io.keelfs.format.BtreeId#DIRENTS}; invariants: a name is found by
 * probing from its hash to the first empty slot; an empty directory holds no keys (no
 * whiteouts); an entry's slot never moves, so readdir offsets stay stable. May call: txn,
 * format, error. Must not call: engine, fuse, fsck.
 *
 * <p>Threading: stateless; runs in the caller's transaction.
 */
package io.keelfs.fs.names;
