package io.keelfs.fsck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.alloc.AllocRecord;
import io.keelfs.alloc.AllocUpdates;
import io.keelfs.alloc.DataType;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.format.NodeHeader;
import io.keelfs.format.NodePointer;
import io.keelfs.fs.FileMode;
import io.keelfs.fs.Filesystem;
import io.keelfs.fs.KeelFilesystem;
import io.keelfs.fs.KeelImage;
import io.keelfs.fs.data.ExtentKeys;
import io.keelfs.fs.data.ExtentKeys.ExtentView;
import io.keelfs.fs.inode.Inode;
import io.keelfs.fs.inode.InodeCodec;
import io.keelfs.fs.names.Dirent;
import io.keelfs.fs.names.Dirents;
import io.keelfs.fs.names.NameHash;
import io.keelfs.txn.Transaction;
import io.keelfs.txn.TransactionIterator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The corruption corpus: each test populates an image through the real stack, snapshots every
 * file's content, injects one kind of damage (keys through an engine transaction, or bytes on
 * the device), and checks that fsck -n finds it (exit 4, the kind named); where a repair
 * exists, that --repair -y fixes it (exit 1), that the next check is clean (exit 0) and that
 * no file but the damaged ones changed content. Kinds not repairable (bad data checksums)
 * check that repair leaves exit 4.
 *
 * <p>Damaged btree nodes (bad checksum, a node at the wrong address) are repaired by rebuilding
 * the btree from its readable leaves; the files whose keys the damaged leaf held are the
 * damaged ones.
 *
 * <p>A damaged interior node (the interior root of a two-level tree) loses no file: the node
 * scan finds the leaves under it, and a stale older copy of a leaf loses to the newer one.
 *
 * <p>Not covered here: journal damage (FsckEngineDamageTest and the journal tests), damaged
 * interior nodes below the root (trees of three levels need far more files), stale leaves
 * whose newer replacement is missing too (the scan cannot tell them from live ones).
 */
class FsckCorpusTest {
    private static final int BS = CorpusImage.BLOCK;

    private final CorpusImage img;
    private final Map<Long, String> before;

    FsckCorpusTest() throws KeelException {
        img = CorpusImage.populated();
        before = img.snapshot();
    }

    // ---- the check ----

    private void repairable(String kind, String... damaged) throws KeelException {
        Set<Long> skip = new java.util.HashSet<>();
        for (String p : damaged) {
            skip.add(img.ino(p));
        }
        repairable(img, before, kind, skip);
    }

    /**
     * The corpus rule: -n finds {@code kind}; --repair -y fixes everything (exit 1); the next
     * check is clean; no file but the {@code damaged} inodes changed content or vanished.
     */
    private static void repairable(CorpusImage img, Map<Long, String> before, String kind,
            Set<Long> damaged) throws KeelException {
        detect(img, kind, false);
        FsckReport repair = img.fsck(true, false);
        assertEquals(FsckExit.ERRORS_CORRECTED, repair.exitCode(), img.log.toString());
        List<String> repairLog = new ArrayList<>(img.log);
        FsckReport again = img.fsck(false, true);
        assertEquals(FsckExit.CLEAN, again.exitCode(), "after repair " + repairLog + ": "
                + img.log);
        Map<Long, String> after = img.snapshot();
        for (Map.Entry<Long, String> e : before.entrySet()) {
            if (!damaged.contains(e.getKey())) {
                assertEquals(e.getValue(), after.get(e.getKey()), "inode " + e.getKey()
                        + " changed or vanished; after: " + after);
            }
        }
    }

    private void notRepairable(String kind, boolean checkData) throws KeelException {
        detect(img, kind, checkData);
        FsckReport repair = img.fsck(true, checkData);
        assertEquals(FsckExit.ERRORS_UNCORRECTED, repair.exitCode(), img.log.toString());
    }

    private static void detect(CorpusImage img, String kind, boolean checkData) {
        FsckReport check = img.fsck(false, checkData);
        assertEquals(FsckExit.ERRORS_UNCORRECTED, check.exitCode(), img.log.toString());
        assertTrue(img.log.stream().anyMatch(l -> l.contains(kind + " at ")),
                "expected " + kind + " in " + img.log);
        assertTrue(check.problems().stream().noneMatch(Problem::fixed), "-n fixed something");
    }

