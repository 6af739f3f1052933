package io.keelfs.fsck;

import io.keelfs.alloc.AllocRecord;
import io.keelfs.alloc.AllocUpdates;
import io.keelfs.alloc.DataType;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.Geometry;
import io.keelfs.format.KeyType;
import io.keelfs.fs.FileMode;
import io.keelfs.fs.data.ExtentKeys;
import io.keelfs.fs.data.ExtentKeys.BackpointerView;
import io.keelfs.fs.data.ExtentKeys.ExtentView;
import io.keelfs.fs.data.ExtentKeys.ReservationView;
import io.keelfs.fs.inode.InodeCodec;
import io.keelfs.txn.Transaction;
import io.keelfs.txn.TransactionIterator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * Pass 4: alloc info. Recounts every bucket from what owns it (superblock and journal buckets
 * by the geometry, BTREE buckets from the nodes the topology pass reached, USER buckets from
 * the extents: live bytes), then compares with the alloc records (data type, dirty bytes) and
 * the derived FREESPACE and NEED_DISCARD keys. On the way it checks each extent: decodable,
 * its owner a regular file, its bucket in the data area, its generation the bucket's (else a
 * stale pointer), not overlapping the file's previous extent, and not claiming a place in its
 * bucket that another extent's backpointer holds (a bucket claimed twice). Repairs delete bad
 * extents (with their backpointer) and then rewrite the alloc records and derived keys from
 * the recount.
 *
 * <p>Shared scans: in the same snapshot the pass reads the namespace pass's
 * {@link InodeIndex} (inodes, orphans), looks each extent's owner up there (no inode decoded
 * twice) and counts the extents into it, so INODES and EXTENTS are each scanned once for both
 * passes ({@link FsckContext#sharedIndex}; a repair in between makes the namespace pass read
 * afresh).
 *
 * <p>Heap: three arrays of the bucket count (a 1 TiB image of 1 MiB buckets: 1M buckets,
 * 13 MiB), plus the bounded {@link Findings}; the extents are streamed. The inode index is
 * the namespace pass's, only built earlier.
 */
final class AllocPass implements FsckPass {
    static final String NAME = "alloc";
    private static final long BUCKET_MASK = AllocUpdates.BUCKET_INDEX_MAX;
    private static final int GEN_MISSING = -1;
    private static final int GEN_INVALID = -2;
    /**
     * Overlapping backpointers the digest scan keeps for the backpointer pass (each holds two
     * small views, about 200 bytes: 20 KiB at most); past it that pass scans on its own.
     */
    private static final int OVERLAPS_MAX = 100;

    @Override
    public String name() {
        return NAME;
    }

    /** One scan's state. */
    private static final class Scan {
        final Geometry g;
        final int buckets;
        final int[] gen;
        final byte[] type;
        final long[] dirty;
        final long[] live;
        final BitSet recordFixed = new BitSet();
        final Findings findings = new Findings();
        long ownerIno = -1;
        boolean ownerOk;
        ExtentView prev;
        /** Bytes of the valid reservations, and the reserved total key (null if none). */
        long reservedBytes;
        Bkey totalKey;
        final java.util.Set<Bpos> bpRewritten;
        /** Check each extent's backpointer by lookup (the slow path) or only hash them. */
        boolean lookups;
        /** Order-independent digest of the (extent, backpointer) pairs, and their count. */
        long pairSum;
        long pairXor;
        long pairs;
        /**
         * The inodes (read before the scan): owners are looked up here, not decoded again;
         * null if there were more than an index holds (owners then come from INODES).
         */
        InodeIndex idx;
        /** This scan also counts the extents into {@link #idx} for the namespace pass. */
        boolean countsExtents;
        /** The rows of the last owner and of the last extent counted (find hints). */
        int ownerRow = -1;
        int countRow = -1;
        TransactionIterator inodes;
        Bkey inodeAt;

        Scan(Geometry g, java.util.Set<Bpos> bpRewritten) {
            this.bpRewritten = bpRewritten;
            this.g = g;
            this.buckets = Math.toIntExact(g.bucketCount());
            gen = new int[buckets];
            Arrays.fill(gen, GEN_MISSING);
            type = new byte[buckets];
            dirty = new long[buckets];
            live = new long[buckets];
        }
    }

    @Override
    public void run(FsckContext ctx) throws KeelException {
        if (ctx.managed == null || ctx.nodeBuckets == null) {
            return;
        }
        Scan fast = new Scan(ctx.superblock.geometry(), ctx.backpointersRewritten);
        // The namespace pass's inode index is read here, in the same snapshot, and the extent
        // scan counts into it: each of INODES and EXTENTS is scanned once for both passes.
        InodeIndex idx = InodeIndex.forExpected(ctx.inodeKeys);
        Findings inodeFindings = new Findings();
        long fixedBefore = ctx.report.fixedCount();
        Scan s;
        try {
            s = ctx.engine().read(txn -> {
                if (NamespacePass.readInodes(txn, idx, inodeFindings)) {
                    NamespacePass.readOrphans(txn, idx, inodeFindings);
                    fast.idx = idx;
                    fast.countsExtents = true;
                }
                // Fast path: extents hashed, not looked up; if the backpointers hash the same,
                // every extent has exactly its backpointer and no place is claimed twice.
                readRecords(txn, fast);
                scanExtents(ctx, txn, fast);
                Scan chosen = fast;
                if (!digestMatches(ctx, txn, fast)) {
                    chosen = new Scan(ctx.superblock.geometry(), ctx.backpointersRewritten);
                    chosen.lookups = true;
                    chosen.idx = fast.idx;
                    readRecords(txn, chosen);
                    scanExtents(ctx, txn, chosen);
                }
                checkReservedTotal(chosen);
                return chosen;
            });
        } finally {
            if (fast.idx == null) {
                idx.close();
            }
        }
        if (fast.idx != null) {
            ctx.sharedIndex = new FsckContext.SharedIndex(idx, inodeFindings, fixedBefore);
        }
        ctx.backpointersVerified = !s.lookups && s.findings.isEmpty();
        ctx.engine().read(txn -> {
            compare(ctx, txn, s);
            checkDerived(txn, s, BtreeId.FREESPACE, DataType.FREE);
            checkDerived(txn, s, BtreeId.NEED_DISCARD, DataType.NEED_DISCARD);
            return null;
        });
        ctx.report.buckets = s.buckets;
        long unfixedBefore = ctx.report.foundCount() - ctx.report.fixedCount();
        s.findings.applyAll(ctx, NAME);
        startAllocation(ctx, ctx.report.foundCount() - ctx.report.fixedCount() > unfixedBefore);
    }

    /**
     * Ends the engine's allocation hold ({@link OpenPass}) once the alloc records are right:
     * from here on btree nodes may be written and buckets claimed. With alloc problems left
     * the hold stays: later repairs stay in the journal (replayed by the next open, whose
     * allocator cross-checks each bucket it hands out).
     */
    private static void startAllocation(FsckContext ctx, boolean problemsLeft)
            throws KeelException {
        if (!ctx.writable() || !ctx.engine().allocationHeld()) {
            return;
        }
        if (problemsLeft) {
            ctx.report.info("alloc: problems left unfixed: no btree node is written in this run;"
                    + " the repairs stay in the journal");
            return;
        }
        ctx.managed = ctx.managed.startAllocation();
    }

    private static void readRecords(Transaction txn, Scan s) throws KeelException {
        TransactionIterator it = txn.iterator(BtreeId.ALLOC, Bpos.MIN);
        for (Bkey k = it.next(); k != null; k = it.next()) {
            long b = k.pos().offset();
            Bpos pos = k.pos();
            if (pos.inode() != 0 || b < 0 || b >= s.buckets || k.type() != KeyType.ALLOC) {
                s.findings.add("alloc-key-invalid", "alloc key " + pos, "an alloc key outside"
                        + " the " + s.buckets + " buckets or of type " + k.type(),
                        t -> t.delete(BtreeId.ALLOC, pos));
                continue;
            }
            try {
                AllocRecord r = AllocRecord.decode(b, k.value());
                s.gen[(int) b] = r.generation();
                s.type[(int) b] = (byte) r.dataType().ordinal();
                s.dirty[(int) b] = r.dirtyBytes();
            } catch (KeelException e) {
                s.gen[(int) b] = GEN_INVALID;
            }
        }
    }

    private static DataType typeOf(Scan s, int b) {
        return DataType.values()[s.type[b]];
    }

    private static void scanExtents(FsckContext ctx, Transaction txn, Scan s)
            throws KeelException {
        int bs = s.g.blockSizeBytes();
        TransactionIterator it = txn.iterator(BtreeId.EXTENTS, Bpos.MIN);
        for (Bkey k = it.next(); k != null; k = it.next()) {
            Bpos pos = k.pos();
            if (pos.equals(ExtentKeys.RESERVED_TOTAL_POS)) {
                s.totalKey = k;
                if (s.countsExtents) {
                    NamespacePass.countExtentKey(k, s.idx, s.g, -1);
                }
                continue;
            }
            if (ExtentKeys.isReservation(k)) {
                checkReservation(txn, s, k);
                continue;
            }
            ExtentView e;
            try {
                e = ExtentKeys.extent(k, bs, s.g.bucketSizeBytes());
            } catch (KeelException ex) {
                s.findings.add("extent-invalid", "extent key " + pos, ex.getMessage() + "; delete it",
                        t -> t.delete(BtreeId.EXTENTS, pos));
                continue;
            }
            if (s.countsExtents) {
                s.countRow = NamespacePass.countExtent(e, s.idx, s.countRow);
            }
            checkExtent(txn, s, e);
        }
    }

    /**
     * A fallocate reservation: decodable and owned by a regular file (else deleted); its bytes
     * count toward the reserved total, which {@link #checkReservedTotal} compares.
     */
    private static void checkReservation(Transaction txn, Scan s, Bkey k)
            throws KeelException {
        Bpos pos = k.pos();
        ReservationView r;
        try {
            r = ExtentKeys.reservation(k, s.g.blockSizeBytes());
        } catch (KeelException ex) {
            s.findings.add("reservation-invalid", "extent key " + pos, ex.getMessage()
                    + "; delete it", t -> t.delete(BtreeId.EXTENTS, pos));
            return;
        }
        if (s.countsExtents) {
            NamespacePass.countReservation(r, s.idx);
        }
        if (!ownerIsFile(txn, s, r.ino())) {
            s.findings.add("reservation-owner", "extent key " + pos, r + ": its inode is"
                    + " missing or not a regular file; delete it",
                    t -> t.delete(BtreeId.EXTENTS, pos));
            return;
        }
        s.reservedBytes += r.lengthBytes();
    }

    /** The reserved total key against the sum of the reservations kept. */
    private static void checkReservedTotal(Scan s) {
        long have;
        try {
            have = ExtentKeys.reservedTotal(s.totalKey);
        } catch (KeelException ex) {
            have = -1;
        }
        if (have != s.reservedBytes) {
            long want = s.reservedBytes;
            s.findings.add("reserved-total", "extent key " + ExtentKeys.RESERVED_TOTAL_POS,
                    "reserved total " + (have < 0 ? "invalid" : have + " bytes") + ", the"
                    + " reservations hold " + want + "; rewrite it",
                    t -> t.put(BtreeId.EXTENTS, ExtentKeys.reservedTotalKey(want)));
        }
    }

    private static void checkExtent(Transaction txn, Scan s, ExtentView e)
            throws KeelException {
        if (!s.lookups) {
            s.pairSum += pairHash(e.bucket(), e.offsetInBucketBytes(), e.ino(), e.startBytes(),
                    e.lengthBytes());
            s.pairXor ^= pairHash(e.ino(), e.startBytes(), e.lengthBytes(), e.bucket(),
                    e.offsetInBucketBytes());
            s.pairs++;
        }
        boolean ownerOk = ownerIsFile(txn, s, e.ino());
        long b = e.bucket();
        if (!ownerOk) {
            drop(s, e, "extent-owner", e + ": its inode is missing or not a regular file");
            return;
        }
        if (b < s.g.firstNodeBucket() || b >= s.g.endNodeBucket()) {
            drop(s, e, "extent-bucket", e + ": bucket outside the data area ["
                    + s.g.firstNodeBucket() + ", " + s.g.endNodeBucket() + ")");
            return;
        }
        int bi = (int) b;
        if (s.gen[bi] >= 0 && s.gen[bi] != e.generation()) {
            drop(s, e, "stale-pointer", e + ": bucket " + b + " is at generation "
                    + s.gen[bi] + " (the data was freed; the pointer is stale)");
            return;
        }
        if (s.prev != null && s.prev.endBytes() > e.startBytes()) {
            boolean prevOwns = ownsPlace(txn, s.prev);
            boolean curOwns = ownsPlace(txn, e);
            ExtentView loser = prevOwns && !curOwns ? e : !prevOwns && curOwns ? s.prev : e;
            drop(s, loser, "extent-overlap", "extents of inode " + e.ino() + " overlap: "
                    + s.prev + " and " + e + "; drop " + loser);
            if (loser == s.prev) {
                s.live[(int) loser.bucket()] -= loser.lengthBytes();
                s.prev = e;
                s.live[bi] += e.lengthBytes();
            }
            return;
        }
        if (s.lookups && !checkBackpointer(txn, s, e)) {
            return;
        }
        s.prev = e;
        s.live[bi] += e.lengthBytes();
    }

    /**
     * Whether {@code ino} is a regular file (cached while the scan stays in its keys): from
     * the inode index, or without one from INODES.
     */
    private static boolean ownerIsFile(Transaction txn, Scan s, long ino) throws KeelException {
        if (ino != s.ownerIno) {
            s.ownerIno = ino;
            if (s.idx != null) {
                // The index holds exactly the decodable INODE keys: what the else decodes.
                int row = s.idx.find(ino, s.ownerRow);
                s.ownerRow = row >= 0 ? row : s.ownerRow;
                s.ownerOk = row >= 0 && FileMode.isRegular(s.idx.mode(row));
            } else {
                Bkey ik = ownerKey(txn, s, ino);
                s.ownerOk = ik != null && ik.type() == KeyType.INODE && isRegular(ino, ik);
            }
            s.prev = null;
        }
        return s.ownerOk;
    }

    /**
     * The INODES key of {@code ino}: a merge with a second iterator (extents come in inode
     * order), not a lookup per file.
     */
    private static Bkey ownerKey(Transaction txn, Scan s, long ino) throws KeelException {
        if (s.inodes == null) {
            s.inodes = txn.iterator(BtreeId.INODES, Bpos.of(1, 0));
            s.inodeAt = s.inodes.next();
        }
        while (s.inodeAt != null && Long.compareUnsigned(s.inodeAt.pos().inode(), ino) < 0) {
            s.inodeAt = s.inodes.next();
        }
        return s.inodeAt != null && s.inodeAt.pos().inode() == ino
                && s.inodeAt.pos().offset() == 0 ? s.inodeAt : null;
    }

    /**
     * Whether BACKPOINTERS holds exactly the pairs the extent scan hashed. On the way notes
     * the overlapping backpointers for the backpointer pass, which then need not read them
     * again ({@link FsckContext#backpointerOverlaps}).
     */
    private static boolean digestMatches(FsckContext ctx, Transaction txn, Scan s)
            throws KeelException {
        long sum = 0;
        long xor = 0;
        long n = 0;
        List<BackpointerPass.Overlap> overlaps = new ArrayList<>();
        BackpointerView prev = null;
        TransactionIterator it = txn.iterator(BtreeId.BACKPOINTERS, Bpos.MIN);
        for (Bkey k = it.next(); k != null; k = it.next()) {
            BackpointerView bp;
            try {
                bp = ExtentKeys.backpointer(k);
            } catch (KeelException e) {
                return false;
            }
            BackpointerPass.Overlap overlap = BackpointerPass.Overlap.of(prev, bp);
            if (overlap != null && overlaps.size() < OVERLAPS_MAX) {
                overlaps.add(overlap);
            } else if (overlap != null) {
                return false; // too many to hold: the backpointer pass scans for them itself
            }
            prev = bp;
            sum += pairHash(bp.bucket(), bp.offsetInBucketBytes(), bp.ino(),
                    bp.fileOffsetBytes(), bp.lengthBytes());
            xor ^= pairHash(bp.ino(), bp.fileOffsetBytes(), bp.lengthBytes(), bp.bucket(),
                    bp.offsetInBucketBytes());
            n++;
        }
        ctx.backpointerOverlaps = overlaps;
        return n == s.pairs && sum == s.pairSum && xor == s.pairXor;
    }

    /** A 64-bit mix of one (place, extent) pair (murmur3's finalizer over each field). */
    static long pairHash(long a, long b, long c, long d, long e) {
        return mix(mix(mix(mix(mix(0x9e3779b97f4a7c15L, a), b), c), d), e);
    }

    private static long mix(long h, long v) {
        h ^= v;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        return h ^ (h >>> 33);
    }

    private static boolean isRegular(long ino, Bkey ik) {
        try {
            return FileMode.isRegular(InodeCodec.decode(ino, ik.value()).mode());
        } catch (KeelException ex) {
            return false;
        }
    }

    /** True when the backpointer at the extent's place names exactly it. */
    private static boolean ownsPlace(Transaction txn, ExtentView e) throws KeelException {
        BackpointerView bp = backpointerAt(txn, e.backpointerPos());
        return bp != null && e.matches(bp);
    }

    private static BackpointerView backpointerAt(Transaction txn, Bpos pos)
            throws KeelException {
        Bkey k = txn.get(BtreeId.BACKPOINTERS, pos);
        if (k == null) {
            return null;
        }
        try {
            return ExtentKeys.backpointer(k);
        } catch (KeelException ex) {
            return null;
        }
    }

    /**
     * The extent's backpointer: right (true), missing or wrong (a finding to rewrite it; true),
     * or naming another live extent at the same place (a bucket claimed twice: this extent is
     * the intruder and goes; false).
     */
    private static boolean checkBackpointer(Transaction txn, Scan s, ExtentView e)
            throws KeelException {
        BackpointerView bp = backpointerAt(txn, e.backpointerPos());
        if (bp != null && e.matches(bp)) {
            return true;
        }
        if (bp != null) {
            Bkey other = txn.get(BtreeId.EXTENTS, bp.extentPos());
            if (other != null) {
                try {
                    ExtentView o = ExtentKeys.extent(other, s.g.blockSizeBytes(),
                            s.g.bucketSizeBytes());
                    if (o.matches(bp)) {
                        drop(s, e, "bucket-claimed-twice", "bucket " + e.bucket() + " +"
                                + e.offsetInBucketBytes() + " is claimed by " + e + " and by "
                                + o + " (whose backpointer it is); drop the first");
                        return false;
                    }
                } catch (KeelException ex) {
                    // The other key is invalid: the extent scan reports it.
                }
            }
        }
        Bkey want = e.backpointerKey();
        s.findings.add(bp == null ? "backpointer-missing" : "backpointer-wrong",
                "bucket " + e.bucket() + " +" + e.offsetInBucketBytes(), e + " has "
                        + (bp == null ? "no backpointer" : "backpointer " + bp)
                        + "; write the right one",
                t -> t.put(BtreeId.BACKPOINTERS, want));
        s.bpRewritten.add(want.pos());
        return true;
    }

    /** A finding that deletes {@code e} and its backpointer (if it is its own). */
    private static void drop(Scan s, ExtentView e, String kind, String text) {
        Bpos pos = e.pos();
        Bpos bpPos = e.backpointerPos();
        s.findings.add(kind, "inode " + e.ino() + " offset " + e.startBytes(), text
                + "; delete the extent (the range reads as a hole)", t -> {
                    t.delete(BtreeId.EXTENTS, pos);
                    BackpointerView bp = backpointerAt(t, bpPos);
                    if (bp != null && e.matches(bp)) {
                        t.delete(BtreeId.BACKPOINTERS, bpPos);
                    }
                });
    }

    private static DataType expected(Scan s, FsckContext ctx, int b) {
        if (b == 0 || b == s.buckets - 1) {
            return DataType.SUPERBLOCK;
        }
        if (b < s.g.firstNodeBucket()) {
            return DataType.JOURNAL;
        }
        if (ctx.nodeBuckets.get(b)) {
            return DataType.BTREE;
        }
        return s.live[b] > 0 ? DataType.USER : null;
    }

    private static void compare(FsckContext ctx, Transaction txn, Scan s) {
        for (int b = 0; b < s.buckets; b++) {
            if (b % 4096 == 0) {
                ctx.progress.update(b, s.buckets);
            }
            DataType want = expected(s, ctx, b);
            if (want == DataType.BTREE && s.live[b] > 0) {
                ctx.report.problem(NAME, "bucket-claimed-twice", "bucket " + b, "the bucket holds"
                        + " reachable btree nodes and " + s.live[b] + " bytes of extents");
                continue;
            }
            int gen = s.gen[b];
            if (gen < 0) {
                int g = Math.max(0, gen);
                DataType t = want == null ? DataType.FREE : want;
                long bytes = want == DataType.USER ? s.live[b] : 0;
                rewrite(s, b, want, (gen == GEN_MISSING ? "no alloc record" : "an invalid alloc"
                        + " record") + ", expected " + t, new AllocRecord(g, t, bytes, 0, 0, 0));
                continue;
            }
            DataType have = typeOf(s, b);
            long dirty = s.dirty[b];
            String says = "record says " + have + " with " + dirty + " dirty bytes";
            if (want == DataType.USER) {
                if (have != DataType.USER || dirty != s.live[b]) {
                    rewrite(s, b, want, says + "; the extents hold " + s.live[b]
                            + " live bytes", null);
                }
            } else if (want != null) {
                if (have != want || dirty != 0) {
                    rewrite(s, b, want, says + ", expected " + want, null);
                }
            } else if (have == DataType.SUPERBLOCK || have == DataType.JOURNAL
                    || have == DataType.CACHED || dirty != 0) {
                rewrite(s, b, want, says + ", but nothing lives in the bucket", null);
            }
        }
    }

    /** A finding that rewrites bucket {@code b}'s record (and derived keys) from the recount. */
    private static void rewrite(Scan s, int b, DataType want, String text,
            AllocRecord fresh) {
        s.recordFixed.set(b);
        long liveBytes = s.live[b];
        boolean user = liveBytes > 0;
        String kind = fresh != null ? "alloc-missing" : user ? "alloc-counts" : "alloc-type";
        s.findings.add(kind, "bucket " + b, text, t -> {
            if (fresh != null) {
                t.delete(BtreeId.ALLOC, AllocUpdates.allocPos(b));
                deleteDerived(t, b);
                AllocUpdates.set(t, b, fresh);
                return;
            }
            AllocRecord r = AllocUpdates.get(t, b);
            AllocRecord next;
            if (user) {
                next = r.withData(DataType.USER, liveBytes, 0);
            } else if (want != null) {
                next = r.withData(want, 0, 0);
            } else if (r.dataType() == DataType.BTREE) {
                next = r.withData(DataType.BTREE, 0, 0);
            } else {
                next = r.emptied(DataType.FREE, 0);
            }
            AllocUpdates.set(t, b, next);
        });
    }

    /** Deletes whatever FREESPACE and NEED_DISCARD keys name bucket {@code b}. */
    private static void deleteDerived(Transaction t, int b) {
        for (int genbits = 0; genbits < 16; genbits++) {
            t.delete(BtreeId.FREESPACE, AllocUpdates.freespacePos(b, genbits));
        }
        t.delete(BtreeId.NEED_DISCARD, Bpos.of(0, b));
    }

    /**
     * The derived index {@code btree} must hold a key exactly for the buckets whose record has
     * type {@code type} (FREESPACE at the record's genbits).
     */
    private static void checkDerived(Transaction txn, Scan s, BtreeId btree, DataType type)
            throws KeelException {
        boolean free = type == DataType.FREE;
        TransactionIterator it = txn.iterator(btree, Bpos.MIN);
        BitSet seen = new BitSet();
        for (Bkey k = it.next(); k != null; k = it.next()) {
            Bpos pos = k.pos();
            long b = pos.offset() & BUCKET_MASK;
            int genbits = (int) (pos.offset() >>> 56);
            boolean ok = pos.inode() == 0 && b < s.buckets && s.gen[(int) b] >= 0
                    && typeOf(s, (int) b) == type && (!free ? genbits == 0
                            : genbits == s.gen[(int) b] >>> 4);
            if (ok) {
                seen.set((int) b);
            } else if (b >= s.buckets || !s.recordFixed.get((int) b)) {
                s.findings.add(btree.name().toLowerCase().replace('_', '-') + "-extra",
                        btree + " key " + pos, "names bucket " + b + " whose record is not "
                                + type + (free ? " at genbits " + genbits : ""),
                        t -> t.delete(btree, pos));
            }
        }
        for (int b = 0; b < s.buckets; b++) {
            if (s.gen[b] < 0 || typeOf(s, b) != type || seen.get(b) || s.recordFixed.get(b)) {
                continue;
            }
            Bpos want = free ? AllocUpdates.freespacePos(b, s.gen[b] >>> 4) : Bpos.of(0, b);
            s.findings.add(btree.name().toLowerCase().replace('_', '-') + "-missing",
                    "bucket " + b, "record is " + type + " but " + btree + " has no key for it",
                    t -> t.put(btree, new Bkey(want, KeyType.SET, null)));
        }
    }
}
