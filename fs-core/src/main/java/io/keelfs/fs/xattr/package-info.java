/**
 * Extended attributes and symlink targets in {@link io.keelfs.format.BtreeId#XATTRS}.
 *
 * <p>Owns: keys of the xattrs btree (slot 0 of an inode: its symlink target; slots from 1:
 * xattrs hashed by name). May call: fs.names, txn, format, error. Must not call: engine,
 * fuse, fsck.
 *
 * <p>Threading: stateless; runs in the caller's transaction.
 */
package io.keelfs.fs.xattr;