    // ---- damage helpers ----

    private static List<ExtentView> extents(Transaction txn, long ino) throws KeelException {
        List<ExtentView> out = new ArrayList<>();
        TransactionIterator it = txn.iterator(BtreeId.EXTENTS, Bpos.of(ino, 0));
        for (Bkey k = it.next(); k != null && k.pos().inode() == ino; k = it.next()) {
            out.add(ExtentKeys.extent(k, BS, CorpusImage.BUCKET));
        }
        return out;
    }

    private ExtentView firstExtent(String path) throws KeelException {
        return img.read(txn -> extents(txn, img.ino(path)).get(0));
    }

    private static void putInode(Transaction t, long ino, UnaryOperator<Inode> change)
            throws KeelException {
        Inode i = InodeCodec.decode(ino, t.get(BtreeId.INODES, Bpos.of(ino, 0)).value());
        t.put(BtreeId.INODES, new Bkey(Bpos.of(ino, 0), KeyType.INODE,
                InodeCodec.encode(change.apply(i))));
    }

    private static void putRecordRaw(Transaction t, long bucket, AllocRecord r) {
        t.put(BtreeId.ALLOC, new Bkey(AllocUpdates.allocPos(bucket), KeyType.ALLOC, r.encode()));
    }

    private static Dirent dirent(Transaction t, long dir, String name) throws KeelException {
        return new Dirents(NameHash.SIPHASH).lookup(t, dir, name.getBytes(StandardCharsets.UTF_8));
    }

    private static long firstBucketOf(Transaction t, DataType type) throws KeelException {
        TransactionIterator it = t.iterator(BtreeId.ALLOC, Bpos.MIN);
        for (Bkey k = it.next(); k != null; k = it.next()) {
            if (AllocRecord.decode(k.pos().offset(), k.value()).dataType() == type) {
                return k.pos().offset();
            }
        }
        throw new AssertionError("no " + type + " bucket");
    }

    private List<Long> nodeOffsets(BtreeId id) throws Exception {
        return img.nodeOffsets(id);
    }

    // ---- engine structures ----

    @Test
    void badSuperblockCopy() throws Exception {
        img.flipByte(img.device.sizeBytes() - CorpusImage.BUCKET + 40);
        repairable("superblock-copy");
    }

    @Test
    void flippedBitsInABtreeNode() throws Exception {
        img.flipByte(nodeOffsets(BtreeId.DIRENTS).get(0) + 300);
        repairable("btree-node");
    }

    @Test
    void nodeWrittenAtAWrongAddress() throws Exception {
        long dirents = nodeOffsets(BtreeId.DIRENTS).get(0);
        long inodes = nodeOffsets(BtreeId.INODES).get(0);
        ByteBuffer node = ByteBuffer.allocate(CorpusImage.NODE);
        img.device.read(inodes, node);
        node.flip();
        img.device.write(dirents, node, false);
        repairable("btree-node");
    }

    // ---- topology repair: a btree rebuilt from its readable leaves ----

    /** Files in /many: enough for several leaves in the inode, dirent and extent btrees. */
    private static final int MANY_FILES = 300;

    /**
     * Damages the second leaf of {@code id} in an image of many files and checks the corpus
     * rule, with every inode whose number the leaf's range covers counted as damaged when
     * {@code losesFiles} (its keys are lost with the leaf).
     */
    private static void damagedLeaf(BtreeId id, boolean losesFiles) throws Exception {
        damagedLeaf(id, 1, losesFiles, "btree-node");
    }

    private static void damagedLeaf(BtreeId id, int leafIndex, boolean losesFiles, String kind)
            throws Exception {
        CorpusImage many = CorpusImage.populatedMany(MANY_FILES);
        Map<Long, String> manyBefore = many.snapshot();
        List<NodePointer> leaves = new ArrayList<>();
        for (NodePointer p : many.nodes(id)) {
            if (p.level() == 0) {
                leaves.add(p);
            }
        }
        assertTrue(leaves.size() >= 2, id + " has only " + leaves.size() + " leaves");
        NodePointer leaf = leaves.get(leafIndex);
        Set<Long> damaged = new java.util.HashSet<>();
        if (losesFiles) {
            for (long ino : manyBefore.keySet()) {
                if (ino >= leaf.minKey().inode() && ino <= leaf.maxKey().inode()) {
                    damaged.add(ino);
                }
            }
        }
        many.flipByte(leaf.offsetBytes() + 500);
        repairable(many, manyBefore, kind, damaged);
    }

