package io.keelfs.fsck;

import io.keelfs.engine.Engine;
import io.keelfs.engine.EngineOptions;
import io.keelfs.error.JournalCorruptException;
import io.keelfs.error.KeelException;
import io.keelfs.journal.JournalLayout;
import io.keelfs.journal.JournalProblem;
import io.keelfs.journal.JournalReader;

/**
 * Pass 2: the journal, read as mount reads it. A torn tail and damaged entries past it are
 * what a crash leaves (reported in verbose mode, not errors: replay handles them). Sequence
 * numbers out of order, duplicates, unreadable buckets, and acknowledged entries lost behind a
 * damaged one are errors. Repair of a journal mount would refuse: replay up to the last good
 * entry and checkpoint, so the trees hold everything replayable and the journal starts clean.
 */
final class JournalPass implements FsckPass {
    @Override
    public String name() {
        return "journal";
    }

    @Override
    public void run(FsckContext ctx) throws KeelException {
        JournalLayout layout = Engine.journalLayout(ctx.superblock);
        try {
            ctx.plan = JournalReader.read(ctx.device, layout, false);
        } catch (JournalCorruptException e) {
            if (!ctx.options.repair()) {
                ctx.report.problem(name(), "journal-corrupt", "journal", e.getMessage()
                        + " (mount refuses this journal; --repair replays up to the last good"
                        + " entry)");
                ctx.plan = JournalReader.read(ctx.device, layout, true);
                report(ctx, false);
                return;
            }
            ctx.plan = JournalReader.read(ctx.device, layout, true);
            report(ctx, true);
            truncate(ctx);
            ctx.report.fixedProblem(name(), "journal-corrupt", "journal", e.getMessage()
                    + "; replayed up to seq " + ctx.plan.headSeq() + " and checkpointed");
            ctx.plan = JournalReader.read(ctx.device, layout, false);
            return;
        }
        report(ctx, false);
    }

    private void report(FsckContext ctx, boolean fixed) {
        for (JournalProblem p : ctx.plan.problems()) {
            String place = "journal seq " + p.seq() + " bucket " + p.bucketIndex();
            switch (p.kind()) {
                case DAMAGED_ENTRY, TORN_TAIL, UNFLUSHED_TAIL -> {
                    if (ctx.options.verbose()) {
                        ctx.report.info("journal: " + p + " (normal after a crash)");
                    }
                }
                default -> {
                    String kind = "journal-" + p.kind().name().toLowerCase().replace('_', '-');
                    if (fixed) {
                        ctx.report.fixedProblem(name(), kind, place, p.text());
                    } else {
                        ctx.report.problem(name(), kind, place, p.text());
                    }
                }
            }
        }
    }

    /** Opening with truncation allowed replays what is good and checkpoints it. */
    private static void truncate(FsckContext ctx) throws KeelException {
        EngineOptions options = EngineOptions.defaults().withAllowJournalTruncation(true)
                .withCheckpointIntervalMs(0);
        try (Engine engine = Engine.open(ctx.device, options)) {
            engine.checkpoint();
        }
        ctx.rewritten = true;
    }
}
