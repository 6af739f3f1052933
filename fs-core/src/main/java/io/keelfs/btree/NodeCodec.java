package io.keelfs.btree;

import io.keelfs.error.ChecksumException;
import io.keelfs.error.InconsistentException;
import io.keelfs.error.TopologyException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.format.NodeHeader;
import io.keelfs.format.NodePointer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Turns nodes into images and back, checking everything on the way in. The byte layout is
 * documented field by field in {@link NodeHeader}.
 *
 * <p>Entry points: {@link #encode} (checkpoint) and {@link #decode} (every node read).
 *
 * <p>Reading checks, in this order, so the first failure names the real problem:
 * <ol>
 *   <li>magic, then the used-bytes field, then the node's own CRC32C: damaged bytes are a
 *       {@link ChecksumException};
 *   <li>the header against the pointer that led here (btree id, level, min key, max key, seq):
 *       a whole, valid node that is not the one meant (misdirected or lost write) is a
 *       {@link TopologyException};
 *   <li>the CRC32C against the pointer's copy: a {@link ChecksumException};
 *   <li>the keys: decodable, strictly ascending, inside [minKey, maxKey]; an interior node's
 *       children tile its range one level down; only a root may be empty. A failure is a
 *       {@link TopologyException} naming the key.
 * </ol>
 * Every message names the btree, the level, the expected key range and seq, and the offset.
 *
 * <p>Thread-safety: stateless.
 */
final class NodeCodec {
    private NodeCodec() {}

    /**
     * Encodes {@code node} with write sequence {@code seq} into {@code image} (a heap buffer
     * of the node size, fully overwritten) and returns the image's CRC32C. The node's children
     * must all have been written (every interior pointer set).
     */
    static int encode(Node node, long seq, ByteBuffer image) throws InconsistentException {
        int used = node.usedBytes();
        if (used > image.capacity()) {
            throw new InconsistentException(String.format(
                    "btree %s level %d node [%s..%s] needs %d bytes, node size is %d",
                    node.btreeId, node.level, node.minKey, node.maxKey, used, image.capacity()));
        }
        // The header and keys overwrite [0, used) whole (checked below): zero only the rest.
        Arrays.fill(image.array(), image.arrayOffset() + used,
                image.arrayOffset() + image.capacity(), (byte) 0);
        image.clear().position(NodeHeader.HEADER_BYTES);
        node.encodeKeysTo(image);
        if (image.position() != used) {
            throw new InconsistentException(String.format(
                    "btree %s level %d node [%s..%s] encoded %d bytes, accounted %d",
                    node.btreeId, node.level, node.minKey, node.maxKey, image.position(), used));
        }
        new NodeHeader(NodeHeader.MAGIC, 0, node.btreeId.id, node.level, 0, node.count(),
                used, seq, node.minKey, node.maxKey).encodeTo(image);
        int crc = crc32c(image, used);
        image.putInt(NodeHeader.CRC_OFFSET_BYTES, crc);
        image.clear();
        return crc;
    }

    /**
     * Decodes the image {@code ptr} led to, checking it (see the class comment).
     *
     * @param root whether {@code ptr} is a root pointer (only a root may be empty)
     */
    static Node decode(ByteBuffer image, NodePointer ptr, BtreeId btreeId, boolean root)
            throws ChecksumException, TopologyException {
        NodeHeader h = checkImage(image, ptr, btreeId);
        ByteBuffer keys = keysOf(image, h);
        Node node = h.level() == 0
                ? decodeLeaf(keys, h, btreeId, ptr, root, true)
                : decodeInterior(keys, h, btreeId, ptr, root);
        node.onDisk = ptr;
        return node;
    }

    /**
     * Checks the image of a leaf exactly as {@link #decode} does, without making the node
     * (no key columns, no value arrays): for a walk that only checks and counts. Returns the
     * leaf's key count.
     */
    static int checkLeaf(ByteBuffer image, NodePointer ptr, BtreeId btreeId, boolean root)
            throws ChecksumException, TopologyException {
        NodeHeader h = checkImage(image, ptr, btreeId);
        if (h.level() != 0) {
            throw bad(btreeId, ptr, "level %d image checked as a leaf", h.level());
        }
        decodeLeaf(keysOf(image, h), h, btreeId, ptr, root, false);
        return h.keyCount();
    }

    private static ByteBuffer keysOf(ByteBuffer image, NodeHeader h) {
        ByteBuffer keys = image.duplicate();
        keys.limit(h.usedBytes()).position(NodeHeader.HEADER_BYTES);
        return keys;
    }

    /** The header of the image, checked: magic, checksum, and against {@code ptr}. */
    private static NodeHeader checkImage(ByteBuffer image, NodePointer ptr, BtreeId btreeId)
            throws ChecksumException, TopologyException {
        NodeHeader h = NodeHeader.decodeFrom(image);
        int nodeSizeBytes = image.capacity();
        // Messages are built only on failure: decode is on every node-cache miss.
        if (h.magic() != NodeHeader.MAGIC) {
            throw new ChecksumException(String.format("%s (bad magic %016x, expected %016x)",
                    describe(btreeId, ptr), h.magic(), NodeHeader.MAGIC), ptr.offsetBytes(),
                    ptr.crc32c(),
                    crc32c(image, nodeSizeBytes));
        }
        if (h.usedBytes() < NodeHeader.HEADER_BYTES || h.usedBytes() > nodeSizeBytes) {
            throw new ChecksumException(String.format(
                    "%s (used bytes %d not in [%d, %d])", describe(btreeId, ptr), h.usedBytes(),
                    NodeHeader.HEADER_BYTES, nodeSizeBytes), ptr.offsetBytes(), h.crc32c(),
                    crc32c(image, nodeSizeBytes));
        }
        int crc = crc32c(image, h.usedBytes());
        if (crc != h.crc32c()) {
            throw new ChecksumException(describe(btreeId, ptr), ptr.offsetBytes(), h.crc32c(), crc);
        }
        checkHeader(h, ptr, btreeId);
        if (crc != ptr.crc32c()) {
            throw new ChecksumException(describe(btreeId, ptr)
                    + " (node valid, but not the image the pointer"
                    + " was made for)", ptr.offsetBytes(), ptr.crc32c(), crc);
        }
        return h;
    }

    /** Checks that a node found in the cache is the one {@code ptr} means. */
    static void checkCached(Node node, NodePointer ptr, BtreeId btreeId)
            throws TopologyException {
        // Identity first: a node read or written for ptr holds that very pointer object.
        if (node.btreeId != btreeId || node.dirty
                || (ptr != node.onDisk && !ptr.equals(node.onDisk))) {
            throw new TopologyException(String.format(
                    "cached btree node header doesn't match expected (memory corruption?): "
                            + "expected %s, found btree %s level %d [%s..%s] %s image %s",
                    describe(btreeId, ptr), node.btreeId, node.level, node.minKey,
                    node.maxKey, node.dirty ? "dirty" : "clean", node.onDisk),
                    ptr.offsetBytes());
        }
    }

    /** "btree X level L node [min..max] seq S": what a pointer expects. */
    static String describe(BtreeId btreeId, NodePointer ptr) {
        return String.format("btree %s level %d node [%s..%s] seq %d", btreeId, ptr.level(),
                ptr.minKey(), ptr.maxKey(), ptr.seq());
    }

    static int crc32c(ByteBuffer image, int usedBytes) {
        CRC32C crc = new CRC32C();
        ByteBuffer covered = image.duplicate();
        covered.limit(usedBytes).position(NodeHeader.CRC_START_BYTES);
        crc.update(covered);
        return (int) crc.getValue();
    }

    private static void checkHeader(NodeHeader h, NodePointer ptr, BtreeId btreeId)
            throws TopologyException {
        List<String> wrong = new ArrayList<>();
        if (h.btreeId() != btreeId.id) {
            wrong.add("btree id");
        }
        if (h.level() != ptr.level()) {
            wrong.add("level");
        }
        if (!h.minKey().equals(ptr.minKey())) {
            wrong.add("min key");
        }
        if (!h.maxKey().equals(ptr.maxKey())) {
            wrong.add("max key");
        }
        if (h.seq() != ptr.seq()) {
            wrong.add("seq");
        }
        if (h.flags() != 0) {
            wrong.add("flags");
        }
        if (!wrong.isEmpty()) {
            BtreeId found = BtreeId.byIdOrNull(h.btreeId());
            throw new TopologyException(String.format(
                    "got wrong btree node at offset %d: expected %s, found btree %s level %d "
                            + "node [%s..%s] seq %d flags %x (%s differ)",
                    ptr.offsetBytes(), describe(btreeId, ptr),
                    found == null ? "#" + h.btreeId() : found, h.level(), h.minKey(),
                    h.maxKey(), h.seq(), h.flags(), String.join(", ", wrong)),
                    ptr.offsetBytes());
        }
    }

    /** The leaf's keys, checked; with {@code make} false only checked (null returned). */
    private static LeafNode decodeLeaf(ByteBuffer in, NodeHeader h, BtreeId btreeId,
            NodePointer ptr, boolean root, boolean make) throws TopologyException {
        int n = checkKeyCount(in, h, btreeId, ptr, root, Bkey.HEADER_BYTES);
        LeafNode leaf = make ? new LeafNode(btreeId, h.minKey(), h.maxKey(), n) : null;
        // Positions stay primitive (a Bpos per key is most of a scan's garbage under C1, which
        // does no escape analysis); a Bpos is made only for an error message.
        Bpos min = ptr.minKey();
        Bpos max = ptr.maxKey();
        long prevInode = 0;
        long prevOffset = 0;
        int prevSnapshot = 0;
        for (int i = 0; i < n; i++) {
            if (in.remaining() < Bkey.HEADER_BYTES) {
                throw bad(btreeId, ptr, "key %d of %d truncated at byte %d", i, n, in.position());
            }
            long inode = in.getLong();
            long offset = in.getLong();
            int snapshot = in.getInt();
            int type = in.get() & 0xff;
            int length = in.getShort() & 0xffff;
            if (length > Bkey.VALUE_BYTES_MAX || length > in.remaining()) {
                throw bad(btreeId, ptr, "key %d at %s claims a %d-byte value, %d bytes remain",
                        i, new Bpos(inode, offset, snapshot), length, in.remaining());
            }
            if (type == KeyType.DELETED) {
                throw bad(btreeId, ptr, "key %d at %s is a deletion; leaves hold none", i,
                        new Bpos(inode, offset, snapshot));
            }
            if (i > 0 && compare(prevInode, prevOffset, prevSnapshot, inode, offset, snapshot)
                    >= 0) {
                throw bad(btreeId, ptr, "key %d at %s not after key at %s", i,
                        new Bpos(inode, offset, snapshot),
                        new Bpos(prevInode, prevOffset, prevSnapshot));
            }
            boolean belowMin = compare(inode, offset, snapshot, min.inode(), min.offset(),
                    min.snapshot()) < 0;
            boolean aboveMax = compare(inode, offset, snapshot, max.inode(), max.offset(),
                    max.snapshot()) > 0;
            if (belowMin || aboveMax) {
                throw bad(btreeId, ptr, "key %d at %s outside the node's range", i,
                        new Bpos(inode, offset, snapshot));
            }
            if (make) {
                byte[] value = new byte[length];
                in.get(value);
                leaf.append(inode, offset, snapshot, type, value);
            } else {
                in.position(in.position() + length);
            }
            prevInode = inode;
            prevOffset = offset;
            prevSnapshot = snapshot;
        }
        checkConsumed(in, btreeId, ptr);
        return leaf;
    }

    private static InteriorNode decodeInterior(
            ByteBuffer in, NodeHeader h, BtreeId btreeId, NodePointer ptr, boolean root)
            throws TopologyException {
        int n = checkKeyCount(in, h, btreeId, ptr, root, InteriorNode.ENTRY_BYTES);
        if (n == 0) {
            throw bad(btreeId, ptr, "interior node has no children");
        }
        InteriorNode node = new InteriorNode(btreeId, h.level(), h.minKey(), h.maxKey(), n);
        Bpos expectedMin = h.minKey();
        for (int i = 0; i < n; i++) {
            if (expectedMin == null) {
                throw bad(btreeId, ptr, "child %d of %d after a child ending at %s", i, n,
                        Bpos.MAX);
            }
            Bpos pos = Bpos.decodeFrom(in);
            int type = in.get() & 0xff;
            int length = in.getShort() & 0xffff;
            if (type != KeyType.BTREE_PTR || length != NodePointer.ENCODED_BYTES) {
                throw bad(btreeId, ptr, "child %d at %s has key type %d, length %d", i, pos,
                        type, length);
            }
            NodePointer child;
            try {
                child = NodePointer.decodeFrom(in);
            } catch (IllegalArgumentException e) {
                throw bad(btreeId, ptr, "child %d at %s: %s", i, pos, e.getMessage());
            }
            if (!child.maxKey().equals(pos)
                    || !child.minKey().equals(expectedMin)
                    || child.level() != h.level() - 1) {
                throw bad(btreeId, ptr, "child %d %s does not tile: expected [%s..%s] level %d",
                        i, child, expectedMin, pos, h.level() - 1);
            }
            node.insert(i, pos, child, null);
            expectedMin = pos.isMax() ? null : pos.successor();
        }
        if (!node.childMax(n - 1).equals(h.maxKey())) {
            throw bad(btreeId, ptr, "last child ends at %s, node at %s", node.childMax(n - 1),
                    h.maxKey());
        }
        checkConsumed(in, btreeId, ptr);
        return node;
    }

    private static int checkKeyCount(ByteBuffer in, NodeHeader h, BtreeId btreeId,
            NodePointer ptr, boolean root, int keyBytesMin) throws TopologyException {
        int n = h.keyCount();
        if (n < 0 || n > in.remaining() / keyBytesMin) {
            throw bad(btreeId, ptr, "key count %d impossible in %d key bytes", n, in.remaining());
        }
        if (n == 0 && !root) {
            throw bad(btreeId, ptr, "empty node below the root");
        }
        return n;
    }

    /** {@link Bpos#compareTo} of two positions given by their fields. */
    private static int compare(long inodeA, long offsetA, int snapshotA, long inodeB,
            long offsetB, int snapshotB) {
        int c = Long.compareUnsigned(inodeA, inodeB);
        if (c != 0) {
            return c;
        }
        c = Long.compareUnsigned(offsetA, offsetB);
        if (c != 0) {
            return c;
        }
        return Integer.compareUnsigned(snapshotA, snapshotB);
    }

    private static void checkConsumed(ByteBuffer in, BtreeId btreeId, NodePointer ptr)
            throws TopologyException {
        if (in.hasRemaining()) {
            throw bad(btreeId, ptr, "%d used bytes after the last key", in.remaining());
        }
    }

    private static TopologyException bad(
            BtreeId btreeId, NodePointer ptr, String format, Object... args) {
        return new TopologyException(String.format("bad keys in %s at offset %d: %s",
                describe(btreeId, ptr), ptr.offsetBytes(), String.format(format, args)),
                ptr.offsetBytes());
    }
}
