package io.keelfs.btree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.error.ChecksumException;
import io.keelfs.error.CorruptException;
import io.keelfs.error.KeelException;
import io.keelfs.error.TopologyException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.format.NodeHeader;
import io.keelfs.format.NodePointer;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The node image format and every check made on read: round trips of leaves and interior
 * nodes; each single-byte flip in the used bytes is a checksum error; a valid node that is not
 * the one the pointer expects is a topology error naming the field; keys that are out of
 * order, out of range, deleted, or do not tile are topology errors even under a valid
 * checksum. Not covered: reads through a tree (BtreeCorruptionTest).
 */
class NodeCodecTest {
    private static final int NODE_BYTES = 4096;
    private static final long OFFSET = 12 * NODE_BYTES;
    private static final long SEQ = 77;

    private static LeafNode leaf(Bpos min, Bpos max, long... offsets) {
        LeafNode leaf = new LeafNode(BtreeId.TEST0, min, max, 0);
        for (long offset : offsets) {
            leaf.append(1, offset, 0, KeyType.BLOB, new byte[] {(byte) offset, 2, 3});
        }
        return leaf;
    }

    /** Encodes {@code node} and returns the image; {@link #pointerTo} makes its pointer. */
    private static ByteBuffer image(Node node) throws KeelException {
        ByteBuffer image = ByteBuffer.allocate(NODE_BYTES);
        NodeCodec.encode(node, SEQ, image);
        return image;
    }

    private static NodePointer pointerTo(Node node, ByteBuffer image) {
        int crc = image.getInt(NodeHeader.CRC_OFFSET_BYTES);
        return new NodePointer(node.minKey, node.maxKey, OFFSET, SEQ, crc, node.level);
    }

    /** Recomputes the image's checksum after a deliberate change; returns the new crc. */
    private static int reseal(ByteBuffer image) {
        int used = image.getInt(20);
        int crc = NodeCodec.crc32c(image, used);
        image.putInt(NodeHeader.CRC_OFFSET_BYTES, crc);
        return crc;
    }

    private static NodePointer withCrc(NodePointer p, int crc) {
        return new NodePointer(p.minKey(), p.maxKey(), p.offsetBytes(), p.seq(), crc, p.level());
    }

    @Test
    void leafRoundTrip() throws KeelException {
        LeafNode leaf = leaf(Bpos.MIN, Bpos.MAX, 1, 5, 9);
        ByteBuffer image = image(leaf);
        NodePointer ptr = pointerTo(leaf, image);
        LeafNode read = (LeafNode) NodeCodec.decode(image, ptr, BtreeId.TEST0, true);
        assertEquals(3, read.count());
        for (int i = 0; i < 3; i++) {
            assertEquals(leaf.key(i), read.key(i));
        }
        assertEquals(ptr, read.onDisk);
        assertEquals(leaf.usedBytes(), read.usedBytes());
        assertEquals(0, image.get(leaf.usedBytes()), "zero padding");
    }

    @Test
    void interiorRoundTrip() throws KeelException {
        InteriorNode node = new InteriorNode(BtreeId.TEST0, 2, Bpos.MIN, Bpos.MAX, 0);
        Bpos split = Bpos.of(5, 5);
        node.insert(0, split, new NodePointer(Bpos.MIN, split, 8192, 3, 9, 1), null);
        node.insert(1, Bpos.MAX, new NodePointer(split.successor(), Bpos.MAX, 16384, 4, 8, 1),
                null);
        ByteBuffer image = image(node);
        InteriorNode read = (InteriorNode) NodeCodec.decode(image, pointerTo(node, image),
                BtreeId.TEST0, true);
        assertEquals(2, read.count());
        assertEquals(node.ptr(0), read.ptr(0));
        assertEquals(node.ptr(1), read.ptr(1));
        assertEquals(split.successor(), read.childMin(1));
    }

