package io.keelfs.fsck;

import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.fs.FileMode;
import io.keelfs.fs.inode.InodeCodec;
import io.keelfs.fs.names.HashedSlots;
import io.keelfs.fs.names.NameHash;
import io.keelfs.fs.xattr.Xattrs;
import io.keelfs.txn.Transaction;
import io.keelfs.txn.TransactionIterator;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Pass 10: xattrs and symlink targets. Each key's owner inode exists; a symlink target (slot
 * 0) belongs to a symlink; an xattr decodes, its name is valid (length, namespace user.,
 * trusted. or security.) and it sits on its name's probe chain. Bad keys are deleted (an
 * xattr cannot be guessed back). Streams the btree; per owner one inode lookup.
 */
final class XattrPass implements FsckPass {
    static final String NAME = "xattrs";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void run(FsckContext ctx) throws KeelException {
        if (ctx.managed == null) {
            return;
        }
        Findings findings = new Findings();
        ctx.engine().read(txn -> {
            scan(txn, findings);
            return null;
        });
        findings.applyAll(ctx, NAME);
    }

    private static HashedSlots slots() {
        return new HashedSlots(BtreeId.XATTRS, Xattrs.OFFSET_MIN, NameHash.SIPHASH,
                XattrPass::nameOf);
    }

    static byte[] nameOf(Bkey k) throws KeelException {
        byte[] v = k.value();
        int n = v.length == 0 ? 0 : v[0] & 0xff;
        if (n == 0 || v.length < 1 + n) {
            throw new io.keelfs.error.KeyCorruptException("xattr at " + k.pos() + ": value of "
                    + v.length + " bytes holds no name of " + n + " bytes");
        }
        return Arrays.copyOfRange(v, 1, 1 + n);
    }

    private static void scan(Transaction txn, Findings findings) throws KeelException {
        TransactionIterator it = txn.iterator(BtreeId.XATTRS, Bpos.MIN);
        long owner = -1;
        int ownerMode = -1;
        long runStart = -1;
        long lastSlot = -2;
        for (Bkey k = it.next(); k != null; k = it.next()) {
            Bpos pos = k.pos();
            if (pos.inode() != owner) {
                owner = pos.inode();
                Bkey ik = txn.get(BtreeId.INODES, Bpos.of(owner, 0));
                ownerMode = -1;
                if (ik != null && ik.type() == KeyType.INODE) {
                    try {
                        ownerMode = InodeCodec.decode(owner, ik.value()).mode();
                    } catch (KeelException e) {
                        ownerMode = -1;
                    }
                }
                lastSlot = -2;
            }
            if (pos.offset() != lastSlot + 1) {
                runStart = pos.offset();
            }
            lastSlot = pos.offset();
            if (ownerMode < 0) {
                findings.add("xattr-owner-missing", "xattr key " + pos, "inode " + owner + " does not"
                        + " exist; delete the key", t -> t.delete(BtreeId.XATTRS, pos));
                continue;
            }
            if (k.type() == KeyType.HASH_WHITEOUT) {
                continue;
            }
            if (pos.offset() == 0 || k.type() == KeyType.SYMLINK) {
                if (pos.offset() != 0 || k.type() != KeyType.SYMLINK
                        || !FileMode.isSymlink(ownerMode)) {
                    findings.add("symlink-target", "xattr key " + pos, "a symlink target key (type "
                            + k.type() + ") of a non-symlink or off slot 0; delete it",
                            t -> t.delete(BtreeId.XATTRS, pos));
                }
                continue;
            }
            String why = xattrProblem(k, runStart);
            if (why != null) {
                findings.add("xattr-invalid", "xattr key " + pos, why + "; delete it",
                        t -> slots().remove(t, pos.inode(), pos.offset()));
            }
        }
    }

    private static String xattrProblem(Bkey k, long runStart) {
        if (k.type() != KeyType.XATTR) {
            return "key type " + k.type();
        }
        byte[] name;
        try {
            name = nameOf(k);
        } catch (KeelException e) {
            return e.getMessage();
        }
        String s = new String(name, StandardCharsets.UTF_8);
        try {
            Xattrs.checkName(s, "inode " + k.pos().inode());
        } catch (KeelException e) {
            return e.getMessage();
        }
        long start = NameHash.SIPHASH.slot(name, Xattrs.OFFSET_MIN);
        if (start > k.pos().offset() || start < runStart) {
            return "'" + s + "' sits at slot " + k.pos().offset() + ", off its probe chain"
                    + " (from slot " + start + ")";
        }
        return null;
    }
}
