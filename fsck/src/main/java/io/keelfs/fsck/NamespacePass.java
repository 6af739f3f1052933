package io.keelfs.fsck;

import io.keelfs.error.KeelException;
import io.keelfs.error.KeyCorruptException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.Geometry;
import io.keelfs.format.KeyType;
import io.keelfs.fs.FileMode;
import io.keelfs.fs.Filesystem;
import io.keelfs.fs.data.ExtentKeys;
import io.keelfs.fs.data.ExtentKeys.ExtentView;
import io.keelfs.fs.inode.Inode;
import io.keelfs.fs.inode.InodeCodec;
import io.keelfs.fs.inode.InodeTable;
import io.keelfs.fs.names.Dirent;
import io.keelfs.fs.names.Dirents;
import io.keelfs.fs.names.NameHash;
import io.keelfs.txn.Transaction;
import io.keelfs.txn.TransactionIterator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Passes 6 to 9, over one {@link InodeIndex}: inodes (decodable; i_size against the extents,
 * bytes used against them, a directory's size; orphans waiting for deletion), dirents (the
 * directory and the target exist, the recorded type is the target's, the slot is on the
 * name's probe chain, no name twice in a directory, a directory named once), directory
 * structure (every directory reachable from the root through its one parent, no loops;
 * unreachable ones and files named by nothing go to /lost+found, made 0700 if missing) and
 * last nlinks (recounted after the repairs above: files against their dirents, directories
 * against 2 + subdirectories, a directory's parent pointer).
 *
 * <p>The index comes from the alloc pass (inodes, orphans and extents read along with its
 * scans, {@link FsckContext#sharedIndex}); this pass adds the dirents. Without it (the alloc
 * pass skipped, or a repair since) the pass reads all four btrees itself.
 *
 * <p>Names hash with the on-disk default {@link NameHash#SIPHASH}.
 */
final class NamespacePass implements FsckPass {
    static final String NAME = "namespace";
    static final String LOST_AND_FOUND = "lost+found";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void run(FsckContext ctx) throws KeelException {
        if (ctx.managed == null) {
            return;
        }
        boolean rootReported = checkRoot(ctx);
        Geometry g = ctx.superblock.geometry();
        FsckContext.SharedIndex shared = readShared(ctx);
        Findings findings = shared != null ? shared.findings() : new Findings();
        InodeIndex idx = shared != null ? shared.index() : readAll(ctx, g, findings);
        if (idx == null) {
            ctx.report.operationalError("namespace: more than " + InodeIndex.INODES_MAX
                    + " inodes");
            return;
        }
        try {
            if (idx.count() == 0) {
                ctx.report.info("namespace: no inodes: the image holds no filesystem (formatted"
                        + " for the engine only); namespace checks skipped");
                return;
            }
            if (idx.find(Filesystem.ROOT_INO) < 0 && !rootReported) {
                ctx.report.problem(NAME, "root-missing", "inode " + Filesystem.ROOT_INO,
                        "no root directory inode; the filesystem does not mount");
            }
            ctx.report.files = 0;
            ctx.report.directories = 0;
            for (int i = 0; i < idx.count(); i++) {
                if (FileMode.isDirectory(idx.mode(i))) {
                    ctx.report.directories++;
                } else {
                    ctx.report.files++;
                }
            }
            if (idx.spilled()) {
                ctx.report.info("namespace: " + idx.count() + " inodes: cross-reference"
                        + " spilled to an LMDB scratch environment");
            }
            checkInodes(idx, g, findings);
            boolean changed = findings.applyAll(ctx, NAME) > 0;
            Findings structure = new Findings();
            DirectoryStructure.check(idx, structure);
            changed |= structure.applyAll(ctx, NAME) > 0;
            if (changed) {
                // Repairs moved dirents and may have made /lost+found: read again.
                idx.close();
                idx = readAll(ctx, g, new Findings());
            }
            Findings links = new Findings();
            checkLinks(idx, links);
            links.applyAll(ctx, NAME);
        } finally {
            if (idx != null) {
                idx.close();
            }
        }
    }

    /**
     * bcachefs check_root: an image whose root directory inode was lost (a damaged btree node)
     * gets a new empty one, before the index is read, so that the names still in the root
     * directory count and the rest finds its way to /lost+found. Returns whether it reported
     * the root missing (fixed or not).
     */
    private static boolean checkRoot(FsckContext ctx) throws KeelException {
        boolean inodes = ctx.engine().read(t ->
                t.iterator(BtreeId.INODES, Bpos.of(1, 0)).next() != null);
        Bkey root = ctx.engine().read(t -> t.get(BtreeId.INODES,
                Bpos.of(Filesystem.ROOT_INO, 0)));
        if (root != null || !inodes) {
            return false; // present, or no filesystem at all (an engine-only image)
        }
        ctx.fix(NAME, "root-missing", "inode " + Filesystem.ROOT_INO, "no root directory"
                + " inode; create an empty one (0755)", t -> {
                    long now = System.currentTimeMillis() * 1_000_000L;
                    InodeTable.load(t, Filesystem.ROOT_INO).insertNew(t, Inode.create(
                            Filesystem.ROOT_INO, FileMode.S_IFDIR | 0755, 0, 0, 2, 0,
                            Filesystem.ROOT_INO, now));
                });
        return true;
    }

    /** Everything the checks cross-reference, from one read transaction; null if too big. */
    private static InodeIndex readAll(FsckContext ctx, Geometry g, Findings findings)
            throws KeelException {
        InodeIndex idx = InodeIndex.forExpected(ctx.inodeKeys);
        boolean fits = false;
        try {
            fits = ctx.engine().read(txn -> {
                if (!readInodes(txn, idx, findings)) {
                    return false;
                }
                readOrphans(txn, idx, findings);
                readExtents(txn, idx, g);
                countDirents(txn, idx, findings);
                return true;
            });
        } finally {
            if (!fits) {
                idx.close();
            }
        }
        return fits ? idx : null;
    }

    /**
     * The index and findings the alloc pass read along with its own scans (inodes, orphans
     * and extents counted: {@link FsckContext#sharedIndex}), completed with the dirents; null
     * (the shared index closed) when there is none or a repair since may have made it stale.
     */
    private static FsckContext.SharedIndex readShared(FsckContext ctx) throws KeelException {
        FsckContext.SharedIndex shared = ctx.sharedIndex;
        ctx.sharedIndex = null;
        if (shared == null) {
            return null;
        }
        if (shared.fixedCount() != ctx.report.fixedCount() || ctx.rewritten) {
            shared.index().close();
            return null;
        }
        boolean done = false;
        try {
            ctx.engine().read(txn -> {
                countDirents(txn, shared.index(), shared.findings());
                return null;
            });
            done = true;
        } finally {
            if (!done) {
                shared.index().close();
            }
        }
        return shared;
    }

    /**
     * Adds every valid inode to {@code idx} (in order) and notes the bad ones and the inode
     * counter in {@code findings}; false if there are more than the index holds.
     */
    static boolean readInodes(Transaction txn, InodeIndex idx, Findings findings)
            throws KeelException {
        TransactionIterator it = txn.iterator(BtreeId.INODES, Bpos.MIN);
        long counted = -1;
        for (Bkey k = it.next(); k != null; k = it.next()) {
            Bpos pos = k.pos();
            if (k.type() == KeyType.FS_COUNTERS && pos.inode() == 0) {
                counted = k.value().length == 8 ? ByteBuffer.wrap(k.value()).getLong() : -2;
                continue;
            }
            Inode inode;
            try {
                if (k.type() != KeyType.INODE || pos.inode() <= 0 || pos.offset() != 0) {
                    throw new KeyCorruptException("key type " + k.type() + " at " + pos);
                }
                inode = InodeCodec.decode(pos.inode(), k.value());
            } catch (KeelException e) {
                findings.add("inode-invalid", "inode " + pos.inode(), e.getMessage()
                        + "; delete it (its names and data go with it)",
                        t -> t.delete(BtreeId.INODES, pos));
                continue;
            }
            if (FileMode.isSymlink(inode.mode())) {
                checkSymlinkTarget(txn, inode.ino(), findings);
            }
            if (!idx.add(inode.ino(), inode.mode(), inode.nlink(), inode.sizeBytes(),
                    inode.usedBytes(), inode.parentIno(), inode.flags())) {
                return false;
            }
        }
        long found = idx.count();
        if (counted != found) {
            findings.add("inode-count", "inodes counter key", "says " + counted + ", found "
                    + found + " inodes", t -> t.put(BtreeId.INODES, new Bkey(Bpos.of(0, 0),
                            KeyType.FS_COUNTERS, ByteBuffer.allocate(8).putLong(found)
                                    .array())));
        }
        return true;
    }

    /** Placeholder target of a symlink whose target key was lost (e2fsck would clear it). */
    static final byte[] LOST_TARGET = "lost+found/lost-symlink-target".getBytes(
            java.nio.charset.StandardCharsets.UTF_8);

    private static void checkSymlinkTarget(Transaction txn, long ino, Findings findings)
            throws KeelException {
        Bkey target = txn.get(BtreeId.XATTRS, Bpos.of(ino, 0));
        if (target == null || target.type() != KeyType.SYMLINK || target.value() == null
                || target.value().length == 0) {
            findings.add("symlink-target-missing", "inode " + ino, "a symlink without its"
                    + " target key; point it at " + new String(LOST_TARGET,
                            java.nio.charset.StandardCharsets.UTF_8), t -> t.put(BtreeId.XATTRS,
                                    new Bkey(Bpos.of(ino, 0), KeyType.SYMLINK, LOST_TARGET)));
        }
    }

    static void readOrphans(Transaction txn, InodeIndex idx, Findings findings)
            throws KeelException {
        TransactionIterator it = txn.iterator(BtreeId.ORPHANS, Bpos.MIN);
        for (Bkey k = it.next(); k != null; k = it.next()) {
            Bpos pos = k.pos();
            int i = idx.find(pos.inode());
            if (i < 0) {
                findings.add("orphan-key-dangling", "orphan key " + pos, "names no inode;"
                        + " delete it", t -> t.delete(BtreeId.ORPHANS, pos));
            } else {
                idx.set(i, InodeIndex.ORPHAN, 1);
            }
        }
    }

    private static void readExtents(Transaction txn, InodeIndex idx, Geometry g)
            throws KeelException {
        TransactionIterator it = txn.iterator(BtreeId.EXTENTS, Bpos.MIN);
        int i = -1;
        for (Bkey k = it.next(); k != null; k = it.next()) {
            i = countExtentKey(k, idx, g, i);
        }
    }

    /**
     * Counts one EXTENTS key into its inode's row (extent end and bytes; a reservation's
     * bytes); an undecodable key counts nothing (the alloc pass reports it). {@code hint}: the
     * row the last extent found (or -1); returns the row to pass next.
     */
    static int countExtentKey(Bkey k, InodeIndex idx, Geometry g, int hint) {
        if (ExtentKeys.isReservation(k)) {
            countReservation(k, idx, g);
            return hint;
        }
        ExtentView e;
        try {
            e = ExtentKeys.extent(k, g.blockSizeBytes(), g.bucketSizeBytes());
        } catch (KeelException ex) {
            return hint;
        }
        return countExtent(e, idx, hint);
    }

    /** {@link #countExtentKey} for an extent already decoded. */
    static int countExtent(ExtentView e, InodeIndex idx, int hint) {
        int i = idx.find(e.ino(), hint);
        if (i >= 0) {
            idx.set(i, InodeIndex.EXTENT_END, Math.max(idx.get(i, InodeIndex.EXTENT_END),
                    e.endBytes()));
            idx.add(i, InodeIndex.EXTENT_BYTES, e.lengthBytes());
        }
        return i;
    }

    /**
     * A fallocate reservation counts in the file's bytes used, but not toward its extents'
     * end: KEEP_SIZE reserves past i_size.
     */
    private static void countReservation(Bkey k, InodeIndex idx, Geometry g) {
        try {
            countReservation(ExtentKeys.reservation(k, g.blockSizeBytes()), idx);
        } catch (KeelException ex) {
            // The alloc pass reports and deletes it.
        }
    }

    /** {@link #countReservation(Bkey, InodeIndex, Geometry)} for a reservation decoded. */
    static void countReservation(ExtentKeys.ReservationView r, InodeIndex idx) {
        int i = idx.find(r.ino());
        if (i >= 0) {
            idx.add(i, InodeIndex.EXTENT_BYTES, r.lengthBytes());
        }
    }

    /**
     * One scan of DIRENTS: checks each entry and counts the valid ones into the index (names
     * per target, subdirectories per directory, where each directory is held).
     */
    static void countDirents(Transaction txn, InodeIndex idx, Findings findings)
            throws KeelException {
        TransactionIterator it = txn.iterator(BtreeId.DIRENTS, Bpos.MIN);
        long dir = -1;
        long runStart = -1;
        long lastSlot = -2;
        int di = -1;
        // Names by the first slot of their chain: equal names share it.
        Map<Long, byte[]> firstByStart = new HashMap<>();
        Map<Long, List<byte[]>> moreByStart = new HashMap<>();
        for (Bkey k = it.next(); k != null; k = it.next()) {
            Bpos pos = k.pos();
            if (pos.inode() != dir) {
                dir = pos.inode();
                firstByStart.clear();
                moreByStart.clear();
                lastSlot = -2;
            }
            if (pos.offset() != lastSlot + 1) {
                runStart = pos.offset();
            }
            lastSlot = pos.offset();
            if (k.type() == KeyType.HASH_WHITEOUT) {
                continue;
            }
            Dirent d;
            try {
                if (k.type() != KeyType.DIRENT || pos.offset() < Dirents.OFFSET_MIN) {
                    throw new KeyCorruptException("key type " + k.type() + " at slot "
                            + pos.offset());
                }
                d = Dirent.decode(k);
            } catch (KeelException e) {
                findings.add("dirent-invalid", "dirent " + pos, e.getMessage() + "; delete it",
                        t -> t.delete(BtreeId.DIRENTS, pos));
                continue;
            }
            di = idx.find(d.dirIno(), di);
            int ci = idx.find(d.childIno());
            if (di < 0 || !FileMode.isDirectory(idx.mode(di))) {
                findings.add("dirent-orphan", direntPlace(d), "its directory " + d.dirIno()
                        + " does not exist or is no directory; delete it", remove(d));
                continue;
            }
            if (ci < 0) {
                findings.add("dirent-target-missing", direntPlace(d), "names inode " + d.childIno()
                        + ", which does not exist; delete the entry", remove(d));
                continue;
            }
            String badName = nameProblem(d.name());
            if (badName != null) {
                findings.add("dirent-name", direntPlace(d), badName + "; delete the entry (the inode"
                        + " goes to /" + LOST_AND_FOUND + " if nothing else names it)",
                        remove(d));
                continue;
            }
            int childMode = idx.mode(ci);
            long start = NameHash.SIPHASH.slot(d.name(), Dirents.OFFSET_MIN);
            if (start > pos.offset() || start < runStart) {
                findings.add("dirent-hash", direntPlace(d), "sits at slot " + pos.offset()
                        + ", off the probe chain of its name (from slot " + start + ");"
                        + " move it", t -> rehash(t, d, childMode));
            }
            if (isDuplicate(firstByStart, moreByStart, start, d.name())) {
                findings.add("dirent-duplicate", direntPlace(d), "the name is in the directory"
                        + " twice; delete the later entry", remove(d));
                continue;
            }
            int childType = FileMode.type(idx.mode(ci));
            if (d.typeBits() != childType) {
                findings.add("dirent-type", direntPlace(d), "records type 0" + Integer.toOctalString(
                        d.typeBits()) + ", inode " + d.childIno() + " is 0"
                        + Integer.toOctalString(childType), t -> new Dirents(NameHash.SIPHASH)
                                .replace(t, d, d.childIno(), childType));
            }
            if (FileMode.isDirectory(idx.mode(ci))) {
                if (idx.get(ci, InodeIndex.HELD_IN) != 0 || d.childIno() == Filesystem.ROOT_INO) {
                    findings.add("directory-multiple-parents", direntPlace(d), "directory "
                            + d.childIno() + " is already named in directory "
                            + idx.get(ci, InodeIndex.HELD_IN) + "; delete this entry", remove(d));
                    continue;
                }
                idx.set(ci, InodeIndex.HELD_IN, d.dirIno());
                idx.set(ci, InodeIndex.HELD_AT, pos.offset());
                idx.add(di, InodeIndex.SUBDIRS, 1);
            }
            idx.add(ci, InodeIndex.NAMES, 1);
        }
    }

    private static String direntPlace(Dirent d) {
        return "dirent '" + d.nameString() + "' in directory " + d.dirIno();
    }

    /** Why a dirent name cannot be used through the filesystem API, or null. */
    static String nameProblem(byte[] name) {
        boolean ascii = true;
        for (byte b : name) {
            if (b == 0 || b == '/') {
                return "the name holds a " + (b == 0 ? "NUL" : "'/'") + " byte";
            }
            ascii &= b > 0;
        }
        if (name.length <= 2 && (name.length == 1 || name[1] == '.') && name[0] == '.') {
            return "the name is '.' or '..'";
        }
        if (ascii) {
            return null; // valid UTF-8; most names are, and a decoder per name is costly
        }
        try {
            java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(name));
        } catch (java.nio.charset.CharacterCodingException e) {
            return "the name is not valid UTF-8";
        }
        return null;
    }

    /** Whether the directory already has {@code name} (chain start {@code start}); notes it. */
    private static boolean isDuplicate(Map<Long, byte[]> first, Map<Long, List<byte[]>> more,
            long start, byte[] name) {
        byte[] seen = first.putIfAbsent(start, name);
        if (seen == null) {
            return false;
        }
        if (Arrays.equals(seen, name)) {
            return true;
        }
        List<byte[]> others = more.computeIfAbsent(start, k -> new ArrayList<>());
        for (byte[] n : others) {
            if (Arrays.equals(n, name)) {
                return true;
            }
        }
        others.add(name);
        return false;
    }

    static FsckContext.TxnFix remove(Dirent d) {
        return t -> new Dirents(NameHash.SIPHASH).remove(t, d);
    }

    private static void rehash(Transaction t, Dirent d, int mode) throws KeelException {
        Dirents dirents = new Dirents(NameHash.SIPHASH);
        dirents.remove(t, d);
        if (dirents.lookup(t, d.dirIno(), d.name()) == null) {
            dirents.insert(t, d.dirIno(), d.name(), d.childIno(), mode);
        }
    }

    private static void checkInodes(InodeIndex idx, Geometry g, Findings findings) {
        int bs = g.blockSizeBytes();
        for (int i = 0; i < idx.count(); i++) {
            long ino = idx.get(i, InodeIndex.INO);
            int mode = idx.mode(i);
            if (FileMode.isRegular(mode)) {
                long end = idx.get(i, InodeIndex.EXTENT_END);
                long sizeBlocks = -Math.floorDiv(-idx.get(i, InodeIndex.SIZE), (long) bs) * bs;
                boolean truncating = (idx.get(i, InodeIndex.FLAGS) & Inode.FLAG_SIZE_DIRTY) != 0;
                if (end > sizeBlocks && !truncating) {
                    findings.add("extent-past-eof", "inode " + ino, "i_size " + idx.get(i, InodeIndex.SIZE)
                            + " but extents reach " + end + "; set i_size to " + end,
                            t -> update(t, ino, n -> n.withSize(end)));
                }
                long bytes = idx.get(i, InodeIndex.EXTENT_BYTES);
                if (idx.get(i, InodeIndex.USED) != bytes) {
                    long used = idx.get(i, InodeIndex.USED);
                    findings.add("inode-used-bytes", "inode " + ino, "bytes used " + used
                            + ", the extents hold " + bytes, t -> update(t, ino,
                                    n -> n.withUsedDelta(bytes - n.usedBytes())));
                }
            } else if (FileMode.isDirectory(mode)
                    && idx.get(i, InodeIndex.SIZE) != Inode.DIRECTORY_SIZE_BYTES) {
                findings.add("inode-size", "inode " + ino, "directory i_size " + idx.get(i, InodeIndex.SIZE)
                        + ", expected " + Inode.DIRECTORY_SIZE_BYTES, t -> update(t, ino,
                                n -> n.withSize(Inode.DIRECTORY_SIZE_BYTES)));
            }
            if (ino == Filesystem.ROOT_INO && !FileMode.isDirectory(mode)) {
                findings.add("root-not-directory", "inode " + ino, "mode 0" + Integer.toOctalString(
                        mode), null);
            }
        }
    }

    /** Unlinked inodes, and nlink against the recounted dirents. */
    private static void checkLinks(InodeIndex idx, Findings findings) {
        for (int i = 0; i < idx.count(); i++) {
            long ino = idx.get(i, InodeIndex.INO);
            boolean dir = FileMode.isDirectory(idx.mode(i));
            boolean root = ino == Filesystem.ROOT_INO;
            long names = idx.get(i, InodeIndex.NAMES);
            long nlink = idx.get(i, InodeIndex.NLINK);
            long parentField = idx.get(i, InodeIndex.PARENT);
            if (names == 0 && !root) {
                if (idx.get(i, InodeIndex.NLINK) == 0 && (idx.get(i, InodeIndex.ORPHAN) != 0)) {
                    findings.add("orphan-pending", "inode " + ino, "unlinked while open, its deletion"
                            + " never finished (a crash); finish it", t -> { });
                } else if (idx.get(i, InodeIndex.NLINK) == 0) {
                    findings.add("orphan-key-missing", "inode " + ino, "nlink 0 and named by nothing,"
                            + " but not in the orphans btree; delete it", t -> t.put(
                                    BtreeId.ORPHANS, new Bkey(Bpos.of(ino, 0), KeyType.ORPHAN,
                                            null)));
                } else if (!dir) {
                    findings.add("inode-unlinked", "inode " + ino, "nlink " + nlink + " but"
                            + " named by no dirent; link it into /" + LOST_AND_FOUND,
                            t -> LostAndFound.reattach(t, ino, null));
                }
                continue;
            }
            long want = dir ? 2 + idx.get(i, InodeIndex.SUBDIRS) : names;
            if (idx.get(i, InodeIndex.NLINK) != want) {
                findings.add("inode-nlink", "inode " + ino, "nlink " + nlink + ", expected "
                        + want + (dir ? " (2 + subdirectories)" : " (dirents naming it)"),
                        t -> update(t, ino, n -> n.withNlink(want)));
            }
            long parent = root ? Filesystem.ROOT_INO : idx.get(i, InodeIndex.HELD_IN);
            if (dir && parent != 0 && idx.get(i, InodeIndex.PARENT) != parent) {
                findings.add("directory-parent", "inode " + ino, "parent pointer " + parentField
                        + ", but it is named in directory " + parent, t -> update(t, ino,
                                n -> n.withParent(parent)));
            }
        }
    }

    interface InodeChange {
        Inode apply(Inode inode);
    }

    static void update(Transaction t, long ino, InodeChange change) throws KeelException {
        Bkey k = t.get(BtreeId.INODES, Bpos.of(ino, 0));
        if (k == null) {
            return;
        }
        Inode next = change.apply(InodeCodec.decode(ino, k.value()));
        t.put(BtreeId.INODES, new Bkey(Bpos.of(ino, 0), KeyType.INODE,
                InodeCodec.encode(next)));
    }
}
