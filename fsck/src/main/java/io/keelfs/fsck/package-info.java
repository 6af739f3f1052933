/**
 * keelfs fsck: passes run in order over an image (superblock, journal, topology, and, as the
 * filesystem grows, alloc info, backpointers, inodes, dirents, directory structure, xattrs),
 * each reporting what it found with positions into one {@link io.keelfs.fsck.FsckReport};
 * exit codes as e2fsck's.
 *
 * <p>May call: fs-core (block, format, journal, btree, engine, error). Called by the cli and
 * recovery-tests.
 */
package io.keelfs.fsck;
