package io.keelfs.cli;

import static io.keelfs.cli.KeelfsCommandTest.run;
import static io.keelfs.cli.MkfsCommandTest.mkfsSmall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.alloc.AllocFormat;
import io.keelfs.block.FileBlockDevice;
import io.keelfs.cli.KeelfsCommandTest.Run;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keelfs show-super} through the command line: the sections of a fresh image, files that
 * are not keelfs images (random bytes, empty, missing), the fallback to superblock copy B, and
 * a damaged btree (reported, the others still shown, exit 1). What the report finds is
 * covered in fs-core's {@code ImageReportTest}; this covers what is printed and exit codes.
 */
class ShowSuperCommandTest {
    private static final Pattern TEST0_ROOT =
            Pattern.compile("test0: +root at offset ([0-9]+), level ([0-9]+)");

    @TempDir
    Path dir;

    @Test
    void freshImageShowsEverySection() {
        Path image = dir.resolve("fresh.img");
        assertEquals(0, mkfsSmall(image, "--size", "1M").exitCode());
        Run run = run("show-super", image.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.err());
        String out = run.out();
        assertTrue(out.startsWith("superblock of " + image + " (copy A at offset 4096)\n"), out);
        assertTrue(out.contains("journal buckets:      8 (1..8)"), out);
        assertTrue(out.matches("(?s).*head seq: +[0-9]+\n.*"), out);
        assertTrue(out.contains("problems:             none\n"), out);
        // mkfs makes the root directory: the inodes and dirents trees have roots.
        assertTrue(out.contains("inodes:               root at offset "), out);
        assertTrue(out.contains("superblock:           2\n"), out);
        assertTrue(out.contains("journal:              8\n"), out);
        assertTrue(out.matches("(?s).*\nbtree: +[1-9][0-9]*\n.*"), out);
        assertTrue(out.contains("total:                64\n"), out);
        assertTrue(out.contains("buckets by alloc record\n"), out);
    }

    @Test
    void managedImageShowsBucketsByAllocRecord() throws Exception {
        Path image = dir.resolve("managed.img");
        try (FileBlockDevice dev = FileBlockDevice.create(image, 4L << 20, 4096)) {
            AllocFormat.format(dev, new Mkfs.Options(4096, 64 << 10, 4096, "managed"));
        }
        Run run = run("show-super", image.toString());
        assertEquals(0, run.exitCode(), run.err());
        String out = run.out();
        String byRecord = out.substring(out.indexOf("buckets by alloc record\n"));
        assertTrue(byRecord.contains("superblock:           2\n"), out);
        assertTrue(byRecord.contains("journal:              8\n"), out);
        assertTrue(byRecord.matches("(?s).*btree: +[1-9][0-9]*\n.*"), out);
        assertTrue(byRecord.contains("user:                 0\n"), out);
        assertTrue(byRecord.contains("total:                64\n"), out);
    }

    @Test
    void aFileOfOtherBytesIsNotAKeelfsImage() throws IOException {
        Path file = dir.resolve("random.bin");
        byte[] bytes = new byte[1 << 20];
        new Random(1).nextBytes(bytes);
        Files.write(file, bytes);
        Run run = run("show-super", file.toString());
        assertEquals(1, run.exitCode());
        assertTrue(run.err().startsWith("show-super: " + file + " is not a keelfs image: no valid"
                + " superblock (superblock copy A at offset 4096: bad magic"), run.err());
        assertEquals(1, run.err().lines().count(), run.err());
        assertEquals("", run.out());
    }

    @Test
    void emptyAndOddSizedFilesAreNotKeelfsImages() throws IOException {
        Path empty = Files.createFile(dir.resolve("empty"));
        Run run = run("show-super", empty.toString());
        assertEquals(1, run.exitCode());
        assertEquals("show-super: " + empty + " is not a keelfs image: it is empty (0 bytes)\n",
                run.err());
        Path odd = Files.write(dir.resolve("odd"), new byte[1000]);
        Run oddRun = run("show-super", odd.toString());
        assertEquals(1, oddRun.exitCode());
        assertTrue(oddRun.err().contains(odd + " is not a keelfs image: its size, 1000 bytes"),
                oddRun.err());
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("missing.img");
        Run run = run("show-super", missing.toString());
        assertEquals(1, run.exitCode());
        assertEquals("show-super: cannot open image " + missing + ": no such file\n", run.err());
    }