    @Test
    void damagedInodesLeafLosesOnlyItsFiles() throws Exception {
        damagedLeaf(BtreeId.INODES, true);
    }

    @Test
    void damagedFirstInodesLeafLosesTheRootDirectoryWhichIsRecreated() throws Exception {
        damagedLeaf(BtreeId.INODES, 0, true, "root-missing");
    }

    @Test
    void damagedDirentsLeafSendsItsFilesToLostAndFound() throws Exception {
        damagedLeaf(BtreeId.DIRENTS, false);
    }

    @Test
    void damagedExtentsLeafLosesOnlyItsFilesData() throws Exception {
        damagedLeaf(BtreeId.EXTENTS, true);
    }

    @Test
    void damagedAllocLeafIsRecounted() throws Exception {
        damagedLeaf(BtreeId.ALLOC, false);
    }

    @Test
    void damagedBackpointersLeafIsRewritten() throws Exception {
        damagedLeaf(BtreeId.BACKPOINTERS, false);
    }

    @Test
    void damagedXattrsRootLosesXattrsAndSymlinkTargets() throws Exception {
        img.flipByte(nodeOffsets(BtreeId.XATTRS).get(0) + 60);
        // The symlink's target lived in the lost node: fsck gives it a placeholder.
        repairable("btree-node", "/s1");
    }

    // ---- topology repair: the leaves under a damaged interior node, found by the node scan ----

    /** The root of {@code id} in an image of many files: an interior node (level >= 1). */
    private static NodePointer interiorRoot(CorpusImage many, BtreeId id) throws Exception {
        NodePointer root = many.nodes(id).get(0);
        assertTrue(root.level() >= 1, id + " root is a leaf: " + root);
        return root;
    }

    /**
     * Damages the interior root of {@code id}: every leaf lies under it, and no walk reaches
     * one. The corpus rule holds with no file damaged (all found by the scan), and after the
     * repair every file reads back with the same content through the filesystem API.
     */
    private static void damagedInterior(BtreeId id) throws Exception {
        CorpusImage many = CorpusImage.populatedMany(MANY_FILES);
        Map<Long, String> manyBefore = many.snapshot();
        NodePointer root = interiorRoot(many, id);
        // Inside the first child pointer: covered by the checksum.
        many.flipByte(root.offsetBytes() + NodeHeader.HEADER_BYTES + 30);
        detect(many, "btree-node", false);
        assertTrue(many.log.stream().anyMatch(l -> l.contains("btree " + id)
                && l.contains("the node scan found") && l.contains("checking it as rebuilt")),
                "-n says what the scan would recover: " + many.log);
        repairable(many, manyBefore, "btree-node", Set.of());
        assertEquals(manyBefore, many.snapshot(), "every file, the same content");
    }

    @Test
    void damagedInteriorInodesNodeKeepsTheFilesUnderIt() throws Exception {
        damagedInterior(BtreeId.INODES);
    }

    @Test
    void damagedInteriorDirentsNodeKeepsTheNamesUnderIt() throws Exception {
        damagedInterior(BtreeId.DIRENTS);
    }

    @Test
    void damagedInteriorExtentsNodeKeepsTheDataUnderIt() throws Exception {
        damagedInterior(BtreeId.EXTENTS);
    }

    /**
     * Unlinks /many/m7 of an image of many files, so the next checkpoint rewrites the INODES
     * leaf holding its inode, and puts the leaf's image from before into a free bucket (a stale
     * copy, as a freed slot keeps one). Returns m7's inode number.
     */
    private static long staleLeafCopy(CorpusImage many) throws Exception {
        long victim;
        KeelImage.Options ro = CorpusImage.options().withEngine(
                CorpusImage.options().engine().withReadOnly(true));
        try (KeelFilesystem fs = KeelImage.open(many.device, ro)) {
            victim = fs.getattr("/many/m7").ino();
        }
        NodePointer staleLeaf = leafHolding(many, BtreeId.INODES, victim);
        ByteBuffer stale = ByteBuffer.allocate(CorpusImage.NODE);
        many.device.read(staleLeaf.offsetBytes(), stale);
        try (KeelFilesystem fs = KeelImage.open(many.device, CorpusImage.options())) {
            fs.unlink("/many/m7");
        }
        NodePointer newLeaf = leafHolding(many, BtreeId.INODES, victim);
        assertTrue(newLeaf.seq() > staleLeaf.seq(), newLeaf + " rewrote " + staleLeaf);
        long free = many.read(t -> firstBucketOf(t, DataType.FREE));
        many.device.write(free * CorpusImage.BUCKET, stale.clear(), false);
        return victim;
    }

