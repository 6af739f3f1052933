package io.keelfs.journal;

import java.util.Arrays;

/**
 * Journal space accounting: which buckets of the ring hold entries still needed, where the next
 * entry goes, and whether it may go there. Entry points: {@link #place}, {@link #commit},
 * {@link #advanceDurableLastSeq}, {@link #fillRatio}.
 *
 * <p>Model: the writer fills bucket {@code cur} from offset 0 upwards, then moves to
 * {@code cur + 1} (mod n). {@code seqMax[b]} is the highest seq written to bucket b (0: none
 * that matters). A bucket other than {@code cur} is free, i.e. may be overwritten, once
 * {@code seqMax[b] < durableLastSeq}: the lastSeq stamped in the newest durable entry says no
 * entry in it is needed for replay any more.
 *
 * <p>Invariant S (the spare bucket): after any entry is durable, the bucket after {@code cur}
 * is free. So at every crash the bucket after the reader's head bucket is free, which is
 * where {@link JournalWriter#resume} starts writing (it never appends to the head's bucket).
 * It is kept by the placement rule: an entry may enter the next bucket {@code nxt} only if
 * {@code nxt} is free and either {@code nxt + 1} is free too, or the entry's own lastSeq frees
 * {@code nxt + 1} once durable, in which case the entry must be written with a flush
 * ({@link Slot#mustFlush}). A checkpoint therefore can always make room, and ordinary
 * entries never take the last free bucket.
 *
 * <p>Thread-safety: not thread-safe; {@link JournalWriter} guards it with its lock.
 */
final class JournalSpace {
    /** Where an entry goes: bucket, offset in it, and whether it must be flushed. */
    record Slot(int bucketIndex, int offsetInBucketBytes, boolean mustFlush) {}

    private final JournalLayout layout;
    private final long[] seqMax;
    private int cur;
    private int curOffsetBytes;
    private long durableLastSeq;

    /**
     * @param seqMax per-bucket highest needed seq (copied)
     * @param cur the bucket written last
     * @param curOffsetBytes where in it the next entry would start; the bucket size makes the
     *     next entry go to the next bucket
     * @param durableLastSeq lastSeq of the newest durable entry
     */
    JournalSpace(JournalLayout layout, long[] seqMax, int cur, int curOffsetBytes,
            long durableLastSeq) {
        if (seqMax.length != layout.bucketCount() || cur < 0 || cur >= seqMax.length
                || curOffsetBytes < 0 || curOffsetBytes > layout.bucketSizeBytes()) {
            throw new IllegalArgumentException(String.format(
                    "journal space: %d bucket seqs for %d buckets, cur %d at offset %d",
                    seqMax.length, layout.bucketCount(), cur, curOffsetBytes));
        }
        this.layout = layout;
        this.seqMax = seqMax.clone();
        this.cur = cur;
        this.curOffsetBytes = curOffsetBytes;
        this.durableLastSeq = durableLastSeq;
    }

    /**
     * Where an entry of at least {@code minBytes} could start, or null if the journal is full
     * for it.
     *
     * @param entryLastSeq the lastSeq the entry will carry (at least this)
     */
    Slot place(int minBytes, long entryLastSeq) {
        int bucketBytes = layout.bucketSizeBytes();
        if (minBytes > bucketBytes) {
            return null;
        }
        if (bucketBytes - curOffsetBytes >= minBytes) {
            return new Slot(cur, curOffsetBytes, false);
        }
        int n = seqMax.length;
        int nxt = (cur + 1) % n;
        if (!isFree(nxt)) {
            return null;
        }
        // After the move, cur is an ordinary bucket; with two buckets it is also the spare.
        int spare = (nxt + 1) % n;
        if (seqMax[spare] < durableLastSeq) {
            return new Slot(nxt, 0, false);
        }
        // Taking the last free bucket: allowed only if this entry, once durable, frees the
        // bucket after it.
        if (seqMax[spare] < entryLastSeq) {
            return new Slot(nxt, 0, true);
        }
        return null;
    }

    /** Records that entry {@code seq} of {@code sizeBytes} was placed at {@code slot}. */
    void commit(Slot slot, long seq, int sizeBytes) {
        boolean sameBucket =
                slot.bucketIndex() == cur && slot.offsetInBucketBytes() == curOffsetBytes;
        boolean nextBucket = slot.bucketIndex() == (cur + 1) % seqMax.length
                && slot.offsetInBucketBytes() == 0;
        if (!sameBucket && !nextBucket) {
            throw new IllegalStateException(String.format(
                    "slot %s is not the next place (bucket %d offset %d)",
                    slot, cur, curOffsetBytes));
        }
        if (slot.offsetInBucketBytes() + sizeBytes > layout.bucketSizeBytes()) {
            throw new IllegalStateException(String.format(
                    "entry %d of %d bytes at offset %d overflows bucket %d of %d bytes",
                    seq, sizeBytes, slot.offsetInBucketBytes(), slot.bucketIndex(),
                    layout.bucketSizeBytes()));
        }
        cur = slot.bucketIndex();
        curOffsetBytes = slot.offsetInBucketBytes() + sizeBytes;
        seqMax[cur] = seq;
    }

    /** A newer durable entry carries {@code lastSeq}; buckets wholly below it become free. */
    void advanceDurableLastSeq(long lastSeq) {
        durableLastSeq = Math.max(durableLastSeq, lastSeq);
    }

    long durableLastSeq() {
        return durableLastSeq;
    }

    boolean isFree(int bucketIndex) {
        return bucketIndex != cur && seqMax[bucketIndex] < durableLastSeq;
    }

    int freeBucketCount() {
        int count = 0;
        for (int b = 0; b < seqMax.length; b++) {
            count += isFree(b) ? 1 : 0;
        }
        return count;
    }

    /** Fraction of the journal holding needed entries, counting the current bucket's fill. */
    double fillRatio() {
        int n = seqMax.length;
        int used = n - freeBucketCount();
        double bytes = (used - 1) * (double) layout.bucketSizeBytes() + curOffsetBytes;
        return Math.min(1.0, Math.max(0.0, bytes / ((double) n * layout.bucketSizeBytes())));
    }

    /** Checks the space invariants that hold at any time: offsets in range, cur in use. */
    void verify() {
        if (curOffsetBytes < 0 || curOffsetBytes > layout.bucketSizeBytes()
                || curOffsetBytes % layout.blockSizeBytes() != 0) {
            throw new IllegalStateException("journal space offset bad: " + this);
        }
    }

    void appendTo(StringBuilder sb) {
        sb.append("journal space: cur bucket ").append(cur).append(" at ").append(curOffsetBytes)
                .append(" of ").append(layout.bucketSizeBytes()).append(" bytes, durable lastSeq ")
                .append(durableLastSeq).append(", free buckets ").append(freeBucketCount())
                .append(" of ").append(seqMax.length).append(", bucket seqs ")
                .append(Arrays.toString(seqMax));
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        appendTo(sb);
        return sb.toString();
    }
}
