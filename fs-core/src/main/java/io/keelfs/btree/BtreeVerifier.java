package io.keelfs.btree;

import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bpos;
import io.keelfs.format.KeyType;
import io.keelfs.format.NodePointer;

/**
 * The whole-tree self-check behind {@link Btree#verify()} and the dump behind
 * {@link Btree#appendTo}. Checks, for every node: level, range as the parent says, size within
 * the node, non-empty unless root; leaf keys ascending, inside the range, none deleted, none
 * too large; interior children tiling the range, each either pinned and dirty or a pointer
 * whose range and level match; a clean node pins no dirty child; the dirty node count.
 *
 * <p>Reads the whole tree (clean nodes through the cache). A broken invariant is an
 * {@link InconsistentException} naming the btree, level and range.
 *
 * <p>Thread-safety: a verifier is used by one thread, under the caller's read lock.
 */
final class BtreeVerifier {
    /** Lines of {@link #appendTo} output, so a dump of a huge tree stays readable. */
    private static final int DUMP_LINES_MAX = 200;

    private final Btree tree;
    private long keys;
    private int dirtyNodes;
    private int dumpLines;

    private BtreeVerifier(Btree tree) {
        this.tree = tree;
    }

    /** Verifies {@code tree} and returns its key count. */
    static long verify(Btree tree) throws KeelException {
        BtreeVerifier v = new BtreeVerifier(tree);
        Node root = tree.rootNode();
        v.check(root, (tree.dirtyRoot != null) == root.dirty,
                "root dirtiness disagrees with the tree");
        v.node(root, Bpos.MIN, Bpos.MAX, root.level, true);
        if (v.dirtyNodes != tree.dirtyNodeCount) {
            throw new InconsistentException(String.format(
                    "btree %s has %d dirty nodes, counted %d", tree.id, v.dirtyNodes,
                    tree.dirtyNodeCount));
        }
        return v.keys;
    }

    private void node(Node node, Bpos min, Bpos max, int level, boolean isRoot)
            throws KeelException {
        check(node, node.level == level, "level differs from the expected " + level);
        check(node, node.minKey.equals(min) && node.maxKey.equals(max),
                "range differs from the parent's [" + min + ".." + max + "]");
        check(node, node.usedBytes() <= tree.nodeSizeBytes, "larger than a node");
        check(node, isRoot || node.count() > 0, "empty below the root");
        check(node, node.btreeId == tree.id, "belongs to btree " + node.btreeId);
        if (node.dirty) {
            dirtyNodes++;
        }
        if (node instanceof LeafNode leaf) {
            leaf(leaf);
        } else {
            interior((InteriorNode) node);
        }
    }

    private void leaf(LeafNode leaf) throws InconsistentException {
        for (int i = 0; i < leaf.count(); i++) {
            Bpos pos = leaf.pos(i);
            check(leaf, i == 0 || leaf.compareAt(i - 1, pos) < 0, "key " + pos + " out of order");
            check(leaf, pos.compareTo(leaf.minKey) >= 0 && pos.compareTo(leaf.maxKey) <= 0,
                    "key " + pos + " outside the range");
            check(leaf, leaf.type(i) != KeyType.DELETED, "deleted key at " + pos);
            check(leaf, leaf.keyBytes(i) <= tree.keyBytesMax, "oversized key at " + pos);
        }
        keys += leaf.count();
    }

    private void interior(InteriorNode node) throws KeelException {
        check(node, node.childMax(node.count() - 1).equals(node.maxKey),
                "last child does not end at the node's max");
        for (int i = 0; i < node.count(); i++) {
            Bpos min = node.childMin(i);
            Bpos max = node.childMax(i);
            check(node, min.compareTo(max) <= 0, "child " + i + " has range " + min + ".." + max);
            check(node, i == node.count() - 1 || !max.isMax(), "child " + i + " ends at MAX");
            Node child = node.dirtyChild(i);
            if (child == null) {
                NodePointer ptr = node.ptr(i);
                check(node, ptr != null, "child " + i + " neither pinned nor on disk");
                check(node, ptr.minKey().equals(min) && ptr.maxKey().equals(max)
                        && ptr.level() == node.level - 1, "child " + i + " pointer " + ptr
                        + " does not match [" + min + ".." + max + "]");
                child = tree.load(ptr, false);
                check(child, !child.dirty, "dirty node reached through the cache");
            } else {
                check(node, node.dirty, "clean node pins dirty child " + i);
                check(child, child.dirty, "pinned child is clean");
            }
            node(child, min, max, node.level - 1, false);
        }
    }

    private void check(Node node, boolean ok, String problem) throws InconsistentException {
        if (!ok) {
            throw new InconsistentException(String.format(
                    "btree %s verify: level %d node [%s..%s] (%s, image %s): %s", tree.id,
                    node.level, node.minKey, node.maxKey, node.dirty ? "dirty" : "clean",
                    node.onDisk, problem));
        }
    }

    static void appendTo(Btree tree, StringBuilder out) {
        out.append("btree ").append(tree.id).append(": root ").append(tree.root())
                .append(", ").append(tree.dirtyNodeCount).append(" dirty nodes, ")
                .append(tree.nodeSizeBytes).append("-byte nodes\n");
        if (tree.dirtyRoot != null) {
            new BtreeVerifier(tree).dump(tree.dirtyRoot, 1, out);
        }
    }

    /** Dumps the dirty (in-memory) part of the tree; clean children appear as pointers. */
    private void dump(Node node, int depth, StringBuilder out) {
        if (dumpLines++ >= DUMP_LINES_MAX) {
            return;
        }
        out.append("  ".repeat(depth));
        node.appendSummaryTo(out);
        if (node instanceof LeafNode leaf && leaf.count() > 0) {
            out.append(", keys ").append(leaf.pos(0)).append("..")
                    .append(leaf.pos(leaf.count() - 1));
        }
        out.append('\n');
        if (node instanceof InteriorNode interior) {
            for (int i = 0; i < interior.count() && dumpLines < DUMP_LINES_MAX; i++) {
                Node child = interior.dirtyChild(i);
                if (child != null) {
                    dump(child, depth + 1, out);
                } else {
                    dumpLines++;
                    out.append("  ".repeat(depth + 1)).append(interior.ptr(i)).append('\n');
                }
            }
        }
        if (dumpLines == DUMP_LINES_MAX) {
            out.append("  ...\n");
            dumpLines++;
        }
    }
}