    /**
     * A stale copy of an INODES leaf lies in a free bucket when the interior root above the
     * newer leaf is damaged: the scan finds both, the newer wins, the unlinked file stays gone.
     */
    @Test
    void staleCopyOfALeafInAFreedBucketIsNotResurrected() throws Exception {
        CorpusImage many = CorpusImage.populatedMany(MANY_FILES);
        long victim = staleLeafCopy(many);
        Map<Long, String> manyBefore = many.snapshot();
        assertTrue(!manyBefore.containsKey(victim), "unlinked");
        NodePointer root = interiorRoot(many, BtreeId.INODES);
        many.flipByte(root.offsetBytes() + NodeHeader.HEADER_BYTES + 30);
        detect(many, "btree-node", false);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) overwritten by newer")
                .matcher(String.join("\n", many.log));
        assertTrue(m.find() && Long.parseLong(m.group(1)) >= 1, "the scan met the stale copy"
                + " and dropped it: " + many.log);
        repairable(many, manyBefore, "btree-node", Set.of());
        assertEquals(manyBefore, many.snapshot());
        assertTrue(many.read(t -> t.get(BtreeId.INODES, Bpos.of(victim, 0))) == null,
                "the unlinked inode came back from the stale leaf");
    }

    /**
     * The same stale copy, with the newer leaf damaged too: the damaged leaf's header still
     * blocks the older copy, so its files are lost (as a damaged leaf's are), not replaced by
     * their state before the unlink.
     */
    @Test
    void staleCopyDoesNotStandInForADamagedLeafUnderADamagedInteriorNode() throws Exception {
        CorpusImage many = CorpusImage.populatedMany(MANY_FILES);
        long victim = staleLeafCopy(many);
        Map<Long, String> manyBefore = many.snapshot();
        NodePointer leaf = leafHolding(many, BtreeId.INODES, victim);
        Set<Long> lost = new java.util.HashSet<>();
        for (long ino : manyBefore.keySet()) {
            if (ino >= leaf.minKey().inode() && ino <= leaf.maxKey().inode()) {
                lost.add(ino);
            }
        }
        many.flipByte(leaf.offsetBytes() + 500);
        many.flipByte(interiorRoot(many, BtreeId.INODES).offsetBytes()
                + NodeHeader.HEADER_BYTES + 30);
        repairable(many, manyBefore, "btree-node", lost);
        assertTrue(many.read(t -> t.get(BtreeId.INODES, Bpos.of(victim, 0))) == null,
                "the unlinked inode came back from the stale leaf");
        Map<Long, String> after = many.snapshot();
        assertTrue(manyBefore.size() - lost.size() <= after.size(), "only the leaf's files"
                + " are lost: " + after.size() + " of " + manyBefore.size());
    }

    /** The leaf of {@code id} whose range holds inode {@code ino}. */
    private static NodePointer leafHolding(CorpusImage img, BtreeId id, long ino)
            throws Exception {
        for (NodePointer p : img.nodes(id)) {
            if (p.level() == 0 && p.minKey().compareTo(Bpos.of(ino, 0)) <= 0
                    && Bpos.of(ino, 0).compareTo(p.maxKey()) <= 0) {
                return p;
            }
        }
        throw new AssertionError("no leaf of " + id + " holds " + ino);
    }

    // ---- alloc info ----

    @Test
    void wrongAllocCounts() throws Exception {
        long b = firstExtent("/a/b/f3").bucket();
        img.damage(t -> {
            AllocRecord r = AllocUpdates.get(t, b);
            putRecordRaw(t, b, r.withData(DataType.USER, r.dirtyBytes() + 3 * BS, 0));
            return null;
        });
        repairable("alloc-counts");
    }

    @Test
    void dataBucketMarkedFree() throws Exception {
        long b = firstExtent("/c/f4").bucket();
        img.damage(t -> {
            AllocRecord r = AllocUpdates.get(t, b);
            AllocUpdates.set(t, b, r.withData(DataType.FREE, 0, 0));
            return null;
        });
        repairable("alloc-counts");
    }

    @Test
    void missingFreespaceKey() throws Exception {
        img.damage(t -> {
            long b = firstBucketOf(t, DataType.FREE);
            int genbits = AllocUpdates.get(t, b).genbits();
            t.delete(BtreeId.FREESPACE, AllocUpdates.freespacePos(b, genbits));
            return null;
        });
        repairable("freespace-missing");
    }

    @Test
    void extraFreespaceKeyForADataBucket() throws Exception {
        long b = firstExtent("/f1").bucket();
        img.damage(t -> {
            t.put(BtreeId.FREESPACE, new Bkey(AllocUpdates.freespacePos(b, 0), KeyType.SET,
                    null));
            return null;
        });
        repairable("freespace-extra");
    }

    @Test
    void nodeInADataBucket() throws Exception {
        long nodeBucket = nodeOffsets(BtreeId.INODES).get(0) / CorpusImage.BUCKET;
        img.damage(t -> {
            AllocRecord r = AllocUpdates.get(t, nodeBucket);
            putRecordRaw(t, nodeBucket, r.withData(DataType.USER, 4 * BS, 0));
            return null;
        });
        repairable("alloc-type");
    }

    @Test
    void stalePointerGen() throws Exception {
        long ino = img.ino("/c/f4");
        img.damage(t -> {
            ExtentView e = extents(t, ino).get(0);
            t.put(BtreeId.EXTENTS, ExtentKeys.extentKey(ino, e.startBytes(), e.bucket(),
                    e.offsetInBucketBytes(), (e.generation() + 1) & 255, BS, e.crcs()));
            return null;
        });
        repairable("stale-pointer", "/c/f4");
    }

    @Test
    void duplicateBucketClaim() throws Exception {
        long f5 = img.ino("/c/f5");
        img.damage(t -> {
            ExtentView victim = extents(t, img.ino("/a/b/f3")).get(0);
            t.put(BtreeId.EXTENTS, ExtentKeys.extentKey(f5, 0, victim.bucket(),
                    victim.offsetInBucketBytes(), victim.generation(), BS,
                    new int[] {victim.crcs()[0]}));
            return null;
        });
        repairable("bucket-claimed-twice", "/c/f5");
    }

    // ---- backpointers ----

    @Test
    void missingBackpointer() throws Exception {
        ExtentView e = firstExtent("/a/f2");
        img.damage(t -> {
            t.delete(BtreeId.BACKPOINTERS, e.backpointerPos());
            return null;
        });
        repairable("backpointer-missing");
    }

    @Test
    void extraBackpointer() throws Exception {
        ExtentView e = firstExtent("/a/b/f3");
        img.damage(t -> {
            Bkey bp = e.backpointerKey();
            t.put(BtreeId.BACKPOINTERS, new Bkey(Bpos.of(e.bucket(), CorpusImage.BUCKET - BS),
                    KeyType.BACKPOINTER, bp.value()));
            return null;
        });
        repairable("backpointer-extra");
    }

    // ---- extents and inodes ----

    @Test
    void extentPastEof() throws Exception {
        long ino = img.ino("/a/f2");
        img.damage(t -> {
            ExtentView e = extents(t, ino).get(0);
            long b = firstBucketOf(t, DataType.FREE);
            AllocRecord r = AllocUpdates.get(t, b);
            // The free bucket reads zeros: the extent's checksum matches them.
            int zeros = io.keelfs.format.Crc32c.of(new byte[BS], 0, BS);
            t.put(BtreeId.EXTENTS, ExtentKeys.extentKey(ino, 1 << 20, b, 0, r.generation(),
                    BS, new int[] {zeros}));
            return null;
        });
        repairable("extent-past-eof", "/a/f2");
    }

    @Test
    void wrongIsize() throws Exception {
        long ino = img.ino("/a/b/f3");
        img.damage(t -> {
            putInode(t, ino, i -> i.withSize(100));
            return null;
        });
        repairable("extent-past-eof");
    }

    @Test
    void overlappingExtents() throws Exception {
        long ino = img.ino("/f1");
        img.damage(t -> {
            ExtentView e = extents(t, ino).get(0);
            assertTrue(e.lengthBytes() >= 3 * BS, e.toString());
            t.put(BtreeId.EXTENTS, ExtentKeys.extentKey(ino, BS, e.bucket(),
                    e.offsetInBucketBytes() + BS, e.generation(), BS,
                    new int[] {e.crcs()[1]}));
            return null;
        });
        repairable("extent-overlap");
    }

    @Test
    void wrongNlink() throws Exception {
        long ino = img.ino("/f1");
        img.damage(t -> {
            putInode(t, ino, i -> i.withNlink(5));
            return null;
        });
        repairable("inode-nlink");
    }

    @Test
    void wrongBytesUsed() throws Exception {
        long ino = img.ino("/c/f4");
        img.damage(t -> {
            putInode(t, ino, i -> i.withUsedDelta(7 * BS));
            return null;
        });
        repairable("inode-used-bytes");
    }

    @Test
    void wrongDirectorySize() throws Exception {
        long ino = img.ino("/c");
        img.damage(t -> {
            putInode(t, ino, i -> i.withSize(12345));
            return null;
        });
        repairable("inode-size");
    }

    @Test
    void wrongInodeCount() throws Exception {
        img.damage(t -> {
            t.put(BtreeId.INODES, new Bkey(Bpos.of(0, 0), KeyType.FS_COUNTERS,
                    ByteBuffer.allocate(8).putLong(99).array()));
            return null;
        });
        repairable("inode-count");
    }

    @Test
    void inodeNamedByNothingGoesToLostAndFound() throws Exception {
        long dir = img.ino("/c");
        img.damage(t -> {
            new Dirents(NameHash.SIPHASH).remove(t, dirent(t, dir, "f4"));
            return null;
        });
        repairable("inode-unlinked");
        assertTrue(img.snapshot().containsKey(img.ino("/c/f4")));
    }

    @Test
    void orphanWhoseDeletionNeverFinished() throws Exception {
        long dir = img.ino("/c");
        long ino = img.ino("/c/f5");
        img.damage(t -> {
            new Dirents(NameHash.SIPHASH).remove(t, dirent(t, dir, "f5"));
            putInode(t, ino, i -> i.withNlink(0));
            t.put(BtreeId.ORPHANS, new Bkey(Bpos.of(ino, 0), KeyType.ORPHAN, null));
            return null;
        });
        repairable("orphan-pending", "/c/f5");
        Bkey gone = img.read(t -> t.get(BtreeId.INODES, Bpos.of(ino, 0)));
        assertTrue(gone == null, "reaped");
    }

    @Test
    void unlinkedInodeWithoutOrphanKey() throws Exception {
        long dir = img.ino("/c");
        long ino = img.ino("/c/f5");
        img.damage(t -> {
            new Dirents(NameHash.SIPHASH).remove(t, dirent(t, dir, "f5"));
            putInode(t, ino, i -> i.withNlink(0));
            return null;
        });
        repairable("orphan-key-missing", "/c/f5");
    }

    // ---- dirents ----

    @Test
    void direntToMissingInode() throws Exception {
        long dir = img.ino("/c");
        img.damage(t -> {
            new Dirents(NameHash.SIPHASH).insert(t, dir, "ghost".getBytes(StandardCharsets.UTF_8),
                    9999, FileMode.S_IFREG | 0644);
            return null;
        });
        repairable("dirent-target-missing");
    }

    @Test
    void wrongTypeInDirent() throws Exception {
        long dir = img.ino("/c");
        img.damage(t -> {
            Dirent d = dirent(t, dir, "f4");
            new Dirents(NameHash.SIPHASH).replace(t, d, d.childIno(), FileMode.S_IFCHR);
            return null;
        });
        repairable("dirent-type");
    }

    @Test
    void direntOffItsHashChain() throws Exception {
        long dir = img.ino("/a");
        img.damage(t -> {
            Dirent d = dirent(t, dir, "f2");
            t.delete(BtreeId.DIRENTS, Bpos.of(dir, d.offset()));
            t.put(BtreeId.DIRENTS, new Bkey(Bpos.of(dir, d.offset() - 5), KeyType.DIRENT,
                    d.encodeValue()));
            return null;
        });
        repairable("dirent-hash");
    }

    @Test
    void duplicateNameInADirectory() throws Exception {
        long dir = Filesystem.ROOT_INO;
        img.damage(t -> {
            Dirent d = dirent(t, dir, "f1");
            t.put(BtreeId.DIRENTS, new Bkey(Bpos.of(dir, d.offset() + 1), KeyType.DIRENT,
                    d.encodeValue()));
            return null;
        });
        repairable("dirent-duplicate");
    }

    @Test
    void direntNameNotValidUtf8() throws Exception {
        long dir = img.ino("/c");
        long f5 = img.ino("/c/f5");
        img.damage(t -> {
            new Dirents(NameHash.SIPHASH).insert(t, dir, new byte[] {'f', (byte) 0xff}, f5,
                    FileMode.S_IFREG | 0644);
            return null;
        });
        repairable("dirent-name");
    }

    // ---- directory structure ----

    @Test
    void unreachableDirectory() throws Exception {
        img.damage(t -> {
            new Dirents(NameHash.SIPHASH).remove(t, dirent(t, Filesystem.ROOT_INO, "c"));
            return null;
        });
        repairable("directory-unreachable");
        assertTrue(img.snapshot().containsKey(img.ino("/c/f4")), "back through lost+found");
    }

    @Test
    void directoryLoop() throws Exception {
        long a = img.ino("/a");
        long b = img.ino("/a/b");
        img.damage(t -> {
            Dirents dirents = new Dirents(NameHash.SIPHASH);
            dirents.remove(t, dirent(t, Filesystem.ROOT_INO, "a"));
            dirents.insert(t, b, "loop".getBytes(StandardCharsets.UTF_8), a,
                    FileMode.S_IFDIR | 0755);
            return null;
        });
        repairable("directory-loop");
        assertTrue(img.snapshot().containsKey(img.ino("/a/b/f3")));
    }

    @Test
    void directoryWithTwoParents() throws Exception {
        long b = img.ino("/a/b");
        img.damage(t -> {
            new Dirents(NameHash.SIPHASH).insert(t, img.ino("/c"),
                    "again".getBytes(StandardCharsets.UTF_8), b, FileMode.S_IFDIR | 0755);
            return null;
        });
        repairable("directory-multiple-parents");
    }

    // ---- xattrs ----

    @Test
    void xattrWithAnInvalidNamespace() throws Exception {
        long ino = img.ino("/f1");
        img.damage(t -> {
            byte[] name = "bogus.key".getBytes(StandardCharsets.UTF_8);
            long slot = NameHash.SIPHASH.slot(name, 1);
            ByteBuffer v = ByteBuffer.allocate(1 + name.length + 2).put((byte) name.length)
                    .put(name).put((byte) 1).put((byte) 2);
            t.put(BtreeId.XATTRS, new Bkey(Bpos.of(ino, slot), KeyType.XATTR, v.array()));
            return null;
        });
        repairable("xattr-invalid");
    }

    @Test
    void xattrOfAMissingInode() throws Exception {
        img.damage(t -> {
            byte[] name = "user.k".getBytes(StandardCharsets.UTF_8);
            ByteBuffer v = ByteBuffer.allocate(1 + name.length).put((byte) name.length)
                    .put(name);
            t.put(BtreeId.XATTRS, new Bkey(Bpos.of(7777, NameHash.SIPHASH.slot(name, 1)),
                    KeyType.XATTR, v.array()));
            return null;
        });
        repairable("xattr-owner-missing");
    }

    // ---- data ----

    @Test
    void badDataChecksumWithCheckData() throws Exception {
        ExtentView e = firstExtent("/a/b/f3");
        img.flipByte(e.bucket() * CorpusImage.BUCKET + e.offsetInBucketBytes() + 2 * BS + 17);
        assertEquals(FsckExit.CLEAN, img.fsck(false, false).exitCode(), "metadata is intact");
        notRepairable("data-checksum", true);
        assertTrue(img.log.stream().anyMatch(l -> l.contains("offset " + 2 * BS)), img.log
                .toString());
    }
}
