package io.keelfs.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Tests {@link FileBlockDevice} on real image files in a temporary directory.
 *
 * <p>Covered: round trips at many offsets and sizes with heap and direct buffers (up to 16
 * MiB), sparse creation, persistence across reopen, discard (holes where the host filesystem
 * punches them, the documented no-op where it does not), every open error, argument checks,
 * the write lock within this JVM and against another process (a small Java program run as a
 * child), reads past a truncated end, close, concurrent I/O.
 *
 * <p>Not covered: a failing fdatasync (the poisoned-flush path) and I/O errors from the host
 * disk, which cannot be caused here without root-only tools such as dm-error.
 */
class FileBlockDeviceTest {
    private static final int BLOCK = 4096;
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void roundTripsAtVariousOffsetsAndSizes() throws IOException {
        long sizeBytes = 64 * MIB;
        long[][] cases = {
            {0, BLOCK}, {BLOCK, BLOCK}, {3 * BLOCK, 2 * BLOCK}, {MIB - BLOCK, 3 * BLOCK},
            {5 * MIB + 7 * BLOCK, 64 * 1024}, {17 * MIB, 3 * MIB + BLOCK},
            {sizeBytes - BLOCK, BLOCK}, {sizeBytes - 8 * MIB, 8 * MIB},
        };
        try (FileBlockDevice device = FileBlockDevice.create(image(), sizeBytes, BLOCK)) {
            for (int i = 0; i < cases.length; i++) {
                long offsetBytes = cases[i][0];
                int lengthBytes = (int) cases[i][1];
                boolean direct = i % 2 == 0;
                ByteBuffer written = pattern(lengthBytes, offsetBytes, direct);
                device.write(offsetBytes, written, i % 3 == 0);
                assertFalse(written.hasRemaining(), "write must consume the buffer");

                ByteBuffer read = direct
                        ? ByteBuffer.allocateDirect(lengthBytes) : ByteBuffer.allocate(lengthBytes);
                device.read(offsetBytes, read);
                assertFalse(read.hasRemaining(), "read must fill the buffer");
                assertEquals(written.flip(), read.flip(), "case " + i + " at " + offsetBytes);
            }
        }
    }

    @Test
    void multiMiBWriteReadsBackAndUnwrittenSpaceReadsZeros() throws IOException {
        try (FileBlockDevice device = FileBlockDevice.create(image(), 64 * MIB, BLOCK)) {
            ByteBuffer big = pattern((int) (16 * MIB), 42, true);
            device.write(8 * MIB, big, true);
            device.flush();
            ByteBuffer back = ByteBuffer.allocateDirect((int) (16 * MIB));
            device.read(8 * MIB, back);
            assertEquals(big.flip(), back.flip());

            ByteBuffer hole = ByteBuffer.allocate((int) MIB);
            device.read(40 * MIB, hole);
            assertArrayEquals(new byte[(int) MIB], hole.array());
        }
    }

    /** A hint only: any range, even past the end or after close, changes nothing. */
    @Test
    void readaheadHintsNeverFailNorChangeContents() throws IOException {
        Path image = image();
        ByteBuffer data = pattern(4 * BLOCK, 9, false);
        FileBlockDevice device = FileBlockDevice.create(image, 4 * MIB, BLOCK);
        device.write(MIB, data.duplicate(), false);
        device.adviseWillNeed(0, 4 * MIB);
        device.adviseWillNeed(3 * MIB, 8 * MIB);
        device.adviseWillNeed(8 * MIB, MIB);
        device.adviseWillNeed(-BLOCK, BLOCK);
        ByteBuffer back = ByteBuffer.allocate(4 * BLOCK);
        device.read(MIB, back);
        assertEquals(data.rewind(), back.flip());
        device.close();
        device.adviseWillNeed(0, MIB);
    }

