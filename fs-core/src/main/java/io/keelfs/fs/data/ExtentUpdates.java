package io.keelfs.fs.data;

import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.txn.Transaction;
import io.keelfs.txn.TransactionIterator;
import java.util.ArrayList;
import java.util.List;

/**
 * The extent index inside one transaction: lookups, inserts and range removal, each keeping
 * EXTENTS, BACKPOINTERS and the buckets' live bytes in step (a bcachefs extent trigger).
 *
 * <p>Entry points: {@link #lookup}, {@link #insert}, {@link #remove}, {@link #repoint}.
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
     * The extents overlapping {@code [startBytes, endBytes)} in file order, at most
     * {@code extentsMax}; {@code coveredUpToBytes} is endBytes, or where the list stopped.
     */
    Found lookup(Transaction txn, long ino, long startBytes, long endBytes, int extentsMax)
            throws KeelException {
        List<Extent> out = new ArrayList<>();
        TransactionIterator it = txn.iterator(BtreeId.EXTENTS, Bpos.of(ino, startBytes + 1));
        for (Bkey k = it.next(); k != null && k.pos().inode() == ino; k = it.next()) {
            Extent e = decode(k);
            if (e.startBytes() >= endBytes) {
                break;
            }
            if (out.size() == extentsMax) {
                return new Found(out, Math.max(startBytes, e.startBytes()));
            }
            out.add(e);
        }
        return new Found(out, endBytes);
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
        int count = 0;
        for (Bkey k = it.next(); k != null && k.pos().inode() == ino; k = it.next()) {
            Extent e = decode(k);
            if (e.startBytes() >= endBytes) {
                break;
            }
            if (count == extentsMax) {
                return new FileData.PunchResult(Math.max(startBytes, e.startBytes()), -removed);
            }
            count++;
            removed += cut(txn, e, startBytes, endBytes);
        }
        return new FileData.PunchResult(endBytes, -removed);
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
        if (k == null || !decode(k).equals(old)) {
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
