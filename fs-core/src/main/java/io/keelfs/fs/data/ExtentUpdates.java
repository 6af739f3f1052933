package io.keelfs.fs.data;

import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.txn.Transaction;
import io.keelfs.txn.TransactionIterator;
import java.util.ArrayList;
import java.util.List;

/**
 * The extent index inside one transaction: lookups, inserts and range removal, each keeping
 * EXTENTS, BACKPOINTERS and the buckets' live bytes in step (a bcachefs extent trigger), and
 * the reserved ranges of fallocate ({@link ReservedExtent}) with the reserved total.
 *
 * <p>Entry points: {@link #lookup}, {@link #insert}, {@link #remove}, {@link #repoint},
 * {@link #reservedBytesIn}, {@link #fillHoles}.
 *
 * <p>Thread-safety: stateless beyond its configuration; transactions are thread-confined.
 */
final class ExtentUpdates {
    private final DataSpace space;
    final int blockSizeBytes;

    ExtentUpdates(DataSpace space, int blockSizeBytes) {
        this.space = space;
        this.blockSizeBytes = blockSizeBytes;
    }

    Extent decode(Bkey k) throws InconsistentException {
        return Extent.decode(k, blockSizeBytes, space.bucketSizeBytes);
    }

    /** Result of a lookup: the extents found, and how far the range is covered by it. */
    record Found(List<Extent> extents, long coveredUpToBytes) {}

    /**
     * The extents overlapping {@code [startBytes, endBytes)} in file order, after examining at
     * most {@code extentsMax} keys; {@code coveredUpToBytes} is endBytes, or where the list
     * stopped. Reserved ranges hold no data (they read as zeros, as holes) and are left out.
     */
    Found lookup(Transaction txn, long ino, long startBytes, long endBytes, int extentsMax)
            throws KeelException {
        List<Extent> out = new ArrayList<>();
        TransactionIterator it = txn.iterator(BtreeId.EXTENTS, Bpos.of(ino, startBytes + 1));
        int examined = 0;
        for (Bkey k = it.next(); k != null && k.pos().inode() == ino; k = it.next()) {
            long start = startOf(k);
            if (start >= endBytes) {
                break;
            }
            if (examined == extentsMax) {
                return new Found(out, Math.max(startBytes, start));
            }
            examined++;
            if (k.type() != KeyType.RESERVATION) {
                out.add(decode(k));
            }
        }
        return new Found(out, endBytes);
    }

    /** Where the range of an EXTENTS key (data or reservation) starts. */
    private long startOf(Bkey k) throws InconsistentException {
        return k.type() == KeyType.RESERVATION ? reservation(k).startBytes()
                : decode(k).startBytes();
    }

    ReservedExtent reservation(Bkey k) throws InconsistentException {
        return ReservedExtent.decode(k, blockSizeBytes);
    }

    /** Bytes of reserved ranges inside {@code [startBytes, endBytes)} (a write's range). */
    long reservedBytesIn(Transaction txn, long ino, long startBytes, long endBytes)
            throws KeelException {
        TransactionIterator it = txn.iterator(BtreeId.EXTENTS, Bpos.of(ino, startBytes + 1));
        long bytes = 0;
        for (Bkey k = it.next(); k != null && k.pos().inode() == ino; k = it.next()) {
            long start = startOf(k);
            if (start >= endBytes) {
                break;
            }
            if (k.type() == KeyType.RESERVATION) {
                bytes += Math.min(endBytes, k.pos().offset()) - Math.max(startBytes, start);
            }
        }
        return bytes;
    }

    /** How far {@link #fillHoles} got and the hole bytes it found (and reserved). */
    record Holes(long doneUpToBytes, long holeBytes) {}

    /**
     * The holes of block-aligned {@code [startBytes, endBytes)}: with {@code reserve}, each
     * becomes a reserved range (the caller moves the bytes into the reserved total); without,
     * they are only counted. Stops after {@code keysMax} keys examined or written.
     */
    Holes fillHoles(Transaction txn, long ino, long startBytes, long endBytes, int keysMax,
            boolean reserve) throws KeelException {
        checkAligned(startBytes, endBytes);
        TransactionIterator it = txn.iterator(BtreeId.EXTENTS, Bpos.of(ino, startBytes + 1));
        long at = startBytes;
        long holes = 0;
        int keys = 0;
        for (Bkey k = it.next(); k != null && k.pos().inode() == ino; k = it.next()) {
            long start = startOf(k);
            if (start >= endBytes) {
                break;
            }
            if (keys >= keysMax) {
                return new Holes(at, holes);
            }
            keys++;
            if (start > at) {
                holes += hole(txn, ino, at, start, reserve);
                keys++;
            }
            at = Math.max(at, k.pos().offset());
        }
        if (at < endBytes) {
            holes += hole(txn, ino, at, endBytes, reserve);
        }
        return new Holes(endBytes, holes);
    }

    private long hole(Transaction txn, long ino, long from, long to, boolean reserve) {
        if (reserve) {
            txn.put(BtreeId.EXTENTS, new ReservedExtent(ino, from, to - from, blockSizeBytes)
                    .toKey());
        }
        return to - from;
    }

