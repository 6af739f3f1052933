package io.keelfs.cli;

import static io.keelfs.cli.KeelfsCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keelfs.block.FileBlockDevice;
import io.keelfs.cli.KeelfsCommandTest.Run;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.engine.EngineOptions;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keelfs mkfs} through the command line: creating a sparse image that show-super and
 * the engine read back, every refusal (the file is then unchanged byte for byte), --force with
 * and without --size, sizes too small, bad option values. Not covered: progress on a terminal
 * (tests have no console) and I/O errors while formatting.
 */
class MkfsCommandTest {
    /** Small geometry so images of a few MiB are valid: 16 KiB buckets, 4 KiB nodes. */
    static final String[] SMALL = {"--bucket-size", "16K", "--node-size", "4K"};
    private static final Pattern UUID_LINE =
            Pattern.compile("keelfs filesystem created, uuid ([0-9a-f-]{36})");

    @TempDir
    Path dir;

    static Run mkfs(Path image, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "mkfs";
        all[1] = image.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return run(all);
    }

    static Run mkfsSmall(Path image, String... args) {
        String[] all = new String[SMALL.length + args.length];
        System.arraycopy(SMALL, 0, all, 0, SMALL.length);
        System.arraycopy(args, 0, all, SMALL.length, args.length);
        return mkfs(image, all);
    }

    static String uuidOf(Run run) {
        Matcher m = UUID_LINE.matcher(run.out());
        assertTrue(m.find(), run.out());
        return m.group(1);
    }

    @Test
    void createsASparseImageThatShowSuperReads() throws Exception {
        Path image = dir.resolve("new.img");
        Run made = mkfs(image, "--size", "64M", "--bucket-size", "64K", "--node-size", "16K",
                "--label", "scratch");
        assertEquals(0, made.exitCode(), made.err());
        assertEquals("", made.err());
        assertTrue(made.out().contains("formatting " + image + ": 67108864 bytes, 1024 buckets"
                + " of 65536 bytes, journal 8 buckets"), made.out());
        assertTrue(made.out().contains("zeroed the journal: 8 buckets"), made.out());
        assertEquals(64L << 20, Files.size(image));
        long allocated = allocatedBytes(image);
        assertTrue(allocated < (8L << 20), "image is not sparse: " + allocated + " bytes used");

        Run shown = run("show-super", image.toString());
        assertEquals(0, shown.exitCode(), shown.err());
        String out = shown.out();
        assertTrue(out.contains("uuid:                 " + uuidOf(made)), out);
        assertTrue(out.contains("label:                scratch\n"), out);
        assertTrue(out.contains("device size:          67108864 bytes"), out);
        assertTrue(out.contains("block size:           4096 bytes"), out);
        assertTrue(out.contains("bucket size:          65536 bytes"), out);
        assertTrue(out.contains("btree node size:      16384 bytes"), out);
        assertTrue(out.contains("buckets:              1024\n"), out);
        assertTrue(out.contains("state:                clean"), out);
    }

    @Test
    void defaultsAreThoseOfTheGeometry() throws Exception {
        Path image = dir.resolve("defaults.img");
        Run made = mkfs(image, "--size", "32M");
        assertEquals(0, made.exitCode(), made.err());
        Run shown = run("show-super", image.toString());
        assertTrue(shown.out().contains("block size:           4096 bytes"), shown.out());
        assertTrue(shown.out().contains("bucket size:          1048576 bytes"), shown.out());
        assertTrue(shown.out().contains("btree node size:      262144 bytes"), shown.out());
    }

    @Test
    void refusesAnExistingKeelfsImageWithoutForceNamingIt() throws Exception {
        Path image = dir.resolve("fs.img");
        Run first = mkfsSmall(image, "--size", "1M", "--label", "precious");
        assertEquals(0, first.exitCode(), first.err());
        byte[] before = Files.readAllBytes(image);

        Run again = mkfsSmall(image, "--size", "2M");
        assertEquals(1, again.exitCode());
        assertTrue(again.err().startsWith("mkfs: " + image + " already holds a keelfs filesystem"
                + " (uuid " + uuidOf(first) + ", label 'precious', created "), again.err());
        assertTrue(again.err().contains("use --force to overwrite"), again.err());
        assertFalse(again.err().contains("Exception"), again.err());
        assertEquals("", again.out());
        assertArrayEquals(before, Files.readAllBytes(image));
    }

    @Test
    void refusesANonEmptyFileWithoutForce() throws Exception {
        Path image = dir.resolve("data.bin");
        byte[] before = randomBytes(8192);
        Files.write(image, before);
        Run run = mkfsSmall(image, "--size", "1M");
        assertEquals(1, run.exitCode());
        assertEquals("mkfs: " + image + " exists and is not empty (8192 bytes); use --force to"
                + " overwrite\n", run.err());
        assertArrayEquals(before, Files.readAllBytes(image));
    }

    @Test
    void emptyFileWithSizeNeedsNoForce() throws Exception {
        Path image = dir.resolve("empty.img");
        Files.createFile(image);
        Run run = mkfsSmall(image, "--size", "1M");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(1L << 20, Files.size(image));
    }

    @Test
    void forceWithoutSizeFormatsAtTheCurrentSize() throws Exception {
        Path image = dir.resolve("junk.img");
        Files.write(image, randomBytes(2 << 20));
        Run run = mkfsSmall(image, "--force");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(2L << 20, Files.size(image));
        Run shown = run("show-super", image.toString());
        assertEquals(0, shown.exitCode(), shown.err());
        assertTrue(shown.out().contains("device size:          2097152 bytes"), shown.out());
    }

