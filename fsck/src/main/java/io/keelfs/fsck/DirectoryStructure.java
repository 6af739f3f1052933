package io.keelfs.fsck;

import io.keelfs.fs.FileMode;
import io.keelfs.fs.Filesystem;
import io.keelfs.fs.names.Dirent;

/**
 * Directory structure: walks each directory's one parent (the directory holding its dirent)
 * up toward the root. A directory named by nothing, or whose parent chain ends at one, is
 * unreachable; a chain that comes back to itself is a loop. Each unreachable subtree's top
 * (and each loop's entry, after cutting the dirent that closes the loop) is linked into
 * /lost+found; what is below comes back with it.
 *
 * <p>Bounded: each directory is walked once (its state is kept in the index), so the whole
 * check is linear; the only other memory is the path of one walk.
 */
final class DirectoryStructure {
    private static final byte UNKNOWN = 0;
    private static final byte WALKING = 1;
    private static final byte REACHABLE = 2;
    private static final byte DETACHED = 3;

    private DirectoryStructure() {}

    static void check(InodeIndex idx, Findings findings) {
        int[] path = new int[64];
        for (int i = 0; i < idx.count(); i++) {
            if (!FileMode.isDirectory(idx.mode(i)) || idx.get(i, InodeIndex.STATE) != UNKNOWN) {
                continue;
            }
            int depth = 0;
            int at = i;
            byte outcome;
            while (true) {
                if (idx.ino(at) == Filesystem.ROOT_INO
                        || idx.get(at, InodeIndex.STATE) == REACHABLE) {
                    outcome = REACHABLE;
                    break;
                }
                if (idx.get(at, InodeIndex.STATE) == DETACHED) {
                    outcome = DETACHED;
                    break;
                }
                if (idx.get(at, InodeIndex.STATE) == WALKING) {
                    loop(idx, at, findings);
                    outcome = DETACHED;
                    break;
                }
                idx.set(at, InodeIndex.STATE, WALKING);
                if (depth == path.length) {
                    path = java.util.Arrays.copyOf(path, 2 * depth);
                }
                path[depth++] = at;
                long holder = idx.get(at, InodeIndex.HELD_IN);
                int up = holder == 0 ? -1 : idx.find(holder);
                if (up < 0) {
                    unreachable(idx, at, findings);
                    outcome = DETACHED;
                    break;
                }
                at = up;
            }
            for (int j = 0; j < depth; j++) {
                idx.set(path[j], InodeIndex.STATE, outcome);
            }
        }
    }

    private static void unreachable(InodeIndex idx, int at, Findings findings) {
        long ino = idx.get(at, InodeIndex.INO);
        findings.add("directory-unreachable", "directory " + ino, "named by no dirent"
                + " reachable from the root; link it into /" + NamespacePass.LOST_AND_FOUND,
                t -> LostAndFound.reattach(t, ino, null));
    }

    private static void loop(InodeIndex idx, int at, Findings findings) {
        long ino = idx.get(at, InodeIndex.INO);
        long holder = idx.get(at, InodeIndex.HELD_IN);
        long slot = idx.get(at, InodeIndex.HELD_AT);
        findings.add("directory-loop", "directory " + ino, "its parent chain (through"
                + " directory " + holder + ") comes back to it; cut the entry at slot " + slot
                + " of " + holder + " and link it into /" + NamespacePass.LOST_AND_FOUND,
                t -> {
                    io.keelfs.format.Bkey k = t.get(io.keelfs.format.BtreeId.DIRENTS,
                            io.keelfs.format.Bpos.of(holder, slot));
                    Dirent cut = k == null ? null : Dirent.decode(k);
                    LostAndFound.reattach(t, ino, cut);
                });
    }
}
