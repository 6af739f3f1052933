package io.keelfs.engine;

import io.keelfs.format.Bkey;
import java.util.List;

/**
 * What fsck saved of a btree with damaged nodes, for the engine to rebuild it from (bcachefs
 * check_topology drops an unreadable node and repairs its siblings' ranges; here the tree is
 * rebuilt from every leaf still readable, which gives the same keys): the open starts that
 * btree empty, puts these keys, then replays the journal over them, so newer updates win. The
 * rebuilt tree lives in memory until a checkpoint writes it into fresh node slots; the old
 * nodes' slots stay in use for the life of the engine, so a crash before the new roots are
 * durable leaves the old tree as it was for the next fsck.
 *
 * @param keys the live keys of the readable leaves and of the leaves fsck's node scan found
 *     under damaged interior nodes, in key order
 * @param nodeOffsets the slots of the old tree's readable nodes and of those found leaves
 *     (kept in use, never rewritten)
 */
public record TreeSalvage(List<Bkey> keys, long[] nodeOffsets) {
    public TreeSalvage {
        keys = List.copyOf(keys);
        nodeOffsets = nodeOffsets.clone();
    }
}
