/**
 * Copy-on-write B+trees with checksummed, header-checked fixed-size nodes.
 *
 * <p>Core types: {@link io.keelfs.btree.Btree} (one tree: get, put, iterate, checkpoint),
 * {@link io.keelfs.btree.BtreeIterator}, {@link io.keelfs.btree.BtreeSet} (the trees of a
 * filesystem), {@link io.keelfs.btree.NodeStore}, {@link io.keelfs.btree.SlotStore},
 * {@link io.keelfs.btree.SlotNodeStore} (node slots in fixed ranges of the device) and
 * {@link io.keelfs.btree.BucketNodeStore} (node slots in buckets handed over one by one),
 * {@link io.keelfs.btree.NodeCache} (clean nodes, bounded in bytes),
 * {@link io.keelfs.btree.CheckpointWrites} (a deferred checkpoint's node images),
 * {@link io.keelfs.btree.FoundNode} (a node image found by a scan, without a pointer).
 *
 * <p>Owns: the in-memory trees and their invariants (keys ordered; children tile their
 * parent's range one level down; a dirty node's parent is dirty; a dirty node is pinned and
 * never cached; no empty node below the root; a live image is never overwritten), the node
 * images' checks on read (NodeCodec; layout in {@link io.keelfs.format.NodeHeader}), and the
 * node slot bitmap with its deferred frees.
 *
 * <p>May call: {@code io.keelfs.format}, {@code io.keelfs.error}, {@code io.keelfs.block}
 * (only the two slot stores), Caffeine, Guava.
 * Must not call: the journal, the bucket allocator, the engine, fsck, FUSE. This package does
 * no journaling: the engine journals every update before applying it here, calls checkpoint
 * when journal space runs low, records the roots checkpoint returns in journal entries, and
 * releases freed slots once those entries are durable.
 *
 * <p>Threading: callers serialise mutations and checkpoints; concurrent readers are allowed
 * only under the caller's read lock. The node cache and the slot store are thread-safe. A
 * deferred checkpoint's images ({@link io.keelfs.btree.CheckpointWrites}) are written without
 * the caller's lock, while mutations go on: they are copies, their slots stay allocated, and
 * their nodes stay readable from the cache's unwritten set until they are on the device.
 */
package io.keelfs.btree;
