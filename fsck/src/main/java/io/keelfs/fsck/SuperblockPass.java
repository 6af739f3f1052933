package io.keelfs.fsck;

import io.keelfs.engine.SuperblockIo;
import io.keelfs.error.KeelException;

/**
 * Pass 1: both superblock copies. Mount uses the newest valid copy; a copy that is damaged or
 * older is a problem, and repair writes the good one to both places.
 */
final class SuperblockPass implements FsckPass {
    @Override
    public String name() {
        return "superblock";
    }

    @Override
    public void run(FsckContext ctx) throws KeelException {
        SuperblockIo.ReadResult sb = SuperblockIo.read(ctx.device);
        ctx.superblock = sb.superblock();
        if (sb.problems().isEmpty()) {
            return;
        }
        boolean fix = ctx.options.repair();
        if (fix) {
            SuperblockIo.write(ctx.device, sb.superblock());
        }
        for (String p : sb.problems()) {
            String place = "superblock copy used at offset " + sb.offsetBytes();
            if (fix) {
                ctx.report.fixedProblem(name(), "superblock-copy", place, p
                        + "; rewrote both copies from the one at offset " + sb.offsetBytes());
            } else {
                ctx.report.problem(name(), "superblock-copy", place, p);
            }
        }
    }
}
