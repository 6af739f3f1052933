/**
 * The Filesystem API: POSIX semantics over the engine. Owns inodes, dirents, xattrs, open
 * handles, path resolution and the orphans btree (inodes unlinked while open, truncates not
 * yet finished); file contents go through {@link io.keelfs.fs.data}. The implementation is
 * {@link io.keelfs.fs.KeelFilesystem}; sub-packages hold inodes, hashed names and xattrs.
 *
 * <p>Invariants: a file's nlink is the number of dirents naming it; a directory's is 2 + its
 * subdirectories; an inode with nlink 0 is in the orphans btree until it is freed; every
 * namespace change is one transaction.
 *
 * <p>May call: engine, txn, alloc, format, error, fs.data. Called by: fuse-mount, fsck,
 * recovery-tests, the cli. Nothing here knows about FUSE: errors are
 * {@link io.keelfs.error.KeelException} values carrying an errno, which the adapter returns.
 *
 * <p>Threading: every Filesystem call may come from many threads. Namespace operations are
 * each one engine transaction (serialised by the engine); writes, truncates and frees of one
 * inode are serialised by a striped per-inode lock; device I/O of data happens outside
 * transactions.
 */
package io.keelfs.fs;