    /** Inserts a new extent into space reserved in {@code db}; the range must be empty. */
    void insert(Transaction txn, Extent e, DataBucket db) throws KeelException {
        if (e.bucket() != db.bucket() || e.generation() != db.generation()) {
            throw new IllegalArgumentException(e + " is not in " + db);
        }
        txn.put(BtreeId.EXTENTS, e.toKey());
        txn.put(BtreeId.BACKPOINTERS, Backpointer.of(e).toKey());
        space.addLive(txn, db, e.lengthBytes());
    }

    /**
     * Removes file bytes {@code [startBytes, endBytes)} (block aligned) of {@code ino}: extents
     * inside go, extents crossing an end are cut to the part outside. Stops after
     * {@code extentsMax} extents; returns how far it got and the live bytes removed.
     */
    FileData.PunchResult remove(Transaction txn, long ino, long startBytes, long endBytes,
            int extentsMax) throws KeelException {
        checkAligned(startBytes, endBytes);
        TransactionIterator it = txn.iterator(BtreeId.EXTENTS, Bpos.of(ino, startBytes + 1));
        long removed = 0;
        long unreserved = 0;
        int count = 0;
        long done = endBytes;
        for (Bkey k = it.next(); k != null && k.pos().inode() == ino; k = it.next()) {
            long start = startOf(k);
            if (start >= endBytes) {
                break;
            }
            if (count == extentsMax) {
                done = Math.max(startBytes, start);
                break;
            }
            count++;
            if (k.type() == KeyType.RESERVATION) {
                unreserved += cutReservation(txn, reservation(k), startBytes, endBytes);
            } else {
                removed += cut(txn, decode(k), startBytes, endBytes);
            }
        }
        if (unreserved > 0) {
            space.reserved.add(txn, -unreserved, false);
        }
        return new FileData.PunchResult(done, -(removed + unreserved));
    }

    /** Removes the part of {@code r} inside {@code [start, end)}; returns the bytes removed. */
    private static long cutReservation(Transaction txn, ReservedExtent r, long start, long end) {
        txn.delete(BtreeId.EXTENTS, r.pos());
        long from = Math.max(start, r.startBytes());
        long to = Math.min(end, r.endBytes());
        if (r.startBytes() < from) {
            txn.put(BtreeId.EXTENTS, r.slice(r.startBytes(), from).toKey());
        }
        if (to < r.endBytes()) {
            txn.put(BtreeId.EXTENTS, r.slice(to, r.endBytes()).toKey());
        }
        return to - from;
    }

    /** Removes the part of {@code e} inside {@code [start, end)}; returns the bytes removed. */
    private long cut(Transaction txn, Extent e, long start, long end) throws KeelException {
        txn.delete(BtreeId.EXTENTS, e.pos());
        txn.delete(BtreeId.BACKPOINTERS, Backpointer.of(e).pos());
        long from = Math.max(start, e.startBytes());
        long to = Math.min(end, e.endBytes());
        if (e.startBytes() < from) {
            putPiece(txn, e.slice(e.startBytes(), from));
        }
        if (to < e.endBytes()) {
            putPiece(txn, e.slice(to, e.endBytes()));
        }
        space.removeLive(txn, e.bucket(), e.generation(), to - from);
        return to - from;
    }

    /** A piece left of a cut extent: same data, so the bucket's live bytes are unchanged. */
    private static void putPiece(Transaction txn, Extent piece) {
        txn.put(BtreeId.EXTENTS, piece.toKey());
        txn.put(BtreeId.BACKPOINTERS, Backpointer.of(piece).toKey());
    }

    /**
     * Copygc's index update: if the extent at {@code old}'s position is still exactly
     * {@code old} (not overwritten, cut or moved meanwhile), points it at {@code moved} in
     * {@code db}. Returns whether it did.
     */
    boolean repoint(Transaction txn, Extent old, List<CopyGc.Piece> pieces)
            throws KeelException {
        Bkey k = txn.get(BtreeId.EXTENTS, old.pos());
        if (k == null || k.type() != KeyType.EXTENT || !decode(k).equals(old)) {
            return false;
        }
        long covered = 0;
        for (CopyGc.Piece p : pieces) {
            covered += p.extent().lengthBytes();
        }
        Extent last = pieces.get(pieces.size() - 1).extent();
        if (covered != old.lengthBytes() || pieces.get(0).extent().startBytes()
                != old.startBytes() || last.endBytes() != old.endBytes()) {
            throw new IllegalArgumentException("pieces " + pieces + " do not cover " + old);
        }
        txn.delete(BtreeId.BACKPOINTERS, Backpointer.of(old).pos());
        // The last piece ends where the old extent did, so its key replaces the old one.
        for (CopyGc.Piece p : pieces) {
            insert(txn, p.extent(), p.into());
        }
        space.removeLive(txn, old.bucket(), old.generation(), old.lengthBytes());
        return true;
    }

    private void checkAligned(long startBytes, long endBytes) {
        if (startBytes < 0 || startBytes >= endBytes || startBytes % blockSizeBytes != 0
                || endBytes % blockSizeBytes != 0) {
            throw new IllegalArgumentException(String.format(
                    "range [%d, %d) is empty, negative or not aligned to %d-byte blocks",
                    startBytes, endBytes, blockSizeBytes));
        }
    }
}
