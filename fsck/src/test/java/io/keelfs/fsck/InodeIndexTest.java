package io.keelfs.fsck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The cross-reference index on the heap and spilled to LMDB: the same rows read back, finds
 * agree, the scratch directory goes away on close; and fsck over a populated image and a
 * repaired damage with the spill forced (heap bound of 2 inodes) gives the same verdicts.
 */
class InodeIndexTest {
    private static void fill(InodeIndex idx, int n) {
        for (int i = 0; i < n; i++) {
            assertTrue(idx.add(3L * i + 1, 0100644, i, 10L * i, 4096, 1, 0));
        }
        for (int i = 0; i < n; i++) {
            idx.add(i, InodeIndex.NAMES, i % 3);
        }
    }

    @Test
    void spilledIndexReadsBackWhatTheHeapOneHolds() {
        int n = 5000;
        Path dir;
        try (InodeIndex heap = new InodeIndex(1 << 20); InodeIndex spill = new InodeIndex(7)) {
            fill(heap, n);
            fill(spill, n);
            assertFalse(heap.spilled());
            assertTrue(spill.spilled());
            dir = spill.scratchDirOrNull();
            assertTrue(Files.isDirectory(dir));
            Random rnd = new Random(1);
            for (int k = 0; k < 2000; k++) {
                int i = rnd.nextInt(n);
                int f = rnd.nextInt(InodeIndex.FIELDS);
                assertEquals(heap.get(i, f), spill.get(i, f), "row " + i + " field " + f);
                long ino = rnd.nextInt(3 * n + 3);
                assertEquals(heap.find(ino), spill.find(ino), "find " + ino);
                int hint = rnd.nextInt(n + 2) - 1;
                assertEquals(heap.find(ino), heap.find(ino, hint), "find " + ino + " from "
                        + hint);
                assertEquals(heap.find(ino), spill.find(ino, hint), "find " + ino + " from "
                        + hint);
            }
        }
        assertFalse(Files.exists(dir), "scratch directory removed");
    }

    /**
     * find's interpolation on skewed numbers (a dense run, then gaps growing to 2^40, then a
     * second dense run), in an index sized for fewer rows than it gets: every present number is
     * found at its row, and numbers between them, below and above are not.
     */
    @Test
    void findAgreesWithALinearSearchOnSkewedNumbers() {
        java.util.List<Long> inos = new java.util.ArrayList<>();
        for (long i = 1; i <= 3000; i++) {
            inos.add(i);
        }
        for (int k = 0; k < 40; k++) {
            inos.add(4000 + (1L << k));
        }
        long base = inos.get(inos.size() - 1) + 7;
        for (long i = 0; i < 2000; i++) {
            inos.add(base + i);
        }
        try (InodeIndex idx = new InodeIndex(1 << 20, 100)) {
            for (long ino : inos) {
                assertTrue(idx.add(ino, 0100644, 1, 0, 0, 1, 0));
            }
            for (int i = 0; i < inos.size(); i++) {
                long ino = inos.get(i);
                assertEquals(i, idx.find(ino), "find " + ino);
                if (!inos.contains(ino + 1)) {
                    assertEquals(-1, idx.find(ino + 1), "find absent " + (ino + 1));
                }
            }
            assertEquals(-1, idx.find(0));
            assertEquals(-1, idx.find(Long.MAX_VALUE));
        }
    }

    @Test
    void fsckVerdictsAreTheSameWithTheSpillForced() throws Exception {
        System.setProperty("keelfs.fsck.heapInodesMax", "2");
        try {
            CorpusImage img = CorpusImage.populated();
            FsckReport clean = img.fsck(false, false);
            assertEquals(FsckExit.CLEAN, clean.exitCode(), img.log.toString());
            assertTrue(img.log.stream().anyMatch(l -> l.contains("LMDB")), img.log.toString());
            long dir = img.ino("/c");
            img.damage(t -> {
                io.keelfs.fs.names.Dirents d = new io.keelfs.fs.names.Dirents(
                        io.keelfs.fs.names.NameHash.SIPHASH);
                d.remove(t, d.lookup(t, io.keelfs.fs.Filesystem.ROOT_INO, "c".getBytes()));
                return null;
            });
            assertTrue(dir > 0);
            assertEquals(FsckExit.ERRORS_UNCORRECTED, img.fsck(false, false).exitCode());
            assertEquals(FsckExit.ERRORS_CORRECTED, img.fsck(true, false).exitCode(),
                    img.log.toString());
            assertEquals(FsckExit.CLEAN, img.fsck(false, false).exitCode(), img.log.toString());
        } finally {
            System.clearProperty("keelfs.fsck.heapInodesMax");
        }
    }
}
