package io.keelfs.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.error.Errno;
import io.keelfs.error.FsException;
import io.keelfs.fs.Caller;
import io.keelfs.fs.DirEntry;
import io.keelfs.fs.FsConstants;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The binding-independent half of the adapter, without libfuse: the error boundary, value
 * conversions, the size protocol and the readdir loop's stopping rules. FuseAdapterTest covers
 * the same through the jnr-fuse binding.
 */
class FuseTranslationTest {
    @Test
    void keelExceptionsAreTheirErrnoAndOthersAreCountedEio() {
        FuseTranslation t = new FuseTranslation();
        assertEquals(-Errno.ENOENT.value, t.fail("op", "/p", new FsException(Errno.ENOENT, "x")));
        assertEquals(0, t.internalErrorCount());
        assertEquals(-Errno.EIO.value, t.fail("op", "/p", new OutOfMemoryError("pretend")));
        assertEquals(-Errno.EIO.value, t.fail("op", null, new RuntimeException()));
        assertEquals(2, t.internalErrorCount());
    }

    @Test
    void timespecsBecomeNanosecondsOrTheSentinels() throws Exception {
        assertEquals(1_500_000_000_000_000_007L, FuseTranslation.timeNs(1_500_000_000L, 7));
        assertEquals(-999_999_999L, FuseTranslation.timeNs(-1, 1));
        assertEquals(FsConstants.UTIME_NOW, FuseTranslation.timeNs(123, (1L << 30) - 1));
        assertEquals(FsConstants.UTIME_OMIT, FuseTranslation.timeNs(123, (1L << 30) - 2));
        FsException e = assertThrows(FsException.class,
                () -> FuseTranslation.timeNs(Long.MAX_VALUE / 10, 0));
        assertEquals(Errno.EOVERFLOW, e.errno());
    }

    @Test
    void idsAndFallocateModes() {
        assertEquals(FsConstants.ID_UNCHANGED, FuseTranslation.id(-1));
        assertEquals(FsConstants.ID_UNCHANGED, FuseTranslation.id(0xffff_ffffL));
        assertEquals(1000, FuseTranslation.id(1000));
        assertTrue(FuseTranslation.fallocateModeKnown(0));
        assertTrue(FuseTranslation.fallocateModeKnown(FsConstants.FALLOC_FL_PUNCH_HOLE
                | FsConstants.FALLOC_FL_KEEP_SIZE));
        assertFalse(FuseTranslation.fallocateModeKnown(0x08), "collapse range");
        assertFalse(FuseTranslation.fallocateModeKnown(0x20), "insert range");
        assertFalse(FuseTranslation.fallocateModeKnown(0x40), "unshare range");
    }

    @Test
    void sizeProtocolAndListFormat() {
        assertEquals(5, FuseTranslation.sizeAnswer(5, 0));
        assertEquals(-Errno.ERANGE.value, FuseTranslation.sizeAnswer(5, 4));
        assertEquals(5, FuseTranslation.sizeAnswer(5, 5));
        assertEquals(0, FuseTranslation.sizeAnswer(0, 0));
        assertArrayEquals("a\0bc\0".getBytes(StandardCharsets.UTF_8),
                FuseTranslation.xattrList(List.of("a", "bc")));
        assertEquals(0, FuseTranslation.xattrList(List.of()).length);
    }

    @Test
    void readdirStopsWhenTheSinkIsFullAndResumes() throws Exception {
        InMemoryFilesystem fs = new InMemoryFilesystem();
        fs.mkdir("/d", 0755, Caller.ROOT);
        int files = 2 * FuseTranslation.READDIR_BATCH_ENTRIES + 5;
        for (int i = 0; i < files; i++) {
            fs.release(fs.create("/d/" + i, 0644, 0, Caller.ROOT));
        }
        long h = fs.opendir("/d");
        List<DirEntry> seen = new ArrayList<>();
        FuseTranslation.readdir(fs, h, 0, e -> seen.size() < 10 && seen.add(e));
        assertEquals(10, seen.size());
        long resume = seen.get(9).nextOffset();
        FuseTranslation.readdir(fs, h, resume, seen::add);
        assertEquals(files + 2, seen.size());
        assertEquals(files + 2, seen.stream().map(DirEntry::name).distinct().count());
    }
}
