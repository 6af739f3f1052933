package io.keelfs.fsck;

import java.util.ArrayList;
import java.util.List;

/**
 * The problems a read-only scan found, each with its fix, applied after the scan (a scan reads
 * one consistent snapshot; fixes then run as separate transactions through
 * {@link FsckContext#fix}). Bounded: past {@link #KEPT_MAX} findings the rest are counted and
 * reported as one problem, so a wrecked image cannot exhaust the heap; run fsck again.
 *
 * <p>Thread-safety: one run, one thread.
 */
final class Findings {
    /** About 200 bytes each: 100k findings are ~20 MiB. */
    static final int KEPT_MAX = 100_000;

    record Finding(String kind, String place, String text, FsckContext.TxnFix fix) {}

    private final List<Finding> list = new ArrayList<>();
    private long dropped;

    void add(String kind, String place, String text, FsckContext.TxnFix fix) {
        if (list.size() < KEPT_MAX) {
            list.add(new Finding(kind, place, text, fix));
        } else {
            dropped++;
        }
    }

    boolean isEmpty() {
        return list.isEmpty();
    }

    /** Reports (and fixes where allowed) every finding; returns how many were fixed. */
    int applyAll(FsckContext ctx, String pass) {
        int fixed = 0;
        for (Finding f : list) {
            if (ctx.fix(pass, f.kind(), f.place(), f.text(), f.fix())) {
                fixed++;
            }
        }
        if (dropped > 0) {
            ctx.report.problem(pass, "too-many-problems", "image", dropped + " more problems"
                    + " than the " + KEPT_MAX + " handled per run; run fsck again");
        }
        return fixed;
    }
}
