package io.keelfs.fsck;

import io.keelfs.error.KeelException;
import io.keelfs.fs.FileMode;
import io.keelfs.fs.Filesystem;
import io.keelfs.fs.inode.Inode;
import io.keelfs.fs.inode.InodeTable;
import io.keelfs.fs.names.Dirent;
import io.keelfs.fs.names.Dirents;
import io.keelfs.fs.names.NameHash;
import io.keelfs.txn.Transaction;
import java.nio.charset.StandardCharsets;

/**
 * /lost+found: where fsck links what it found unreachable, as {@code #<ino>}. Made (mode 0700,
 * owned by root) in the same transaction as the first reattachment when the root has none.
 *
 * <p>Thread-safety: stateless; runs inside the caller's transaction.
 */
final class LostAndFound {
    static final int MODE = FileMode.S_IFDIR | 0700;
    /** Name suffixes tried when {@code #ino} is taken. */
    static final int NAME_TRIES_MAX = 16;

    private LostAndFound() {}

    /**
     * Links inode {@code ino} into /lost+found; first removes {@code cut} (the dirent that
     * closed a directory loop), if given. A directory's parent pointer and the link counts of
     * lost+found follow; a file (reattached only when no dirent names it) gets nlink 1, its
     * one name now, which the nlink check of this run would not fix: it skipped the file.
     */
    static void reattach(Transaction t, long ino, Dirent cut) throws KeelException {
        Dirents dirents = new Dirents(NameHash.SIPHASH);
        if (cut != null) {
            dirents.remove(t, cut);
        }
        InodeTable table = InodeTable.load(t, Filesystem.ROOT_INO);
        long lf = lostAndFound(t, table, dirents);
        Inode inode = table.getOrNull(t, ino);
        if (inode == null) {
            return;
        }
        byte[] name = null;
        for (int i = 0; i < NAME_TRIES_MAX && name == null; i++) {
            byte[] n = ("#" + ino + (i == 0 ? "" : "." + i)).getBytes(StandardCharsets.UTF_8);
            if (dirents.lookup(t, lf, n) == null) {
                name = n;
            }
        }
        if (name == null) {
            throw new io.keelfs.error.InconsistentException("no free name for inode " + ino
                    + " in /lost+found");
        }
        dirents.insert(t, lf, name, ino, inode.mode());
        if (inode.isDirectory()) {
            table.put(t, inode.withParent(lf));
            Inode dir = table.getOrNull(t, lf);
            table.put(t, dir.withNlink(dir.nlink() + 1));
        } else {
            table.put(t, inode.withParent(lf).withNlink(1));
        }
    }

    private static long lostAndFound(Transaction t, InodeTable table, Dirents dirents)
            throws KeelException {
        byte[] name = NamespacePass.LOST_AND_FOUND.getBytes(StandardCharsets.UTF_8);
        Dirent d = dirents.lookup(t, Filesystem.ROOT_INO, name);
        if (d != null) {
            Inode existing = table.getOrNull(t, d.childIno());
            if (existing != null && existing.isDirectory()) {
                return existing.ino();
            }
            dirents.remove(t, d);
        }
        long ino = table.allocate();
        long now = System.currentTimeMillis() * 1_000_000L;
        table.insertNew(t, Inode.create(ino, MODE, 0, 0, 2, 0, Filesystem.ROOT_INO, now));
        dirents.insert(t, Filesystem.ROOT_INO, name, ino, MODE);
        Inode root = table.getOrNull(t, Filesystem.ROOT_INO);
        table.put(t, root.withNlink(root.nlink() + 1));
        return ino;
    }
}
