package io.keelfs.fsck;

import io.keelfs.alloc.ManagedEngine;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.PreRead;
import io.keelfs.error.KeelException;
import io.keelfs.format.Superblock;

/**
 * Opens the engine the filesystem passes read through: read-only for -n (the journal replayed
 * in memory, nothing written), writable for --repair (every fix then a journaled
 * transaction). The writable engine holds allocation (no btree node written, no bucket
 * claimed) until the alloc pass has repaired the alloc records: records calling a bucket of
 * live data FREE must not hand it to btree nodes first. A writable open that the engine
 * refuses falls back to read-only: the damage is then reported, not fixed. Skipped when the
 * topology pass found damaged nodes, since every scan would stop at them, and on an
 * engine-only image (formatted without alloc records: engine tests), which has no filesystem
 * to check.
 */
final class OpenPass implements FsckPass {
    @Override
    public String name() {
        return "open";
    }

    @Override
    public void run(FsckContext ctx) throws KeelException {
        if (ctx.plan == null || ctx.topologyDamaged) {
            ctx.report.info("filesystem passes skipped: the btrees are damaged (see above)");
            return;
        }
        if ((ctx.superblock.features() & Superblock.FEATURE_ALLOC_RECORDS) == 0) {
            ctx.report.info("an engine-only image (no alloc records, no filesystem):"
                    + " filesystem passes skipped");
            return;
        }
        EngineOptions options = EngineOptions.defaults().withCheckpointIntervalMs(0)
                .withSalvagedTrees(ctx.salvaged)
                .withPreRead(new PreRead(ctx.plan, ctx.nodeCache));
        if (ctx.options.repair()) {
            try {
                ctx.managed = ManagedEngine.open(ctx.device, options.withHoldAllocation(true));
                opened(ctx);
                return;
            } catch (KeelException e) {
                ctx.report.problem(name(), "open-for-repair", "image", "the engine refuses to"
                        + " open for writing: " + e.getMessage() + "; checking read-only");
            }
            // The failed open may have written the journal: read it again.
            options = options.withPreRead(new PreRead(null, ctx.nodeCache));
        }
        ctx.managed = ManagedEngine.open(ctx.device, options.withReadOnly(true));
        opened(ctx);
    }

    private static void opened(FsckContext ctx) {
        if (ctx.options.verbose()) {
            ctx.report.info(String.format("open: replayed %d keys of %d journal entries",
                    ctx.engine().stats().replayedKeys(), ctx.engine().stats().replayedEntries()));
        }
    }
}
