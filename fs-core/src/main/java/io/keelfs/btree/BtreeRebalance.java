package io.keelfs.btree;

import com.google.common.base.Preconditions;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bpos;
import io.keelfs.format.NodePointer;

/**
 * Keeps node sizes in bounds after a change to a leaf: splits overfull nodes up the path,
 * merges or redistributes underfull ones with a sibling, and collapses a root with one child.
 *
 * <p>Entry points: {@link #plan} (before the change: reads the siblings a merge will need, the
 * only step that may fail) and {@link #afterChange} (after it: pure in-memory work).
 *
 * <p>Bounds: every key is at most a quarter of a node's key space, so one split of an
 * overfull node always yields two halves that fit, and a node overflows by at most one key or
 * child entry. A non-root node under {@code underfullBytes} (a quarter node) merges with its
 * sibling when the result fits in {@code mergedBytesMax} (three quarters, so a merge is not
 * undone by the next insert); otherwise the two share their keys evenly, each then holding
 * over three eighths. Only a merge shrinks the parent, so only a merge may cascade upward.
 *
 * <p>Thread-safety: runs under the caller's exclusive lock.
 */
final class BtreeRebalance {
    private BtreeRebalance() {}

    /** Siblings read before a change, by level, and whether each level merges or shares. */
    record MergePlan(Node[] siblings, int[] siblingIndex, boolean[] merge, int levels) {}

    /**
     * Reads the siblings the underfull nodes on {@code path} will need once the leaf uses
     * {@code leafUsedAfter} bytes; null when there is nothing to do.
     */
    static MergePlan plan(Btree tree, Btree.Path path, int leafUsedAfter) throws KeelException {
        int top = path.top;
        Node[] siblings = new Node[top];
        int[] siblingIndex = new int[top];
        boolean[] merge = new boolean[top];
        int levels = 0;
        int usedAfter = leafUsedAfter;
        for (int level = 0; level < top; level++) {
            InteriorNode parent = (InteriorNode) path.nodes[level + 1];
            if (parent.count() < 2) {
                break; // no sibling: only in a tree read from disk; leave the node underfull
            }
            int i = path.index[level];
            int s = i > 0 ? i - 1 : i + 1;
            Node sibling = tree.child(parent, s);
            siblings[level] = sibling;
            siblingIndex[level] = s;
            merge[level] = usedAfter + Node.keysBytes(sibling.usedBytes()) <= tree.mergedBytesMax;
            levels = level + 1;
            if (!merge[level]) {
                break;
            }
            usedAfter = parent.usedBytes() - InteriorNode.ENTRY_BYTES;
            if (level + 1 == top || usedAfter >= tree.underfullBytes) {
                break;
            }
        }
        return levels == 0 ? null : new MergePlan(siblings, siblingIndex, merge, levels);
    }

    /** Restores the size bounds after the leaf at {@code path.nodes[0]} changed. */
    static void afterChange(Btree tree, Btree.Path path, MergePlan plan) {
        if (path.nodes[0].usedBytes() > tree.nodeSizeBytes) {
            splitUp(tree, path);
        } else if (plan != null) {
            mergeUp(tree, path, plan);
        }
        collapseRoot(tree);
    }

    private static void splitUp(Btree tree, Btree.Path path) {
        for (int level = 0; level <= path.top; level++) {
            Node node = path.nodes[level];
            if (node.usedBytes() <= tree.nodeSizeBytes) {
                return;
            }
            Node right = split(tree, node);
            if (level == path.top) {
                growRoot(tree, node, right);
                return;
            }
            InteriorNode parent = (InteriorNode) path.nodes[level + 1];
            int i = path.index[level];
            parent.setChildMax(i, node.maxKey);
            parent.insert(i + 1, right.maxKey, null, right);
        }
    }

