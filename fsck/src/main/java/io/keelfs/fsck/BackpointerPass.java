package io.keelfs.fsck;

import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.Geometry;
import io.keelfs.fs.data.ExtentKeys;
import io.keelfs.fs.data.ExtentKeys.BackpointerView;
import io.keelfs.fs.data.ExtentKeys.ExtentView;
import io.keelfs.txn.Transaction;
import io.keelfs.txn.TransactionIterator;

/**
 * Pass 5: backpointers to extents (the alloc pass checked extents to backpointers). Every
 * backpointer must decode and name an extent that exists and points back at exactly its
 * place; an extra one is deleted. Two backpointers of one bucket whose ranges overlap are a
 * bucket claimed twice (reported; the alloc pass drops an intruding extent when its place is
 * exact). Streams the btree in order: no memory beyond the findings. When the alloc pass's
 * digest showed every backpointer to be its extent's (the common case), that scan also
 * looked for overlaps ({@link FsckContext#backpointerOverlaps}) and this pass only reports
 * them: the btree is read once, not twice.
 */
final class BackpointerPass implements FsckPass {
    static final String NAME = "backpointers";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void run(FsckContext ctx) throws KeelException {
        if (ctx.managed == null) {
            return;
        }
        if (ctx.backpointersVerified && ctx.backpointerOverlaps != null) {
            // The alloc pass's digest scan read every backpointer, matched each to its extent
            // and looked for overlaps on the way: nothing is left to scan for.
            for (Overlap overlap : ctx.backpointerOverlaps) {
                overlap.report(ctx);
            }
            return;
        }
        Geometry g = ctx.superblock.geometry();
        Findings findings = new Findings();
        ctx.engine().read(txn -> {
            scan(ctx, txn, g, findings);
            return null;
        });
        findings.applyAll(ctx, NAME);
    }

    private static void scan(FsckContext ctx, Transaction txn, Geometry g, Findings findings)
            throws KeelException {
        TransactionIterator it = txn.iterator(BtreeId.BACKPOINTERS, Bpos.MIN);
        BackpointerView prev = null;
        for (Bkey k = it.next(); k != null; k = it.next()) {
            Bpos pos = k.pos();
            if (ctx.backpointersRewritten.contains(pos)) {
                continue;
            }
            BackpointerView bp;
            try {
                bp = ExtentKeys.backpointer(k);
            } catch (KeelException e) {
                findings.add("backpointer-invalid", "backpointer key " + pos, e.getMessage(),
                        t -> t.delete(BtreeId.BACKPOINTERS, pos));
                continue;
            }
            String why = ctx.backpointersVerified ? null : extentProblem(txn, g, bp);
            if (why != null) {
                findings.add("backpointer-extra", "bucket " + bp.bucket() + " +"
                        + bp.offsetInBucketBytes(), bp + ": " + why + "; delete it",
                        t -> t.delete(BtreeId.BACKPOINTERS, pos));
                continue;
            }
            Overlap overlap = Overlap.of(prev, bp);
            if (overlap != null) {
                overlap.report(ctx);
            }
            prev = bp;
        }
    }

    /** Two backpointers of one bucket whose ranges overlap: a bucket claimed twice. */
    record Overlap(BackpointerView first, BackpointerView second) {
        /** The overlap of {@code bp} with the backpointer before it in key order, or null. */
        static Overlap of(BackpointerView prev, BackpointerView bp) {
            boolean overlaps = prev != null && prev.bucket() == bp.bucket()
                    && prev.offsetInBucketBytes() + prev.lengthBytes()
                            > bp.offsetInBucketBytes();
            return overlaps ? new Overlap(prev, bp) : null;
        }

        void report(FsckContext ctx) {
            ctx.report.problem(NAME, "bucket-claimed-twice", "bucket " + second.bucket(),
                    first + " and " + second + " overlap in the bucket");
        }
    }

    /** Why the extent the backpointer names does not point back at it, or null. */
    private static String extentProblem(Transaction txn, Geometry g, BackpointerView bp)
            throws KeelException {
        Bkey k = txn.get(BtreeId.EXTENTS, bp.extentPos());
        if (k == null) {
            return "no extent at " + bp.extentPos();
        }
        try {
            ExtentView e = ExtentKeys.extent(k, g.blockSizeBytes(), g.bucketSizeBytes());
            return e.matches(bp) ? null : "the extent there is " + e;
        } catch (KeelException e) {
            return "the extent there is invalid";
        }
    }
}