    @Test
    void createMakesSparseImageOfTheGivenSize() throws IOException {
        Path image = image();
        long sizeBytes = 1L << 30;
        try (FileBlockDevice device = FileBlockDevice.create(image, sizeBytes, BLOCK)) {
            assertEquals(sizeBytes, device.sizeBytes());
            assertEquals(BLOCK, device.blockSizeBytes());
            assertEquals(image, device.path());
            assertEquals(image.toString(), device.describe());
        }
        assertEquals(sizeBytes, Files.size(image));
        long allocatedBytes = allocatedBytes(image);
        assertTrue(allocatedBytes <= 64 * 1024,
                "a new 1 GiB image should take no space but takes " + allocatedBytes);
    }

    @Test
    void reopenedImageHoldsWhatWasWritten() throws IOException {
        Path image = image();
        ByteBuffer data = pattern(3 * BLOCK, 7, false);
        try (FileBlockDevice device = FileBlockDevice.create(image, 4 * MIB, BLOCK)) {
            device.write(MIB, data, false);
            device.flush();
        }
        for (boolean readOnly : new boolean[] {false, true}) {
            try (FileBlockDevice device = FileBlockDevice.open(image, BLOCK, readOnly)) {
                assertEquals(4 * MIB, device.sizeBytes());
                ByteBuffer back = ByteBuffer.allocate(3 * BLOCK);
                device.read(MIB, back);
                assertEquals(data.rewind(), back.flip(), "readOnly=" + readOnly);
            }
        }
    }

    @Test
    void discardPunchesAHoleOrIsTheDocumentedNoOp() throws IOException {
        Path image = image();
        try (FileBlockDevice device = FileBlockDevice.create(image, 4 * MIB, BLOCK)) {
            ByteBuffer data = pattern((int) MIB, 3, true);
            device.write(0, data, false);
            device.flush();
            long allocatedBefore = allocatedBytes(image);
            assertEquals(HolePuncher.State.UNTRIED, device.holePuncher().state());

            device.discard(256 * 1024, 512 * 1024);
            device.flush();

            HolePuncher.State state = device.holePuncher().state();
            ByteBuffer back = ByteBuffer.allocateDirect((int) MIB);
            device.read(0, back);
            data.flip();
            back.flip();
            assertEquals(data.slice(0, 256 * 1024), back.slice(0, 256 * 1024));
            assertEquals(data.slice(768 * 1024, 256 * 1024), back.slice(768 * 1024, 256 * 1024));
            ByteBuffer middle = back.slice(256 * 1024, 512 * 1024);
            if (state == HolePuncher.State.WORKS) {
                assertEquals(ByteBuffer.allocate(512 * 1024), middle, "a hole reads as zeros");
                long allocatedAfter = allocatedBytes(image);
                assertTrue(allocatedAfter <= allocatedBefore - 512 * 1024, String.format(
                        "hole should free 512 KiB: %d -> %d", allocatedBefore, allocatedAfter));
            } else {
                assertEquals(HolePuncher.State.UNSUPPORTED, state);
                assertNotNull(device.holePuncher().unsupportedReason());
                assertEquals(data.slice(256 * 1024, 512 * 1024), middle,
                        "unsupported discard must leave the old contents");
            }
        }
    }

    @Test
    void discardOnceUnsupportedIsANoOpThatKeepsContents() throws IOException {
        try (FileBlockDevice device = FileBlockDevice.create(image(), MIB, BLOCK)) {
            ByteBuffer data = pattern(4 * BLOCK, 9, false);
            device.write(0, data, false);
            device.holePuncher().disable("fallocate(PUNCH_HOLE) answered EOPNOTSUPP (test)");

            device.discard(0, 4 * BLOCK);
            device.discard(0, 0);

            assertEquals(HolePuncher.State.UNSUPPORTED, device.holePuncher().state());
            ByteBuffer back = ByteBuffer.allocate(4 * BLOCK);
            device.read(0, back);
            assertEquals(data.flip(), back.flip());
        }
    }

    @Test
    void readOnlyDeviceRefusesWritesAndDiscards() throws IOException {
        Path image = image();
        FileBlockDevice.create(image, MIB, BLOCK).close();
        try (FileBlockDevice device = FileBlockDevice.open(image, BLOCK, true)) {
            IllegalStateException write = assertThrows(IllegalStateException.class,
                    () -> device.write(0, ByteBuffer.allocate(BLOCK), false));
            assertContains(write.getMessage(), "read-only", image.toString());
            IllegalStateException discard = assertThrows(IllegalStateException.class,
                    () -> device.discard(0, BLOCK));
            assertContains(discard.getMessage(), "read-only");
            device.flush();
            assertNull(device.holePuncher());
        }
    }

