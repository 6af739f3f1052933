package io.keelfs.journal;

import com.google.common.base.Preconditions;
import io.keelfs.format.BtreeId;
import io.keelfs.format.NodePointer;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A journal entry as written and read: its place in the sequence, the oldest entry still
 * needed for replay, the key updates of the transactions it commits, and the btree roots of
 * the latest completed checkpoint. The byte layout is in {@link JournalEntryCodec}.
 *
 * <p>Invariants (checked here as caller mistakes and by the codec on read):
 * {@code 1 <= lastSeq <= seq}, {@code 0 <= prevSeq < seq}, only known flag bits.
 *
 * @param seq strictly increasing, never reused (see {@link JournalWriter} for the jump after a
 *     crash)
 * @param prevSeq seq of the entry written just before this one by the same writer: seq - 1, or
 *     after a restart the head that was replayed; 0 for the very first entry
 * @param lastSeq oldest seq still needed for replay: older entries are in the checkpoint
 * @param flags {@link #FLAG_FLUSH} and nothing else yet
 * @param updates key updates in commit order
 * @param roots root of every btree that has one, from the latest completed checkpoint
 */
public record JournalEntry(
        long seq,
        long prevSeq,
        long lastSeq,
        int flags,
        List<JournalRecord.KeyUpdate> updates,
        Map<BtreeId, NodePointer> roots) {
    /**
     * The writer issued a device flush after writing this entry, before writing any later one.
     * Only the flush's return acknowledges the entry; the reader treats a FLUSH entry as proof
     * of durability only when a later entry is also on disk (see {@link JournalReader}).
     */
    public static final int FLAG_FLUSH = 1;
    /** Every flag bit this version understands; others make an entry invalid. */
    public static final int FLAGS_KNOWN = FLAG_FLUSH;

    public JournalEntry {
        Preconditions.checkArgument(seq >= 1, "seq %s < 1", seq);
        Preconditions.checkArgument(prevSeq >= 0 && prevSeq < seq,
                "prevSeq %s not in [0, seq %s)", prevSeq, seq);
        Preconditions.checkArgument(lastSeq >= 1 && lastSeq <= seq,
                "lastSeq %s not in [1, seq %s]", lastSeq, seq);
        Preconditions.checkArgument((flags & ~FLAGS_KNOWN) == 0, "unknown flags %s", flags);
        updates = List.copyOf(updates);
        roots = roots.isEmpty()
                ? Map.of()
                : Collections.unmodifiableMap(new EnumMap<>(roots));
    }

    public boolean isFlush() {
        return (flags & FLAG_FLUSH) != 0;
    }

    /** The same entry with other flags. */
    public JournalEntry withFlags(int newFlags) {
        return new JournalEntry(seq, prevSeq, lastSeq, newFlags, updates, roots);
    }

    /** Bytes of header plus records, before padding to the block size. */
    public int unpaddedBytes() {
        int bytes = JournalEntryCodec.HEADER_BYTES
                + roots.size() * JournalEntryCodec.ROOT_RECORD_BYTES;
        for (JournalRecord.KeyUpdate u : updates) {
            bytes += u.encodedBytes();
        }
        return bytes;
    }

    public void appendTo(StringBuilder sb) {
        sb.append("entry seq ").append(seq).append(" prev ").append(prevSeq)
                .append(" last ").append(lastSeq).append(isFlush() ? " FLUSH" : "")
                .append(", ").append(updates.size()).append(" updates, roots ")
                .append(roots.keySet());
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        appendTo(sb);
        return sb.toString();
    }
}
