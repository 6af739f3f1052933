package io.keelfs.fsck;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keelfs.format.BtreeId;
import io.keelfs.fs.FsConstants;
import io.keelfs.fs.KeelFilesystem;
import io.keelfs.fs.KeelImage;
import io.keelfs.fs.OpenFlags;
import io.keelfs.fs.data.ExtentKeys;
import org.junit.jupiter.api.Test;

/**
 * Guards against false positives, the worst fsck bug: a freshly formatted image and a freshly
 * populated one are clean (exit 0) with and without --check-data, and --repair changes
 * nothing on them.
 */
class FsckCleanImageTest {
    @Test
    void freshlyFormattedImageIsClean() throws Exception {
        CorpusImage img = CorpusImage.formatted();
        FsckReport r = img.fsck(false, true);
        assertEquals(FsckExit.CLEAN, r.exitCode(), img.log.toString());
    }

    @Test
    void freshlyPopulatedImageIsCleanAndRepairChangesNothing() throws Exception {
        CorpusImage img = CorpusImage.populated();
        var before = img.snapshot();
        FsckReport r = img.fsck(false, true);
        assertEquals(FsckExit.CLEAN, r.exitCode(), img.log.toString());
        assertEquals(7, before.size(), "six files and a symlink: " + before);
        assertEquals(512, r.buckets, "32 MiB of 64 KiB buckets, all recounted");
        FsckReport repair = img.fsck(true, true);
        assertEquals(FsckExit.CLEAN, repair.exitCode(), img.log.toString());
        assertEquals(before, img.snapshot());
        assertEquals(4, r.directories, "/, /a, /a/b, /c");
    }

    /** fallocate's reservations are clean; a wrong reserved total is found and rewritten. */
    @Test
    void fallocatedImageIsCleanAndAWrongReservedTotalIsRepaired() throws Exception {
        CorpusImage img = CorpusImage.populated();
        try (KeelFilesystem fs = KeelImage.open(img.device, CorpusImage.options())) {
            long h = fs.open("/c/f5", OpenFlags.O_RDWR);
            fs.fallocate(h, FsConstants.FALLOC_FL_KEEP_SIZE, 0, 1 << 20);
            fs.fallocate(h, 0, 2 << 20, 65536);
            fs.release(h);
        }
        FsckReport r = img.fsck(false, true);
        assertEquals(FsckExit.CLEAN, r.exitCode(), img.log.toString());
        img.damage(txn -> {
            txn.put(BtreeId.EXTENTS, ExtentKeys.reservedTotalKey(12345));
            return null;
        });
        assertEquals(FsckExit.ERRORS_CORRECTED, img.fsck(true, false).exitCode(), img.log.toString());
        assertEquals(FsckExit.CLEAN, img.fsck(false, true).exitCode(), img.log.toString());
    }
}