    @Test
    void openOfMissingFileNamesPath() {
        Path missing = dir.resolve("missing.img");
        for (boolean readOnly : new boolean[] {false, true}) {
            DeviceOpenException e = assertThrows(DeviceOpenException.class,
                    () -> FileBlockDevice.open(missing, BLOCK, readOnly));
            assertContains(e.getMessage(), missing.toString(), "no such file");
            assertEquals(missing, e.path());
        }
        assertFalse(Files.exists(missing), "open must never create the image");
    }

    @Test
    void openOfDirectoryNamesPath() {
        DeviceOpenException e = assertThrows(DeviceOpenException.class,
                () -> FileBlockDevice.open(dir, BLOCK, false));
        assertContains(e.getMessage(), dir.toString(), "is a directory");
    }

    @Test
    void openOfFileThatIsNotWholeBlocksNamesBothNumbers() throws IOException {
        Path image = dir.resolve("odd.img");
        Files.write(image, new byte[5000]);
        for (boolean readOnly : new boolean[] {false, true}) {
            DeviceOpenException e = assertThrows(DeviceOpenException.class,
                    () -> FileBlockDevice.open(image, BLOCK, readOnly));
            assertContains(e.getMessage(), image.toString(), "5000", "4096", "multiple");
        }
        Path empty = Files.createFile(dir.resolve("empty.img"));
        DeviceOpenException e = assertThrows(DeviceOpenException.class,
                () -> FileBlockDevice.open(empty, BLOCK, false));
        assertContains(e.getMessage(), empty.toString(), "empty");
    }

    @Test
    void createRefusesExistingFileAndMissingDirectory() throws IOException {
        Path existing = Files.write(dir.resolve("existing.img"), new byte[] {1, 2, 3});
        DeviceOpenException exists = assertThrows(DeviceOpenException.class,
                () -> FileBlockDevice.create(existing, MIB, BLOCK));
        assertContains(exists.getMessage(), existing.toString(), "already exists", "create");
        assertEquals(3, Files.size(existing), "create must not touch an existing file");

        Path orphan = dir.resolve("no-such-dir").resolve("x.img");
        DeviceOpenException noDir = assertThrows(DeviceOpenException.class,
                () -> FileBlockDevice.create(orphan, MIB, BLOCK));
        assertContains(noDir.getMessage(), orphan.toString(), "directory does not exist");
    }

