package io.keelfs.fsck;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
