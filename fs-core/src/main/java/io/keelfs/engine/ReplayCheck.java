package io.keelfs.engine;

import io.keelfs.error.KeelException;
import io.keelfs.journal.JournalEntry;

/**
 * Decides at mount whether a journal entry that no flush proves durable may be replayed.
 *
 * <p>Why: the journal's FLUSH write flushes the device after the entry, so a crash before that
 * flush returns may leave the entry on disk while data written just before it (file blocks its
 * extents point at) is not. Such an entry was never acknowledged; replaying it would point
 * files at garbage. The engine asks this check about every entry after the last FLUSH entry
 * that has a successor (its flush provably returned) and replays up to, not including, the
 * first entry the check rejects. bcachefs gets the same guarantee by preflushing every flush
 * write and dropping the noflush entries after the last flush one; checking the tail instead
 * keeps one device flush per fsync.
 */
@FunctionalInterface
public interface ReplayCheck {
    /**
     * Whether everything the entry refers to outside the journal is on the device. A
     * KeelException (the device could not be read) stops the mount.
     */
    boolean intact(JournalEntry entry) throws KeelException;
}