    @Test
    void damagedCopyAFallsBackToCopyBAndSaysSo() throws IOException {
        Path image = dir.resolve("fallback.img");
        assertEquals(0, mkfsSmall(image, "--size", "1M").exitCode());
        flipByte(image, 4096 + 40);
        Run run = run("show-super", image.toString());
        assertEquals(0, run.exitCode(), run.err());
        long copyB = (1L << 20) - (16 << 10);
        assertTrue(run.out().startsWith("superblock of " + image + " (copy B at offset " + copyB
                + ")"), run.out());
        assertTrue(run.out().contains("warning:              superblock copy at offset 4096 not"
                + " used: checksum mismatch"), run.out());
        assertTrue(run.err().startsWith("show-super: " + image + ": warning: superblock copy at"
                + " offset 4096 not used: checksum mismatch"), run.err());
        assertTrue(run.err().contains("using the copy at offset " + copyB), run.err());
    }

    @Test
    void aDamagedTreeIsReportedAndTheOthersAreShown() throws Exception {
        Path image = dir.resolve("damaged.img");
        assertEquals(0, mkfsSmall(image, "--size", "4M").exitCode());
        fill(image);
        Run before = run("show-super", image.toString());
        assertEquals(0, before.exitCode(), before.err());
        Matcher root = TEST0_ROOT.matcher(before.out());
        assertTrue(root.find(), before.out());
        assertTrue(Integer.parseInt(root.group(2)) >= 1, "test0 needs an interior root");
        flipByte(image, Long.parseLong(root.group(1)) + 100);

        Run run = run("show-super", image.toString());
        assertEquals(1, run.exitCode(), run.err());
        assertTrue(run.out().matches("(?s).*test0: +root at offset [0-9]+, level [0-9]+, seq"
                + " [0-9]+; DAMAGED after [0-9]+ nodes?: [A-Za-z]+Exception: .*"), run.out());
        assertTrue(run.out().matches("(?s).*test1: +root at offset [0-9]+, level 0, seq [0-9]+;"
                + " 1 node\n.*"), run.out());
        assertTrue(run.out().contains("(at least: not every tree was walked)"), run.out());
        assertTrue(run.err().startsWith("show-super: " + image + ": btree test0: "), run.err());
        assertEquals(1, run.err().lines().count(), run.err());
        assertFalse(run.err().contains("\tat "), run.err());
    }

    /** Enough keys in TEST0 for an interior root (4 KiB nodes), one in TEST1; clean close. */
    private static void fill(Path image) throws Exception {
        EngineOptions options = EngineOptions.defaults().withCheckpointIntervalMs(0);
        try (FileBlockDevice device = FileBlockDevice.open(image, 4096, false);
                io.keelfs.alloc.ManagedEngine managed =
                        io.keelfs.alloc.ManagedEngine.open(device, options)) {
            Engine engine = managed.engine();
            for (int batch = 0; batch < 4; batch++) {
                int first = batch * 100;
                engine.update(txn -> {
                    for (int i = first; i < first + 100; i++) {
                        txn.put(BtreeId.TEST0, new Bkey(Bpos.of(1, i), KeyType.BLOB,
                                new byte[16]));
                    }
                    return null;
                }, Durability.NO_FLUSH);
            }
            engine.update(txn -> {
                txn.put(BtreeId.TEST1, new Bkey(Bpos.of(2, 0), KeyType.BLOB, new byte[8]));
                return null;
            }, Durability.FLUSH);
        }
    }

    private static void flipByte(Path file, long offsetBytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, offsetBytes);
            one.put(0, (byte) (one.get(0) ^ 0xff));
            channel.write(one.rewind(), offsetBytes);
        }
    }
}
