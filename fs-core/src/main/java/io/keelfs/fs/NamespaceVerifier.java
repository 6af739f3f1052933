package io.keelfs.fs;

import io.keelfs.engine.Engine;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.fs.inode.Inode;
import io.keelfs.fs.inode.InodeCodec;
import io.keelfs.fs.names.Dirent;
import io.keelfs.txn.Transaction;
import io.keelfs.txn.TransactionIterator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Full-scan check of the namespace invariants (for tests and fsck): every dirent names an
 * existing inode of the type it records; a file's nlink equals the dirents naming it; a
 * directory is named once, its nlink is 2 + its subdirectories and its parent pointer names
 * the directory holding it; an inode named by nothing has nlink 0 and is in the orphans
 * btree; the inode count key matches the inodes. Reads everything in one read transaction,
 * so the result is one consistent snapshot.
 *
 * <p>Entry point: {@link #verify}. Thread-safety: stateless.
 */
public final class NamespaceVerifier {
    /** Keys one scan reads per btree before giving up (the result then says so). */
    public static final long SCAN_KEYS_MAX = 10_000_000;

    private NamespaceVerifier() {}

    /** The problems found, one message each naming the inode; empty when consistent. */
    public static List<String> verify(Engine engine) throws KeelException {
        return engine.read(NamespaceVerifier::verify);
    }

    static List<String> verify(Transaction txn) throws KeelException {
        List<String> problems = new ArrayList<>();
        Map<Long, Inode> inodes = new HashMap<>();
        long counted = -1;
        TransactionIterator it = txn.iterator(BtreeId.INODES, Bpos.MIN);
        for (long n = 0; n < SCAN_KEYS_MAX; n++) {
            Bkey k = it.next();
            if (k == null) {
                break;
            }
            if (k.type() == KeyType.FS_COUNTERS) {
                counted = java.nio.ByteBuffer.wrap(k.value()).getLong();
                continue;
            }
            inodes.put(k.pos().inode(), InodeCodec.decode(k.pos().inode(), k.value()));
        }
        if (counted != inodes.size()) {
            problems.add("inode count key says " + counted + ", found " + inodes.size());
        }
        Map<Long, Integer> names = new HashMap<>();
        Map<Long, Integer> subdirs = new HashMap<>();
        Map<Long, Long> heldIn = new HashMap<>();
        it = txn.iterator(BtreeId.DIRENTS, Bpos.MIN);
        for (long n = 0; n < SCAN_KEYS_MAX; n++) {
            Bkey k = it.next();
            if (k == null) {
                break;
            }
            if (k.type() != KeyType.DIRENT) {
                continue;
            }
            Dirent d = Dirent.decode(k);
            Inode child = inodes.get(d.childIno());
            Inode dir = inodes.get(d.dirIno());
            if (child == null || dir == null || !dir.isDirectory()) {
                problems.add("dirent " + d.nameString() + " in " + d.dirIno() + " -> "
                        + d.childIno() + ": directory or child missing");
                continue;
            }
            if (FileMode.type(child.mode()) != d.typeBits()) {
                problems.add("dirent " + d.nameString() + " in " + d.dirIno()
                        + " records type " + Integer.toOctalString(d.typeBits())
                        + ", inode " + child.ino() + " is " + Integer.toOctalString(child.mode()));
            }
            names.merge(child.ino(), 1, Integer::sum);
            if (child.isDirectory()) {
                subdirs.merge(dir.ino(), 1, Integer::sum);
                heldIn.put(child.ino(), dir.ino());
            }
        }
        Set<Long> orphans = new HashSet<>();
        it = txn.iterator(BtreeId.ORPHANS, Bpos.MIN);
        for (Bkey k = it.next(); k != null && orphans.size() < SCAN_KEYS_MAX; k = it.next()) {
            orphans.add(k.pos().inode());
        }
        for (Inode i : inodes.values()) {
            checkInode(i, names.getOrDefault(i.ino(), 0), subdirs.getOrDefault(i.ino(), 0),
                    heldIn.get(i.ino()), orphans.contains(i.ino()), problems);
        }
        return problems;
    }

    private static void checkInode(Inode i, int names, int subdirs, Long heldIn,
            boolean orphan, List<String> problems) {
        StringBuilder b = new StringBuilder();
        i.appendTo(b);
        String what = b.toString();
        boolean root = i.ino() == Filesystem.ROOT_INO;
        if (names == 0 && !root) {
            if (i.nlink() != 0 || !orphan) {
                problems.add(what + ": named by no dirent but nlink " + i.nlink()
                        + (orphan ? "" : " and not in the orphans btree"));
            }
            return;
        }
        if (i.isDirectory()) {
            if (!root && names != 1) {
                problems.add(what + ": directory named by " + names + " dirents");
            }
            if (i.nlink() != 2 + subdirs) {
                problems.add(what + ": directory nlink, expected 2 + " + subdirs);
            }
            long parent = root ? Filesystem.ROOT_INO : heldIn;
            if (i.parentIno() != parent) {
                problems.add(what + ": parent pointer, expected " + parent);
            }
        } else if (i.nlink() != names) {
            problems.add(what + ": nlink, expected " + names + " (dirents naming it)");
        }
    }
}