    @Test
    void badGeometryIsIllegalArgument() {
        Path image = image();
        IllegalArgumentException blockSize = assertThrows(IllegalArgumentException.class,
                () -> FileBlockDevice.create(image, MIB, 1000));
        assertContains(blockSize.getMessage(), "1000");
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> FileBlockDevice.create(image, MIB + 1, BLOCK));
        assertContains(size.getMessage(), String.valueOf(MIB + 1), "4096");
        assertFalse(Files.exists(image), "a refused create must leave no file");
    }

    @ParameterizedTest
    @CsvSource({
        "read, 100, 4096", "read, 4096, 100", "read, 1048576, 4096", "read, 1044480, 8192",
        "write, 4097, 4096", "write, 1048576, 4096", "discard, -4096, 4096",
        "discard, 0, 1052672", "discard, 4096, 4095",
    })
    void misalignedOrOutOfRangeIoIsIllegalArgumentNamingTheNumbers(
            String op, long offsetBytes, int lengthBytes) throws IOException {
        try (FileBlockDevice device = FileBlockDevice.create(image(), MIB, BLOCK)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
                switch (op) {
                    case "read" -> device.read(offsetBytes, ByteBuffer.allocate(lengthBytes));
                    case "write" ->
                            device.write(offsetBytes, ByteBuffer.allocate(lengthBytes), false);
                    default -> device.discard(offsetBytes, lengthBytes);
                }
            });
            assertContains(e.getMessage(), "offset " + offsetBytes, "length " + lengthBytes,
                    "size " + MIB, "block size " + BLOCK);
        }
    }

    @Test
    void secondWriterInThisJvmIsRefusedReadersAreNot() throws IOException {
        Path image = image();
        ByteBuffer data = pattern(BLOCK, 11, false);
        try (FileBlockDevice writer = FileBlockDevice.create(image, MIB, BLOCK)) {
            writer.write(0, data, false);
            for (int attempt = 0; attempt < 2; attempt++) {
                DeviceOpenException e = assertThrows(DeviceOpenException.class,
                        () -> FileBlockDevice.open(image, BLOCK, false));
                assertContains(e.getMessage(), image.toString(), "already opened for writing");
            }
            try (FileBlockDevice reader = FileBlockDevice.open(image, BLOCK, true)) {
                ByteBuffer back = ByteBuffer.allocate(BLOCK);
                reader.read(0, back);
                assertEquals(data.flip(), back.flip(), "a reader sees the writer's data");
            }
            // A symbolic link names the same image, so it is refused too.
            Path link = Files.createSymbolicLink(dir.resolve("link.img"), image);
            DeviceOpenException viaLink = assertThrows(DeviceOpenException.class,
                    () -> FileBlockDevice.open(link, BLOCK, false));
            assertContains(viaLink.getMessage(), link.toString(), "already opened for writing");
        }
        FileBlockDevice.open(image, BLOCK, false).close();
    }

    @Test
    void writeLockHoldsAgainstOtherProcessesAfterReadersAndRefusalsClose() throws Exception {
        Path image = image();
        Path probe = lockProbe();
        try (FileBlockDevice writer = FileBlockDevice.create(image, MIB, BLOCK)) {
            assertEquals("busy", runProbe(probe, image));
            // Each of these opens and closes another descriptor of the image in this JVM,
            // which would drop a plain POSIX lock.
            FileBlockDevice.open(image, BLOCK, true).close();
            assertThrows(DeviceOpenException.class,
                    () -> FileBlockDevice.open(image, BLOCK, false));
            try (FileBlockDevice reader = FileBlockDevice.open(image, BLOCK, true)) {
                reader.read(0, ByteBuffer.allocate(BLOCK));
            }
            assertEquals("busy", runProbe(probe, image), "lock lost while the writer is open");
            writer.write(0, ByteBuffer.allocate(BLOCK), true);
        }
        assertEquals("locked", runProbe(probe, image), "close must release the lock");
    }

    @Test
    void writerInAnotherProcessBlocksReadWriteOpenNotReadOnly() throws Exception {
        Path image = image();
        FileBlockDevice.create(image, MIB, BLOCK).close();
        Process holder = startProbe(lockProbe(), image, true);
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("locked", out.readLine());
            DeviceOpenException e = assertThrows(DeviceOpenException.class,
                    () -> FileBlockDevice.open(image, BLOCK, false));
            assertContains(e.getMessage(), image.toString(), "already opened for writing",
                    "another process");
            FileBlockDevice.open(image, BLOCK, true).close();
        } finally {
            holder.getOutputStream().close();
            assertTrue(holder.waitFor(60, TimeUnit.SECONDS), "lock probe did not exit");
        }
        FileBlockDevice.open(image, BLOCK, false).close();
    }

    @Test
    void readPastTruncatedEndIsBlockIOExceptionNamingOffset() throws IOException {
        Path image = image();
        FileBlockDevice.create(image, MIB, BLOCK).close();
        try (FileBlockDevice device = FileBlockDevice.open(image, BLOCK, true)) {
            try (FileChannel channel = FileChannel.open(image, StandardOpenOption.WRITE)) {
                channel.truncate(MIB / 2);
            }
            BlockIOException e = assertThrows(BlockIOException.class,
                    () -> device.read(MIB / 2 - BLOCK, ByteBuffer.allocate(2 * BLOCK)));
            assertEquals(MIB / 2, e.offsetBytes());
            assertContains(e.getMessage(), image.toString(), "end of the file",
                    "offset " + (MIB / 2));
        }
    }

    @Test
    void closeIsIdempotentAndLaterIoIsIllegalState() throws IOException {
        FileBlockDevice device = FileBlockDevice.create(image(), MIB, BLOCK);
        device.close();
        device.close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> device.read(0, ByteBuffer.allocate(BLOCK)));
        assertContains(e.getMessage(), "closed", device.describe());
        assertThrows(IllegalStateException.class, device::flush);
        assertThrows(IllegalStateException.class, () -> device.discard(0, BLOCK));
    }

    @Test
    void concurrentWritersOfDisjointRangesAllLand() throws Exception {
        int threads = 4;
        int blocksPerThread = 64;
        try (FileBlockDevice device = FileBlockDevice.create(image(), 4 * MIB, BLOCK)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    long baseBytes = (long) t * blocksPerThread * BLOCK;
                    done.add(pool.submit(() -> {
                        for (int b = 0; b < blocksPerThread; b++) {
                            long offsetBytes = baseBytes + (long) b * BLOCK;
                            device.write(offsetBytes, pattern(BLOCK, offsetBytes, b % 2 == 0),
                                    false);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            for (long offsetBytes = 0; offsetBytes < (long) threads * blocksPerThread * BLOCK;
                    offsetBytes += BLOCK) {
                ByteBuffer back = ByteBuffer.allocate(BLOCK);
                device.read(offsetBytes, back);
                assertEquals(pattern(BLOCK, offsetBytes, false), back.flip(), "at " + offsetBytes);
            }
        }
    }

    private Path image() {
        return dir.resolve("test.img");
    }

    /** Bytes from a generator seeded by {@code seed}, so each case has its own contents. */
    static ByteBuffer pattern(int lengthBytes, long seed, boolean direct) {
        byte[] bytes = new byte[lengthBytes];
        new Random(seed).nextBytes(bytes);
        ByteBuffer buffer = direct
                ? ByteBuffer.allocateDirect(lengthBytes) : ByteBuffer.allocate(lengthBytes);
        return buffer.put(bytes).flip();
    }

    static void assertContains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "'" + message + "' lacks '" + part + "'");
        }
    }

    /** Bytes the host filesystem has allocated to the file, read with stat(1). */
    private static long allocatedBytes(Path path) throws IOException {
        Process stat = new ProcessBuilder("stat", "-c", "%b %B", path.toString())
                .redirectErrorStream(true).start();
        String out = new String(stat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            assertTrue(stat.waitFor(30, TimeUnit.SECONDS), "stat did not exit");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        assertEquals(0, stat.exitValue(), "stat failed: " + out);
        String[] fields = out.trim().split(" ");
        return Long.parseLong(fields[0]) * Long.parseLong(fields[1]);
    }

    /**
     * Writes a Java program that tries the image's write lock as another process would and
     * prints "locked" or "busy"; with a second argument it holds the lock until stdin closes.
     */
    private Path lockProbe() throws IOException {
        Path source = dir.resolve("LockProbe.java");
        Files.writeString(source, String.join("\n",
                "import java.nio.channels.*;",
                "import java.nio.file.*;",
                "public class LockProbe {",
                "  public static void main(String[] args) throws Exception {",
                "    try (FileChannel c = FileChannel.open(Path.of(args[0]),",
                "        StandardOpenOption.READ, StandardOpenOption.WRITE)) {",
                "      FileLock lock = c.tryLock();",
                "      System.out.println(lock == null ? \"busy\" : \"locked\");",
                "      System.out.flush();",
                "      if (args.length > 1 && lock != null) {",
                "        System.in.read();",
                "      }",
                "    }",
                "  }",
                "}", ""));
        return source;
    }

    private static Process startProbe(Path source, Path image, boolean hold) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(
                java.toString(), source.toString(), image.toString()));
        if (hold) {
            command.add("hold");
        }
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static String runProbe(Path source, Path image) throws Exception {
        Process probe = startProbe(source, image, false);
        String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(probe.waitFor(60, TimeUnit.SECONDS), "lock probe did not exit");
        assertEquals(0, probe.exitValue(), "lock probe failed: " + out);
        assertNotEquals("", out.trim());
        return out.trim();
    }
}