    @Test
    void forceWithSizeResizesAndReformatsAKeelfsImage() throws Exception {
        Path image = dir.resolve("grow.img");
        Run first = mkfsSmall(image, "--size", "1M");
        assertEquals(0, first.exitCode(), first.err());
        Run second = mkfs(image, "--force", "--size", "4M", "--bucket-size", "64K",
                "--node-size", "8K");
        assertEquals(0, second.exitCode(), second.err());
        assertEquals(4L << 20, Files.size(image));
        Run shown = run("show-super", image.toString());
        assertEquals(0, shown.exitCode(), shown.err());
        assertTrue(shown.out().contains("uuid:                 " + uuidOf(second)), shown.out());
        assertTrue(shown.out().contains("bucket size:          65536 bytes"), shown.out());
    }

    @Test
    void tooSmallPrintsTheMinimumAndLeavesNoFile() {
        Path image = dir.resolve("tiny.img");
        Run run = mkfs(image, "--size", "10M");
        assertEquals(1, run.exitCode());
        assertTrue(run.err().startsWith("mkfs: " + image + ": device of 10485760 bytes is too"
                + " small"), run.err());
        assertTrue(run.err().contains("the minimum is 27262976 bytes"), run.err());
        assertEquals(1, run.err().lines().count(), run.err());
        assertFalse(Files.exists(image));
    }

    @Test
    void tooSmallLeavesAnExistingFileAsItWas() throws Exception {
        Path image = dir.resolve("keep.bin");
        byte[] before = randomBytes(64 << 10);
        Files.write(image, before);
        Run run = mkfs(image, "--force", "--size", "1M");
        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains("the minimum is 27262976 bytes"), run.err());
        assertArrayEquals(before, Files.readAllBytes(image));
    }

    @Test
    void missingSizeForANewImageIsAUsageError() {
        Path image = dir.resolve("absent.img");
        Run run = mkfs(image);
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("Missing required option: '--size=SIZE'"), run.err());
        assertTrue(run.err().contains(image + " does not exist"), run.err());
        assertFalse(Files.exists(image));
    }

    @Test
    void badOptionValuesAreUsageErrorsNamingTheValue() {
        Path image = dir.resolve("bad.img");
        Run notPowerOfTwo = mkfs(image, "--size", "64M", "--bucket-size", "3000");
        assertEquals(2, notPowerOfTwo.exitCode());
        assertTrue(notPowerOfTwo.err().contains("bucket size 3000 bytes is not a power of two"),
                notPowerOfTwo.err());
        Run nodeOverBucket = mkfs(image, "--size", "64M", "--bucket-size", "64K",
                "--node-size", "128K");
        assertEquals(2, nodeOverBucket.exitCode());
        assertTrue(nodeOverBucket.err().contains("bucket size 65536 is smaller than the node size"
                + " 131072"), nodeOverBucket.err());
        Run oddSize = mkfs(image, "--size", "1000000");
        assertEquals(2, oddSize.exitCode());
        assertTrue(oddSize.err().contains("--size 1000000 (1000000 bytes) is not a positive"
                + " multiple of the block size 4096"), oddSize.err());
        Run longLabel = mkfs(image, "--size", "64M", "--label", "x".repeat(33));
        assertEquals(2, longLabel.exitCode());
        assertTrue(longLabel.err().contains("at most 32 fit"), longLabel.err());
        assertFalse(Files.exists(image));
    }

    @Test
    void engineOpensTheImageAndKeepsWhatIsWritten() throws Exception {
        Path image = dir.resolve("roundtrip.img");
        assertEquals(0, mkfsSmall(image, "--size", "4M").exitCode());
        EngineOptions options = EngineOptions.defaults().withCheckpointIntervalMs(0);
        try (FileBlockDevice device = FileBlockDevice.open(image, 4096, false);
                io.keelfs.alloc.ManagedEngine managed =
                        io.keelfs.alloc.ManagedEngine.open(device, options)) {
            managed.engine().update(txn -> {
                for (int i = 0; i < 10; i++) {
                    txn.put(BtreeId.TEST0, key(i));
                }
                return null;
            }, Durability.FLUSH);
        }
        try (FileBlockDevice device = FileBlockDevice.open(image, 4096, true);
                Engine engine = Engine.open(device, options.withReadOnly(true))) {
            for (int i = 0; i < 10; i++) {
                Bpos pos = key(i).pos();
                Bkey read = engine.read(txn -> txn.get(BtreeId.TEST0, pos));
                assertArrayEquals(key(i).value(), read.value());
            }
        }
        Run shown = run("show-super", image.toString());
        assertEquals(0, shown.exitCode(), shown.err());
        assertTrue(shown.out().contains("test0:                root at offset "), shown.out());
        assertTrue(shown.out().matches("(?s).*btree:                [1-9].*"), shown.out());
    }

    private static Bkey key(int i) {
        return new Bkey(Bpos.of(7, i), KeyType.BLOB,
                ("value " + i).getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        new Random(n).nextBytes(bytes);
        return bytes;
    }

    /** Bytes the file takes on disk ({@code stat -c %b}, in 512-byte units), Linux only. */
    private static long allocatedBytes(Path file) throws IOException, InterruptedException {
        Process stat;
        try {
            stat = new ProcessBuilder("stat", "-c", "%b", file.toString()).start();
        } catch (IOException e) {
            assumeTrue(false, "no stat(1): " + e);
            throw e;
        }
        String out = new String(stat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assumeTrue(stat.waitFor() == 0, "stat failed");
        return Long.parseLong(out.trim()) * 512;
    }
}
