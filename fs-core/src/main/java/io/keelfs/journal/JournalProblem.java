package io.keelfs.journal;

/**
 * Something wrong that the {@link JournalReader} found and handled without refusing the
 * journal, for fsck and mount to report.
 *
 * @param kind what was found
 * @param seq the sequence number concerned; for {@link Kind#DAMAGED_ENTRY} the unverified
 *     header field; -1 when unknown
 * @param bucketIndex the journal bucket (index into the layout), -1 when not one place
 * @param offsetBytes device offset of the entry or block concerned, -1 when not one place
 * @param text a sentence with every number needed to debug it
 */
public record JournalProblem(Kind kind, long seq, int bucketIndex, long offsetBytes, String text) {
    /** Kinds of problem, from most to least common after a crash. */
    public enum Kind {
        /**
         * The magic matched but the checksum, length or fields did not: a torn write (normal
         * after a crash) or corruption. Reported only when its header seq is not older than the
         * replayed range.
         */
        DAMAGED_ENTRY,
        /**
         * A valid entry above the replayed head whose predecessor is missing or damaged, and
         * which nothing proves acknowledged: the torn tail of a crash, cut (not replayed).
         */
        TORN_TAIL,
        /**
         * Acknowledged entries lie above a missing or damaged one. Only reported when the
         * reader was asked to truncate (fsck repair); otherwise it is a JournalCorruptException.
         */
        CORRUPT_MIDDLE,
        /**
         * Within one bucket, an entry at a higher offset has a seq not above the one before it,
         * and is not older than the replayed range: the ring's write order is broken.
         */
        SEQ_NOT_INCREASING,
        /** Two different valid entries carry the same seq; neither is used. */
        DUPLICATE_SEQ,
        /** A journal bucket could not be read (only when truncation was allowed). */
        BUCKET_UNREADABLE,
        /**
         * Replay stopped before an entry no flush proves durable because what it refers to
         * outside the journal (file data) is not on the device: a crash before the entry's
         * flush returned, so it was never acknowledged (see io.keelfs.engine.ReplayCheck).
         */
        UNFLUSHED_TAIL
    }

    @Override
    public String toString() {
        return kind + " seq " + seq + " bucket " + bucketIndex + " @" + offsetBytes + ": " + text;
    }
}