    /** Moves the upper half of {@code node} to a new right sibling and returns it. */
    private static Node split(Btree tree, Node node) {
        Node right;
        if (node instanceof LeafNode leaf) {
            int m = leaf.splitIndex(Node.keysBytes(leaf.usedBytes()) / 2);
            LeafNode r = new LeafNode(tree.id, leaf.maxKey, leaf.maxKey, leaf.count() - m);
            LeafNode.moveKeys(leaf, m, r, 0, leaf.count() - m);
            leaf.maxKey = leaf.pos(leaf.count() - 1);
            right = r;
        } else {
            InteriorNode interior = (InteriorNode) node;
            int m = interior.count() / 2;
            InteriorNode r = new InteriorNode(tree.id, interior.level, interior.maxKey,
                    interior.maxKey, interior.count() - m);
            InteriorNode.moveChildren(interior, m, r, 0, interior.count() - m);
            interior.maxKey = interior.childMax(interior.count() - 1);
            right = r;
        }
        right.minKey = node.maxKey.successor();
        tree.adoptNew(right);
        tree.splits++;
        Preconditions.checkState(node.usedBytes() <= tree.nodeSizeBytes
                        && right.usedBytes() <= tree.nodeSizeBytes,
                "btree %s split of a level %s node left %s and %s bytes, node size %s",
                tree.id, node.level, node.usedBytes(), right.usedBytes(), tree.nodeSizeBytes);
        return right;
    }

    private static void growRoot(Btree tree, Node left, Node right) {
        Preconditions.checkState(left.level < NodePointer.LEVEL_MAX,
                "btree %s would grow past level %s", tree.id, NodePointer.LEVEL_MAX);
        InteriorNode root = new InteriorNode(tree.id, left.level + 1, Bpos.MIN, Bpos.MAX, 4);
        root.insert(0, left.maxKey, null, left);
        root.insert(1, right.maxKey, null, right);
        tree.adoptNew(root);
        tree.dirtyRoot = root;
    }

    private static void mergeUp(Btree tree, Btree.Path path, MergePlan plan) {
        for (int level = 0; level < plan.levels(); level++) {
            InteriorNode parent = (InteriorNode) path.nodes[level + 1];
            int i = path.index[level];
            int s = plan.siblingIndex()[level];
            Node sibling = plan.siblings()[level];
            tree.markDirtyChild(parent, s, sibling);
            Node left = s < i ? sibling : path.nodes[level];
            Node right = s < i ? path.nodes[level] : sibling;
            int leftIndex = Math.min(i, s);
            if (plan.merge()[level]) {
                merge(left, right);
                parent.setChildMax(leftIndex, left.maxKey);
                parent.remove(leftIndex + 1);
                tree.discard(right);
                tree.merges++;
            } else {
                redistribute(left, right);
                parent.setChildMax(leftIndex, left.maxKey);
                tree.redistributions++;
            }
        }
    }

    private static void merge(Node left, Node right) {
        if (left instanceof LeafNode l) {
            LeafNode r = (LeafNode) right;
            LeafNode.moveKeys(r, 0, l, l.count(), r.count());
        } else {
            InteriorNode l = (InteriorNode) left;
            InteriorNode r = (InteriorNode) right;
            InteriorNode.moveChildren(r, 0, l, l.count(), r.count());
        }
        left.maxKey = right.maxKey;
    }

    /** Evens out the bytes of two adjacent siblings, each keeping at least one entry. */
    private static void redistribute(Node left, Node right) {
        if (left instanceof LeafNode l) {
            LeafNode r = (LeafNode) right;
            long target = (Node.keysBytes(l.usedBytes()) + Node.keysBytes(r.usedBytes())) / 2;
            long leftBytes = Node.keysBytes(l.usedBytes());
            if (leftBytes > target) {
                int m = l.splitIndex(target);
                LeafNode.moveKeys(l, m, r, 0, l.count() - m);
            } else {
                int k = 0;
                while (k < r.count() - 1 && leftBytes < target) {
                    leftBytes += r.keyBytes(k);
                    k++;
                }
                LeafNode.moveKeys(r, 0, l, l.count(), k);
            }
            l.maxKey = l.pos(l.count() - 1);
        } else {
            InteriorNode l = (InteriorNode) left;
            InteriorNode r = (InteriorNode) right;
            int leftTarget = (l.count() + r.count()) / 2;
            if (l.count() > leftTarget) {
                InteriorNode.moveChildren(l, leftTarget, r, 0, l.count() - leftTarget);
            } else {
                InteriorNode.moveChildren(r, 0, l, l.count(), leftTarget - l.count());
            }
            l.maxKey = l.childMax(l.count() - 1);
        }
        right.minKey = left.maxKey.successor();
    }

    private static void collapseRoot(Btree tree) {
        while (tree.dirtyRoot instanceof InteriorNode root
                && root.count() == 1
                && root.dirtyChild(0) != null) {
            Node child = root.dirtyChild(0);
            tree.discard(root);
            tree.dirtyRoot = child;
            tree.rootCollapses++;
        }
    }
}
