package io.keelfs.engine;

import io.keelfs.error.KeelException;
import io.keelfs.journal.JournalEntry;
import io.keelfs.journal.JournalProblem;
import io.keelfs.journal.ReplayPlan;
import java.util.List;

/**
 * Cuts a replay plan before the first entry of its unproven tail that a {@link ReplayCheck}
 * rejects. The unproven tail: the entries after the last FLUSH entry that has a successor in
 * the plan (the writer issues nothing after a FLUSH entry until its flush returned, so a
 * successor proves it, and everything written before it, durable).
 *
 * <p>Thread-safety: stateless.
 */
final class ReplayTail {
    private ReplayTail() {}

    /** The plan to replay; {@code messages} gets a line when something was dropped. */
    static ReplayPlan trim(ReplayPlan plan, ReplayCheck check, List<String> messages)
            throws KeelException {
        if (check == null) {
            return plan;
        }
        List<JournalEntry> entries = plan.entries();
        int proven = -1;
        for (int i = 0; i < entries.size() - 1; i++) {
            if (entries.get(i).isFlush()) {
                proven = i;
            }
        }
        for (int i = proven + 1; i < entries.size(); i++) {
            JournalEntry e = entries.get(i);
            if (check.intact(e)) {
                continue;
            }
            if (i == 0 || entries.get(i - 1).lastSeq() != plan.lastSeq()) {
                // A checkpoint after it would have flushed its data: this is damage, not a
                // crash; replay it and let reads report EIO (fsck --check-data finds it).
                messages.add(String.format("journal entry %d refers to file data that is not"
                        + " intact on the device although a later checkpoint covers it;"
                        + " replaying it anyway (run keelfs fsck)", e.seq()));
                return plan;
            }
            JournalProblem why = new JournalProblem(JournalProblem.Kind.UNFLUSHED_TAIL, e.seq(),
                    plan.entryBuckets().get(i), -1, String.format(
                            "replay stops before entry %d: file data it points at is not on"
                                    + " the device (a crash came before its flush returned, so"
                                    + " it was never acknowledged); entries %d..%d dropped",
                            e.seq(), e.seq(), plan.headSeq()));
            return plan.truncated(i, why);
        }
        return plan;
    }
}
