package io.keelfs.fs.xattr;

import io.keelfs.error.Errno;
import io.keelfs.error.FsException;
import io.keelfs.error.KeelException;
import io.keelfs.error.KeyCorruptException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.fs.FsConstants;
import io.keelfs.fs.names.HashedSlots;
import io.keelfs.fs.names.NameHash;
import io.keelfs.txn.Transaction;
import io.keelfs.txn.TransactionIterator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Extended attributes and symlink targets of inodes, in {@link BtreeId#XATTRS}.
 *
 * <p>An xattr is one key at (ino, slot, 0) hashed by its full name ({@link HashedSlots});
 * value: name length u8, name (UTF-8, with its namespace prefix), value bytes. So a value may
 * hold {@code Bkey.VALUE_BYTES_MAX - 1 - nameBytes} bytes (less when the btree's nodes are too
 * small for a full key); more is E2BIG. Namespaces user.,
 * trusted. and security. are kept; others are EOPNOTSUPP.
 *
 * <p>A symlink's target is the key at (ino, 0, 0), type SYMLINK, value = the target bytes (at
 * most {@link FsConstants#PATH_LENGTH_MAX}, which one key holds): one point read for
 * readlink, and it goes away with the inode's xattrs.
 *
 * <p>Thread-safety: stateless; runs inside the caller's transaction.
 */
public final class Xattrs {
    /** Slot 0 holds the symlink target. */
    public static final long OFFSET_MIN = 1;
    /**
     * Keys removed per transaction when an inode goes away: 64 deletions of ~45 journal bytes
     * each (3 KiB) leave a 16 KiB journal entry room for the extents freed alongside.
     */
    public static final int REMOVE_BATCH_MAX = 64;
    private static final String[] NAMESPACES = {"user.", "trusted.", "security."};

    private final HashedSlots slots;
    private final int valueBytesMax;

    /**
     * @param keyBytesMax the largest key the xattrs btree takes (header and value): one key
     *     is {@link Bkey#VALUE_BYTES_MAX} at most, less with small btree nodes
     */
    public Xattrs(NameHash hash, int keyBytesMax) {
        this.slots = new HashedSlots(BtreeId.XATTRS, OFFSET_MIN, hash, Xattrs::nameOf);
        this.valueBytesMax = Math.min(Bkey.VALUE_BYTES_MAX, keyBytesMax - Bkey.HEADER_BYTES);
    }

    /** The longest symlink target one key holds: PATH_MAX, or less with small nodes. */
    public int symlinkBytesMax() {
        return Math.min(FsConstants.PATH_LENGTH_MAX, valueBytesMax);
    }

    /** Checks a name: ERANGE (empty or over 255 bytes), EOPNOTSUPP (namespace). */
    public static byte[] checkName(String name, String path) throws FsException {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length == 0 || bytes.length > FsConstants.XATTR_NAME_LENGTH_MAX) {
            throw new FsException(Errno.ERANGE, path + ": xattr name of " + bytes.length
                    + " bytes not in [1, " + FsConstants.XATTR_NAME_LENGTH_MAX + "]");
        }
        for (String ns : NAMESPACES) {
            if (name.startsWith(ns)) {
                if (name.length() == ns.length()) {
                    throw new FsException(Errno.EINVAL, path + ": xattr name '" + name
                            + "' has an empty name after its namespace");
                }
                return bytes;
            }
        }
        throw new FsException(Errno.EOPNOTSUPP, path + ": xattr namespace of '" + name
                + "' not supported (user., trusted., security.)");
    }

    public void set(Transaction txn, long ino, byte[] name, byte[] value, int flags,
            String path) throws KeelException {
        int valueMax = valueBytesMax - 1 - name.length;
        if (value.length > valueMax) {
            throw new FsException(Errno.E2BIG, path + ": xattr value of " + value.length
                    + " bytes exceeds " + valueMax + " for a name of " + name.length);
        }
        HashedSlots.Probe p = slots.probe(txn, ino, name);
        if (p.found() != null && (flags & FsConstants.XATTR_CREATE) != 0) {
            throw new FsException(Errno.EEXIST, path + ": xattr " + str(name) + " exists");
        }
        if (p.found() == null && (flags & FsConstants.XATTR_REPLACE) != 0) {
            throw new FsException(Errno.ENODATA, path + ": no xattr " + str(name));
        }
        long offset = p.found() != null ? p.found().pos().offset() : p.freeOffset();
        byte[] v = ByteBuffer.allocate(1 + name.length + value.length).put((byte) name.length)
                .put(name).put(value).array();
        txn.put(BtreeId.XATTRS, new Bkey(Bpos.of(ino, offset), KeyType.XATTR, v));
    }

    public byte[] get(Transaction txn, long ino, byte[] name, String path)
            throws KeelException {
        Bkey k = slots.probe(txn, ino, name).found();
        if (k == null) {
            throw new FsException(Errno.ENODATA, path + ": no xattr " + str(name));
        }
        byte[] v = k.value();
        int at = 1 + name.length;
        byte[] out = new byte[v.length - at];
        System.arraycopy(v, at, out, 0, out.length);
        return out;
    }

    public void remove(Transaction txn, long ino, byte[] name, String path)
            throws KeelException {
        Bkey k = slots.probe(txn, ino, name).found();
        if (k == null) {
            throw new FsException(Errno.ENODATA, path + ": no xattr " + str(name));
        }
        slots.remove(txn, ino, k.pos().offset());
    }

    /**
     * Every xattr name of {@code ino}, in slot order. Bounded by what one inode can hold:
     * listxattr returns at most 64 KiB of names on Linux (XATTR_LIST_MAX).
     */
    public List<String> list(Transaction txn, long ino) throws KeelException {
        List<String> out = new ArrayList<>();
        TransactionIterator it = txn.iterator(BtreeId.XATTRS, Bpos.of(ino, OFFSET_MIN));
        for (Bkey k = it.next(); k != null && k.pos().inode() == ino; k = it.next()) {
            if (k.type() == KeyType.XATTR) {
                out.add(new String(nameOf(k), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    public static void putSymlink(Transaction txn, long ino, byte[] target) {
        txn.put(BtreeId.XATTRS, new Bkey(Bpos.of(ino, 0), KeyType.SYMLINK, target));
    }

    public static byte[] symlink(Transaction txn, long ino) throws KeelException {
        Bkey k = txn.get(BtreeId.XATTRS, Bpos.of(ino, 0));
        if (k == null || k.type() != KeyType.SYMLINK) {
            throw new KeyCorruptException("xattrs btree at " + ino + ":0:0: symlink inode has"
                    + " no target key; run keelfs fsck");
        }
        return k.value();
    }

    /**
     * Removes up to {@link #REMOVE_BATCH_MAX} keys (xattrs, whiteouts, symlink target) of a
     * deleted inode; returns true when none is left.
     */
    public static boolean removeSome(Transaction txn, long ino) throws KeelException {
        TransactionIterator it = txn.iterator(BtreeId.XATTRS, Bpos.of(ino, 0));
        for (int i = 0; i < REMOVE_BATCH_MAX; i++) {
            Bkey k = it.next();
            if (k == null || k.pos().inode() != ino) {
                return true;
            }
            txn.delete(BtreeId.XATTRS, k.pos());
        }
        Bkey k = it.next();
        return k == null || k.pos().inode() != ino;
    }

    static byte[] nameOf(Bkey k) throws KeyCorruptException {
        byte[] v = k.value();
        int len = v.length == 0 ? -1 : v[0] & 0xff;
        if (len < 1 || 1 + len > v.length) {
            throw new KeyCorruptException("xattrs btree at " + k.pos() + ": name length "
                    + len + " in a " + v.length + "-byte value; run keelfs fsck");
        }
        byte[] name = new byte[len];
        System.arraycopy(v, 1, name, 0, len);
        return name;
    }

    private static String str(byte[] name) {
        return "'" + new String(name, StandardCharsets.UTF_8) + "'";
    }
}
