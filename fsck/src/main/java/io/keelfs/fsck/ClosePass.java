package io.keelfs.fsck;

import io.keelfs.error.KeelException;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.fs.KeelFilesystem;
import io.keelfs.fs.KeelImage;

/**
 * Closes the engine (a writable one checkpoints, so the repairs are durable, rebuilt btrees
 * included), then, with
 * --repair, mounts the image once so the filesystem finishes deleting the orphan inodes the
 * namespace pass found (or gave an orphan key), exactly as a mount after a crash would.
 */
final class ClosePass implements FsckPass {
    @Override
    public String name() {
        return "close";
    }

    @Override
    public void run(FsckContext ctx) throws KeelException {
        if (ctx.managed == null) {
            return;
        }
        boolean writable = ctx.writable();
        boolean writesNodes = writable && !ctx.engine().allocationHeld();
        long orphanKeys = writable ? ctx.engine().read(txn ->
                txn.iterator(BtreeId.ORPHANS, Bpos.MIN).next() == null ? 0L : 1L) : 0;
        ctx.managed.close();
        ctx.managed = null;
        // The close checkpointed (it writes nothing after an emergency read-only or under a
        // hold): the rebuilt trees are on disk.
        ctx.topologyRepaired = writesNodes && !ctx.salvaged.isEmpty();
        if (writable && orphanKeys > 0) {
            KeelFilesystem fs = KeelImage.open(ctx.device);
            fs.close();
        }
    }

    static void closeQuietly(FsckContext ctx) {
        if (ctx.sharedIndex != null) {
            ctx.sharedIndex.index().close();
            ctx.sharedIndex = null;
        }
        if (ctx.managed != null) {
            try {
                ctx.managed.close();
            } catch (KeelException | RuntimeException e) {
                ctx.report.operationalError("closing the engine: " + e.getMessage());
            }
            ctx.managed = null;
        }
    }
}
