/**
 * The Filesystem API: POSIX semantics over the engine. Owns inodes, dirents, xattrs, open
 * handles and path resolution; file contents go through {@link io.keelfs.fs.data}.
 *
 * <p>May call: engine, txn, alloc, format, error. Called by: fuse-mount, fsck, recovery-tests,
 * the cli. Nothing here knows about FUSE: errors are {@link io.keelfs.error.KeelException}
 * values carrying an errno, which the adapter returns.
 */
package io.keelfs.fs;
