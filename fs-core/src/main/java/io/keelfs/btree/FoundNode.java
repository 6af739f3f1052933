package io.keelfs.btree;

import io.keelfs.error.ChecksumException;
import io.keelfs.error.TopologyException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.NodeHeader;
import io.keelfs.format.NodePointer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A btree node image found on the device without a pointer to it (fsck's node scan, bcachefs
 * {@code found_btree_node}): what its header says, and where it lies.
 *
 * <p>Entry points: {@link #ofHeader} (a cheap look at the first bytes of a slot: magic and
 * plausible fields, no checksum) and {@link #decodeKeys} (the whole image checked exactly as a
 * read through a pointer would be, {@link NodeCodec}'s checks, with the pointer made from the
 * header: checksum, used bytes, key order and range, children tiling; then a leaf's keys).
 *
 * <p>A node's seq orders its writes: {@code checkpointSeq << 28 | btreeId << 24 | counter}
 * (see {@link Btree}), and a checkpoint writes children before parents, so a parent's seq is
 * above every child's and a rewrite of a range is above every earlier image of it.
 *
 * <p>Thread-safety: immutable.
 *
 * @param btree the btree the header names
 * @param level the header's level (0: a leaf)
 * @param minKey first covered position
 * @param maxKey last covered position
 * @param seq the node's write sequence
 * @param crc32c the checksum the header carries
 * @param offsetBytes where the image starts on the device
 */
public record FoundNode(BtreeId btree, int level, Bpos minKey, Bpos maxKey, long seq,
        int crc32c, long offsetBytes) {
    /** Bytes of a slot {@link #ofHeader} needs. */
    public static final int HEADER_BYTES = NodeHeader.HEADER_BYTES;

    public FoundNode {
        if (minKey.compareTo(maxKey) > 0 || level < 0 || level > NodePointer.LEVEL_MAX) {
            throw new IllegalArgumentException(String.format(
                    "found node at %d: range [%s..%s] level %d", offsetBytes, minKey, maxKey,
                    level));
        }
    }

    /**
     * The header at the start of {@code head} (at least {@link #HEADER_BYTES}, position 0) if it
     * may be a node: the magic, a known btree id, a level up to {@link NodePointer#LEVEL_MAX},
     * min key not above max key, flags 0. Null otherwise. Nothing is checksummed yet.
     */
    public static FoundNode ofHeader(ByteBuffer head, long offsetBytes) {
        if (head.limit() < HEADER_BYTES || head.getLong(0) != NodeHeader.MAGIC) {
            return null;
        }
        NodeHeader h = NodeHeader.decodeFrom(head);
        BtreeId id = BtreeId.byIdOrNull(h.btreeId());
        if (id == null || h.level() > NodePointer.LEVEL_MAX || h.flags() != 0
                || h.minKey().compareTo(h.maxKey()) > 0) {
            return null;
        }
        return new FoundNode(id, h.level(), h.minKey(), h.maxKey(), h.seq(), h.crc32c(),
                offsetBytes);
    }

    /** The checkpoint seq that wrote this node (the journal seq its roots were meant for). */
    public long checkpointSeq() {
        return seq >>> Btree.CHECKPOINT_SEQ_SHIFT;
    }

    /** The pointer a parent would hold for this node. */
    public NodePointer pointer() {
        return new NodePointer(minKey, maxKey, offsetBytes, seq, crc32c, level);
    }

    /** Whether the two ranges share a position. */
    public boolean overlaps(FoundNode other) {
        return minKey.compareTo(other.maxKey) <= 0 && other.minKey.compareTo(maxKey) <= 0;
    }

    /**
     * Checks the whole {@code image} (a node-size buffer read at {@link #offsetBytes}) as a
     * read through {@link #pointer} would, and returns a leaf's keys in order (an interior
     * node's: none). A damaged image is a {@link ChecksumException} or
     * {@link TopologyException} naming what is wrong.
     */
    public List<Bkey> decodeKeys(ByteBuffer image) throws ChecksumException, TopologyException {
        Node node = NodeCodec.decode(image, pointer(), btree, false);
        if (!(node instanceof LeafNode leaf)) {
            return List.of();
        }
        List<Bkey> keys = new ArrayList<>(leaf.count());
        for (int i = 0; i < leaf.count(); i++) {
            keys.add(leaf.key(i));
        }
        return keys;
    }

    public void appendTo(StringBuilder sb) {
        sb.append("btree ").append(btree).append(" level ").append(level).append(" [")
                .append(minKey).append("..").append(maxKey).append("] seq ").append(seq)
                .append(" @").append(offsetBytes);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        appendTo(sb);
        return sb.toString();
    }
}
