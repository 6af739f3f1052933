package io.keelfs.journal;

import java.util.ArrayList;
import java.util.List;

/**
 * The journal entry being filled by committers (the "open journal buffer" of bcachefs). Its
 * seq is fixed when it opens, so {@link JournalWriter#append} can return it; its place in the
 * ring ({@link #slot}) is fixed by the first append that goes into it, so that a transaction
 * is only ever accepted into an entry that has room on disk.
 *
 * <p>Lifecycle: (1) open, empty, no slot; (2) placed and filled by appends; (3) closed by
 * {@link JournalWriter} into a {@link Closed} with its roots and lastSeq stamped; a new open
 * entry with seq + 1 replaces it.
 *
 * <p>Thread-safety: not thread-safe; guarded by the {@link JournalWriter} lock.
 */
final class OpenEntry {
    final long seq;
    final long prevSeq;
    final List<JournalRecord.KeyUpdate> updates = new ArrayList<>();
    /** Bytes of the key update records so far (no header, no roots). */
    int recordBytes;
    /** Where it will be written; null until the first append placed it. */
    JournalSpace.Slot slot;
    /** System.nanoTime() of the first append, for the write delay. */
    long firstAppendNanos;
    /** Written even without updates: it carries a checkpoint's roots and lastSeq. */
    boolean checkpointMarker;

    OpenEntry(long seq, long prevSeq) {
        this.seq = seq;
        this.prevSeq = prevSeq;
    }

    boolean hasRecords() {
        return !updates.isEmpty() || checkpointMarker;
    }

    /** Whether {@code moreRecordBytes} still fit in the slot, with room for header and roots. */
    boolean fits(int moreRecordBytes, int bucketSizeBytes) {
        long needed = (long) JournalEntryCodec.HEADER_BYTES + JournalEntryCodec.ROOTS_BYTES_MAX
                + recordBytes + moreRecordBytes;
        return slot != null && needed <= bucketSizeBytes - slot.offsetInBucketBytes();
    }

    /** Bytes a slot must have for an entry holding {@code recordBytes} of records. */
    static int bytesNeeded(int recordBytes) {
        return JournalEntryCodec.HEADER_BYTES + JournalEntryCodec.ROOTS_BYTES_MAX + recordBytes;
    }

    /**
     * A closed entry waiting for the writer thread.
     *
     * @param entry the entry with flags 0; the writer sets FLUSH on the last of a batch
     * @param mustFlush it must be followed by a flush before any later entry is written
     */
    record Closed(JournalEntry entry, JournalSpace.Slot slot, int sizeBytes, boolean mustFlush) {}
}
