package io.keelfs.bench;

import io.keelfs.block.BlockIOException;
import io.keelfs.block.FileBlockDevice;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;

/**
 * The timed workloads of {@code keelfs bench blockdev}, each runnable against either side:
 * {@link Side#KEELFS} (FileBlockDevice) or {@link Side#RAW} (a FileChannel used directly).
 *
 * <p>Entry points: {@link #sequentialWrite}, {@link #randomRead}; each returns the elapsed
 * nanoseconds of the timed part only. Both sides do the same work with the same direct buffers:
 * a new sparse file of the full size, 1 MiB positional writes, one {@code force(false)} (the
 * device's flush); then the same random 4 KiB block offsets, each read checked against the data
 * written there, so neither side can win by reading the wrong thing. Creating, opening and
 * closing are not timed.
 *
 * <p>Not thread-safe: the buffers are shared between calls.
 */
final class BlockdevWorkload {
    static final int WRITE_CHUNK_BYTES = 1 << 20;
    static final int READ_BLOCK_BYTES = 4096;
    /** Progress is reported every this many writes (16 MiB) and reads. */
    static final int WRITES_PER_UPDATE = 16;
    static final int READS_PER_UPDATE = 1024;

    static {
        if (WRITE_CHUNK_BYTES % READ_BLOCK_BYTES != 0) {
            throw new ExceptionInInitializerError("write chunk must be whole read blocks");
        }
    }

    /** Which implementation does the I/O. */
    enum Side {
        KEELFS("keelfs"),
        RAW("raw");

        final String label;

        Side(String label) {
            this.label = label;
        }
    }

    /** One chunk of random bytes, written at every 1 MiB; so block b holds a known pattern. */
    private final ByteBuffer writeChunk = ByteBuffer.allocateDirect(WRITE_CHUNK_BYTES);
    private final ByteBuffer readBlock = ByteBuffer.allocateDirect(READ_BLOCK_BYTES);

    BlockdevWorkload(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        while (writeChunk.hasRemaining()) {
            writeChunk.putLong(random.nextLong());
        }
        writeChunk.clear();
    }

    /** {@code count} block-aligned offsets, uniform over a file of {@code sizeBytes}. */
    static long[] randomBlockOffsets(long sizeBytes, int count, long seed) {
        long blockCount = Math.floorDiv(sizeBytes, READ_BLOCK_BYTES);
        SplittableRandom random = new SplittableRandom(seed);
        long[] offsetsBytes = new long[count];
        for (int i = 0; i < count; i++) {
            offsetsBytes[i] = random.nextLong(blockCount) * READ_BLOCK_BYTES;
        }
        return offsetsBytes;
    }

    /** Creates {@code path} (must not exist), writes {@code sizeBytes}, flushes; timed nanos. */
    long sequentialWrite(
            Side side, Path path, long sizeBytes, Progress progress, String labelPrefix)
            throws IOException {
        if (sizeBytes % WRITE_CHUNK_BYTES != 0) {
            throw new IllegalArgumentException(String.format(
                    "size %d bytes is not a multiple of the write chunk %d",
                    sizeBytes, WRITE_CHUNK_BYTES));
        }
        long chunkCount = sizeBytes / WRITE_CHUNK_BYTES;
        progress.begin(String.format("%s %-6s sequential write", labelPrefix, side.label),
                chunkCount);
        long elapsedNanos;
        if (side == Side.KEELFS) {
            try (FileBlockDevice device =
                    FileBlockDevice.create(path, sizeBytes, READ_BLOCK_BYTES)) {
                long startNanos = System.nanoTime();
                for (long i = 0; i < chunkCount; i++) {
                    writeChunk.clear();
                    device.write(i * WRITE_CHUNK_BYTES, writeChunk, false);
                    if (i % WRITES_PER_UPDATE == 0) {
                        progress.update(i);
                    }
                }
                device.flush();
                elapsedNanos = System.nanoTime() - startNanos;
            }
        } else {
            createSparse(path, sizeBytes);
            try (FileChannel channel =
                    FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                long startNanos = System.nanoTime();
                for (long i = 0; i < chunkCount; i++) {
                    writeChunk.clear();
                    long positionBytes = i * WRITE_CHUNK_BYTES;
                    while (writeChunk.hasRemaining()) {
                        positionBytes += channel.write(writeChunk, positionBytes);
                    }
                    if (i % WRITES_PER_UPDATE == 0) {
                        progress.update(i);
                    }
                }
                channel.force(false);
                elapsedNanos = System.nanoTime() - startNanos;
            }
        }
        return elapsedNanos;
    }

    /** Reads one block at each offset of a file written by {@link #sequentialWrite}; nanos. */
    long randomRead(
            Side side, Path path, long[] offsetsBytes, Progress progress, String labelPrefix)
            throws IOException {
        progress.begin(String.format("%s %-6s random read", labelPrefix, side.label),
                offsetsBytes.length);
        long elapsedNanos;
        if (side == Side.KEELFS) {
            try (FileBlockDevice device = FileBlockDevice.open(path, READ_BLOCK_BYTES, true)) {
                long startNanos = System.nanoTime();
                for (int i = 0; i < offsetsBytes.length; i++) {
                    readBlock.clear();
                    device.read(offsetsBytes[i], readBlock);
                    check(path, offsetsBytes[i]);
                    if (i % READS_PER_UPDATE == 0) {
                        progress.update(i);
                    }
                }
                elapsedNanos = System.nanoTime() - startNanos;
            }
        } else {
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
                long startNanos = System.nanoTime();
                for (int i = 0; i < offsetsBytes.length; i++) {
                    readBlock.clear();
                    while (readBlock.hasRemaining()) {
                        long positionBytes = offsetsBytes[i] + readBlock.position();
                        if (channel.read(readBlock, positionBytes) < 0) {
                            throw new BlockIOException(
                                    path.toString(), positionBytes, "unexpected end of file", null);
                        }
                    }
                    check(path, offsetsBytes[i]);
                    if (i % READS_PER_UPDATE == 0) {
                        progress.update(i);
                    }
                }
                elapsedNanos = System.nanoTime() - startNanos;
            }
        }
        return elapsedNanos;
    }

    /** The block just read must start with what was written there. */
    private void check(Path path, long offsetBytes) throws IOException {
        long expected = writeChunk.getLong((int) (offsetBytes % WRITE_CHUNK_BYTES));
        long actual = readBlock.getLong(0);
        if (actual != expected) {
            throw new BlockIOException(path.toString(), offsetBytes, String.format(
                    "read back %016x, expected %016x", actual, expected), null);
        }
    }

    /** What FileBlockDevice.create does to the file: a new file, sparse, of the full size. */
    private static void createSparse(Path path, long sizeBytes) throws IOException {
        Files.createFile(path);
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(sizeBytes);
        }
    }
}
