package io.keelfs.btree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.error.ChecksumException;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.BtreeId;
import io.keelfs.format.NodeHeader;
import io.keelfs.format.NodePointer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link FoundNode}: a node image read without a pointer gives back the header its parent's
 * pointer holds and, for a leaf, exactly the keys a walk reads; an empty slot is no node; a
 * flipped byte inside the keys is a checksum error. Covers the image checks only, not fsck's
 * choice among found nodes (fsck's corpus tests).
 */
class FoundNodeTest {
    private static final int NODE_BYTES = 4096;

    @Test
    void foundImagesMatchTheirPointersAndKeys() throws Exception {
        BtreeFixture f = new BtreeFixture(NODE_BYTES, 64, 1 << 20);
        Btree tree = Btree.empty(BtreeId.TEST0, f.store, f.cache, NODE_BYTES);
        for (int i = 0; i < 400; i++) {
            tree.put(BtreeFixture.key(i, 0, 24));
        }
        tree.checkpoint(1);
        List<NodePointer> nodes = new ArrayList<>();
        List<Bkey> walked = new ArrayList<>();
        TreeCheck.walk(tree, new TreeCheck.Sink() {
            @Override
            public void damaged(BtreeId b, NodePointer p, KeelException e) {
                throw new AssertionError(p + ": " + e);
            }

            @Override
            public void node(BtreeId b, NodePointer p) {
                nodes.add(p);
            }

            @Override
            public void key(BtreeId b, Bkey k) {
                walked.add(k);
            }

            @Override
            public boolean wantsKeys() {
                return true;
            }
        });
        assertTrue(nodes.get(0).level() >= 1, "a tree of two levels at least");
        List<Bkey> found = new ArrayList<>();
        for (NodePointer p : nodes) {
            ByteBuffer image = read(f, p.offsetBytes());
            FoundNode n = FoundNode.ofHeader(image, p.offsetBytes());
            assertNotNull(n, p.toString());
            assertEquals(p, n.pointer());
            assertEquals(1, n.checkpointSeq());
            found.addAll(n.decodeKeys(image));
        }
        assertEquals(walked, found);
        assertNull(FoundNode.ofHeader(read(f, 0), 0), "the unused slot holds zeros");

        NodePointer leaf = nodes.get(nodes.size() - 1);
        ByteBuffer image = read(f, leaf.offsetBytes());
        int at = NodeHeader.HEADER_BYTES + 5;
        image.put(at, (byte) (image.get(at) ^ 1));
        FoundNode n = FoundNode.ofHeader(image, leaf.offsetBytes());
        assertNotNull(n, "the header is intact");
        assertThrows(ChecksumException.class, () -> n.decodeKeys(image));
    }

    private static ByteBuffer read(BtreeFixture f, long offset) {
        ByteBuffer image = ByteBuffer.allocate(NODE_BYTES);
        f.device.read(offset, image);
        return image.clear();
    }
}
