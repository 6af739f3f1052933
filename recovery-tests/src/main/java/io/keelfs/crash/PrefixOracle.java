package io.keelfs.crash;

import io.keelfs.block.BlockDevice;
import io.keelfs.fs.Filesystem;

/**
 * The crash oracle for keelfs: every operation is one journal entry and the journal is
 * replayed in order up to its last flush, so after a crash the tree must equal the model after
 * some prefix of the operations, no shorter than the last fsync/sync that returned before the
 * crash point and no longer than the operations that had started. That one comparison checks
 * durability (fsynced data byte-exact), atomicity (no half rename), ordering, and that no file
 * holds another's data (contents are unique per write).
 */
public final class PrefixOracle {
    private PrefixOracle() {}

    /** The verdict for one crash state: null when it passes, else what went wrong. */
    public static String check(FsStack stack, BlockDevice crashed, PosixWorkload.History h,
            int logLength) {
        int durable = 0;
        int issued = 0;
        for (int i = 1; i <= h.operationCount(); i++) {
            if (h.durableAt.get(i) <= logLength) {
                durable = i;
            }
            if (h.issuedAt.get(i) <= logLength) {
                issued = i;
            }
        }
        issued = Math.max(issued, durable);
        String seen;
        try (Filesystem fs = stack.open(crashed)) {
            seen = FsSnapshot.of(fs);
        } catch (Exception e) {
            return "mount or walk failed: " + e;
        }
        for (int k = issued; k >= durable; k--) {
            if (h.snapshots.get(k).equals(seen)) {
                return null;
            }
        }
        return String.format("tree matches no prefix of operations in [%d, %d] (durable .."
                + " issued); last durable op: %s%nseen:%n%sexpected at %d:%n%s", durable, issued,
                h.ops.get(durable), seen, durable, h.snapshots.get(durable));
    }
}