    @Test
    void everyFlippedByteIsAChecksumError() throws KeelException {
        long seed = 20240601L;
        System.out.println("NodeCodecTest.everyFlippedByteIsAChecksumError seed " + seed);
        Random random = new Random(seed);
        LeafNode leaf = leaf(Bpos.MIN, Bpos.MAX, 1, 5, 9, 300);
        ByteBuffer clean = image(leaf);
        NodePointer ptr = pointerTo(leaf, clean);
        for (int at = 0; at < leaf.usedBytes(); at++) {
            ByteBuffer image = ByteBuffer.allocate(NODE_BYTES).put(clean.duplicate()).clear();
            int flip = 1 + random.nextInt(255);
            image.put(at, (byte) (image.get(at) ^ flip));
            int where = at;
            ChecksumException e = assertThrows(ChecksumException.class,
                    () -> NodeCodec.decode(image, ptr, BtreeId.TEST0, true),
                    () -> "flip " + flip + " at byte " + where);
            assertTrue(e.getMessage().contains("btree TEST0 level 0"), e.getMessage());
            assertTrue(e.getMessage().contains("offset " + OFFSET), e.getMessage());
            assertEquals(OFFSET, e.offsetBytes());
        }
    }

    @Test
    void aValidNodeThatIsNotTheOneExpectedIsATopologyError() throws KeelException {
        LeafNode leaf = leaf(Bpos.of(1, 0), Bpos.of(1, 100), 1, 5);
        ByteBuffer image = image(leaf);
        NodePointer ptr = pointerTo(leaf, image);
        expectTopology(image, new NodePointer(Bpos.of(1, 1), ptr.maxKey(), OFFSET, SEQ,
                ptr.crc32c(), 0), BtreeId.TEST0, "min key");
        expectTopology(image, new NodePointer(ptr.minKey(), Bpos.of(1, 99), OFFSET, SEQ,
                ptr.crc32c(), 0), BtreeId.TEST0, "max key");
        expectTopology(image, new NodePointer(ptr.minKey(), ptr.maxKey(), OFFSET, SEQ + 1,
                ptr.crc32c(), 0), BtreeId.TEST0, "seq");
        expectTopology(image, new NodePointer(ptr.minKey(), ptr.maxKey(), OFFSET, SEQ,
                ptr.crc32c(), 1), BtreeId.TEST0, "level");
        expectTopology(image, ptr, BtreeId.TEST1, "btree id");
        ChecksumException e = assertThrows(ChecksumException.class, () -> NodeCodec.decode(
                image, withCrc(ptr, ptr.crc32c() + 1), BtreeId.TEST0, false));
        assertTrue(e.getMessage().contains("not the image the pointer"), e.getMessage());
    }

    private static void expectTopology(ByteBuffer image, NodePointer ptr, BtreeId id,
            String field) {
        TopologyException e = assertThrows(TopologyException.class,
                () -> NodeCodec.decode(image, ptr, id, false));
        String m = e.getMessage();
        assertTrue(m.contains(field + " differ"), m);
        assertTrue(m.contains("btree " + id + " level " + ptr.level()), m);
        assertTrue(m.contains("[" + ptr.minKey() + ".." + ptr.maxKey() + "]"), m);
        assertTrue(m.contains("offset " + OFFSET), m);
        assertEquals(OFFSET, e.offsetBytes());
    }

