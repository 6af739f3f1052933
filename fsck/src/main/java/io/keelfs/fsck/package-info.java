/**
 * keelfs fsck: passes run in order over an image, each reporting what it found with positions
 * into one {@link io.keelfs.fsck.FsckReport}; exit codes as e2fsck's.
 *
 * <p>Passes: superblock copies, journal, btree topology (on-disk structures, read directly);
 * then, through an engine opened read-only (-n) or writable (--repair): alloc info (buckets
 * recounted from extents, reachable nodes, journal and superblock; alloc records, FREESPACE,
 * NEED_DISCARD; stale pointers, overlapping extents, buckets claimed twice), backpointers,
 * namespace (inodes, dirents, directory structure with /lost+found, nlinks), xattrs, and data
 * checksums with --check-data; last, with --repair, one mount finishes orphan deletion.
 *
 * <p>Owns: the cross-reference state of one run ({@link io.keelfs.fsck.InodeIndex}: heap rows
 * up to a bound, then an LMDB scratch environment; per-bucket arrays sized by the geometry;
 * bounded findings). Every repair is one engine transaction ({@code FsckContext.fix}), made
 * only with --repair and a yes ({@link io.keelfs.fsck.Questioner}).
 *
 * <p>May call: fs-core (block, format, journal, btree, engine, alloc, fs and its read APIs),
 * lmdbjava. Must not call: cli, fuse-mount. Called by the cli and recovery-tests.
 *
 * <p>Threading: one run, one thread.
 */
package io.keelfs.fsck;
