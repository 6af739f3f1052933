/**
 * Inodes: the {@link io.keelfs.fs.inode.Inode} value, its versioned on-disk encoding
 * ({@link io.keelfs.fs.inode.InodeCodec}) and the inode table in the key-cached inodes btree
 * ({@link io.keelfs.fs.inode.InodeTable}: number allocation, inode count).
 *
 * <p>Owns: keys of {@link io.keelfs.format.BtreeId#INODES}; invariant: every inode key decodes,
 * numbers are never reused within a mount. May call: txn, format, error, fs (FileMode, Stat).
 * Must not call: engine (callers pass transactions), fuse, fsck.
 *
 * <p>Threading: values are immutable; the number counter is atomic; the rest runs in the
 * caller's transaction.
 */
package io.keelfs.fs.inode;