    @Test
    void badKeysUnderAValidChecksumAreTopologyErrors() throws KeelException {
        expectBadKeys(leaf(Bpos.MIN, Bpos.MAX, 5, 1), true, "not after");
        expectBadKeys(leaf(Bpos.MIN, Bpos.MAX, 5, 5), true, "not after");
        expectBadKeys(leaf(Bpos.of(1, 2), Bpos.MAX, 1), true, "outside");
        expectBadKeys(leaf(Bpos.MIN, Bpos.of(1, 2), 3), true, "outside");
        expectBadKeys(leaf(Bpos.MIN, Bpos.of(1, 2)), false, "empty node below the root");
        LeafNode deleted = new LeafNode(BtreeId.TEST0, Bpos.MIN, Bpos.MAX, 1);
        deleted.append(1, 1, 0, KeyType.DELETED, new byte[0]);
        expectBadKeys(deleted, true, "deletion");

        Bpos split = Bpos.of(5, 5);
        InteriorNode gap = new InteriorNode(BtreeId.TEST0, 1, Bpos.MIN, Bpos.MAX, 2);
        gap.insert(0, split, new NodePointer(Bpos.MIN, split, 8192, 3, 9, 0), null);
        gap.insert(1, Bpos.MAX, new NodePointer(Bpos.of(5, 7), Bpos.MAX, 16384, 4, 8, 0), null);
        expectBadKeys(gap, true, "does not tile");
        InteriorNode level = new InteriorNode(BtreeId.TEST0, 2, Bpos.MIN, Bpos.MAX, 1);
        level.insert(0, Bpos.MAX, new NodePointer(Bpos.MIN, Bpos.MAX, 8192, 3, 9, 0), null);
        expectBadKeys(level, true, "does not tile");
        InteriorNode shortRange = new InteriorNode(BtreeId.TEST0, 1, Bpos.MIN, Bpos.MAX, 1);
        shortRange.insert(0, split, new NodePointer(Bpos.MIN, split, 8192, 3, 9, 0), null);
        expectBadKeys(shortRange, true, "last child ends");
    }

    private static void expectBadKeys(Node node, boolean root, String problem)
            throws KeelException {
        ByteBuffer image = image(node);
        TopologyException e = assertThrows(TopologyException.class,
                () -> NodeCodec.decode(image, pointerTo(node, image), BtreeId.TEST0, root));
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        assertTrue(e.getMessage().contains("btree TEST0 level " + node.level), e.getMessage());
    }

    @Test
    void impossibleCountsAndTrailingBytesAreTopologyErrors() throws KeelException {
        LeafNode leaf = leaf(Bpos.MIN, Bpos.MAX, 1, 2);
        ByteBuffer image = image(leaf);
        NodePointer ptr = pointerTo(leaf, image);
        image.putInt(16, 1 << 20);
        int crc = reseal(image);
        CorruptException e = assertThrows(TopologyException.class,
                () -> NodeCodec.decode(image, withCrc(ptr, crc), BtreeId.TEST0, true));
        assertTrue(e.getMessage().contains("key count"), e.getMessage());

        ByteBuffer trailing = image(leaf);
        trailing.putInt(20, leaf.usedBytes() + 30);
        int crc2 = reseal(trailing);
        e = assertThrows(TopologyException.class,
                () -> NodeCodec.decode(trailing, withCrc(ptr, crc2), BtreeId.TEST0, true));
        assertTrue(e.getMessage().contains("after the last key"), e.getMessage());

        ByteBuffer truncated = image(leaf);
        truncated.putInt(20, leaf.usedBytes() - 1);
        int crc3 = reseal(truncated);
        assertThrows(TopologyException.class,
                () -> NodeCodec.decode(truncated, withCrc(ptr, crc3), BtreeId.TEST0, true));
    }

    @Test
    void tooLargeANodeIsAnInconsistencyNotAnOverflow() {
        LeafNode leaf = new LeafNode(BtreeId.TEST0, Bpos.MIN, Bpos.MAX, 0);
        for (int i = 0; i < 10; i++) {
            leaf.append(1, i, 0, KeyType.BLOB, new byte[500]);
        }
        assertThrows(io.keelfs.error.InconsistentException.class, () -> image(leaf));
        assertTrue(leaf.usedBytes() > NODE_BYTES);
        assertTrue(new Bkey(Bpos.MIN, KeyType.BLOB, new byte[500]).encodedBytes() > 500);
    }
}
