package io.keelfs.block;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link BlockDevice} over an image file: positional {@link FileChannel} I/O, flush by
 * fdatasync, discard by punching a hole.
 *
 * <p>Entry points: {@link #create} (a new sparse image) and {@link #open}, then the
 * {@link BlockDevice} methods; {@link #close} releases the write lock.
 *
 * <p>Opening. A read-write device holds the image's exclusive write lock
 * ({@link FileChannel#tryLock()}), so at most one keelfs process writes an image; a second
 * read-write open, from this process or another, fails. A read-only device takes no lock and
 * opens while a writer holds it (it then sees the writer's data as it lands, not a consistent
 * snapshot). Every refusal is a {@link DeviceOpenException} naming the path and the reason.
 * Closing any descriptor of a file drops this process's locks on it; {@link ImageLockTable}
 * explains how this class keeps its own descriptors from doing so.
 *
 * <p>Durability. {@link #flush()} and FUA writes call {@code force(false)} (fdatasync), which
 * also makes the host filesystem's allocation of a sparse image durable (DESIGN.md section
 * 8). A failed flush poisons the device: Linux may drop the dirty pages and report the error
 * only once, so every later flush and FUA write fails too, and the layer above must treat
 * un-flushed writes as lost.
 *
 * <p>Buffers. Nothing is copied here. The JDK copies a heap buffer through a temporary direct
 * buffer, cached per thread, so pass direct buffers for large I/O.
 *
 * <p>Interrupts. Interrupting a thread blocked in this device's I/O closes the channel for
 * every thread ({@link ClosedByInterruptException}) and with it the write lock; the device is
 * then unusable and must be closed and reopened.
 *
 * <p>Thread-safety: safe for concurrent use. I/O racing with {@link #close} fails with a
 * {@link BlockIOException}; I/O after close is an {@link IllegalStateException}.
 */
public final class FileBlockDevice implements BlockDevice {
    /** Reads or writes in a row that move no byte before giving up (never seen on files). */
    static final int STALLED_CALLS_MAX = 16;

    private final Path path;
    private final String description;
    private final FileChannel channel;
    /** The write lock; null for a read-only device. */
    private final FileLock lock;
    private final Object fileKey;
    private final long sizeBytes;
    private final int blockSizeBytes;
    private final boolean readOnly;
    /** Null for a read-only device. */
    private final HolePuncher holePuncher;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The first failed flush; once set, flushes and FUA writes fail (see class comment). */
    private volatile IOException flushFailure;

    private FileBlockDevice(Path path, FileChannel channel, FileLock lock, Object fileKey,
            long sizeBytes, int blockSizeBytes, HolePuncher holePuncher) {
        this.path = path;
        this.description = path.toString();
        this.channel = channel;
        this.lock = lock;
        this.fileKey = fileKey;
        this.sizeBytes = sizeBytes;
        this.blockSizeBytes = blockSizeBytes;
        this.readOnly = lock == null;
        this.holePuncher = holePuncher;
    }

    /**
     * Creates a new sparse image of {@code sizeBytes} and opens it read-write, locked.
     *
     * @throws DeviceOpenException if the file exists or its directory does not
     * @throws IllegalArgumentException if the block size or device size is invalid
     */
    public static FileBlockDevice create(Path path, long sizeBytes, int blockSizeBytes)
            throws IOException {
        BlockChecks.checkBlockSize(blockSizeBytes);
        BlockChecks.checkDeviceSize(sizeBytes, blockSizeBytes);
        return ImageLockTable.locked(() -> createLocked(path, sizeBytes, blockSizeBytes));
    }

    /**
     * Opens an existing image; read-write opens take the image's write lock.
     *
     * @throws DeviceOpenException if the file is missing, not a regular file, not a whole
     *     number of blocks, or (read-write) already opened for writing
     * @throws IllegalArgumentException if the block size is invalid
     */
    public static FileBlockDevice open(Path path, int blockSizeBytes, boolean readOnly)
            throws IOException {
        BlockChecks.checkBlockSize(blockSizeBytes);
        return ImageLockTable.locked(() -> readOnly
                ? openReadOnlyLocked(path, blockSizeBytes)
                : openReadWriteLocked(path, blockSizeBytes));
    }

    private static FileBlockDevice createLocked(Path path, long sizeBytes, int blockSizeBytes)
            throws IOException {
        try {
            Files.createFile(path);
        } catch (FileAlreadyExistsException e) {
            throw new DeviceOpenException("create", path, "file already exists", e);
        } catch (NoSuchFileException e) {
            throw new DeviceOpenException("create", path, "parent directory does not exist", e);
        } catch (IOException e) {
            throw new DeviceOpenException("create", path, describeFailure(e), e);
        }
        RandomAccessFile file = null;
        try {
            file = new RandomAccessFile(path.toFile(), "rw");
            FileLock lock = lockOrExplain(path, file.getChannel());
            // ftruncate: the image takes no space until written.
            file.setLength(sizeBytes);
            Object fileKey = fileKey(path, Files.readAttributes(path, BasicFileAttributes.class));
            HolePuncher holePuncher = HolePuncher.open(path);
            // Last: nothing below can fail, so the table never lists a writer that is gone.
            ImageLockTable.registerWriter(fileKey);
            return new FileBlockDevice(path, file.getChannel(), lock, fileKey, sizeBytes,
                    blockSizeBytes, holePuncher);
        } catch (DeviceOpenException e) {
            throw undoCreate(path, file, e);
        } catch (RuntimeException e) {
            throw undoCreate(path, file, e);
        } catch (IOException e) {
            throw undoCreate(path, file,
                    new DeviceOpenException("create", path, describeFailure(e), e));
        }
    }

    /** Closes and deletes the file a failed create made; returns {@code failure}. */
    private static <E extends Exception> E undoCreate(
            Path path, RandomAccessFile file, E failure) {
        closeQuietly(file, failure);
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
        return failure;
    }

    private static FileBlockDevice openReadWriteLocked(Path path, int blockSizeBytes)
            throws IOException {
        Object fileKey = fileKey(path, inspect(path, blockSizeBytes));
        if (ImageLockTable.heldForWriting(fileKey)) {
            throw lockHeld(path, "by this process", null);
        }
        FileChannel channel =
                openChannel(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            FileLock lock = lockOrExplain(path, channel);
            // Recheck under the lock: the size seen by inspect() may have changed since.
            long sizeBytes = channel.size();
            checkImageSize(path, sizeBytes, blockSizeBytes);
            HolePuncher holePuncher = HolePuncher.open(path);
            // Last: nothing below can fail, so the table never lists a writer that is gone.
            ImageLockTable.registerWriter(fileKey);
            return new FileBlockDevice(
                    path, channel, lock, fileKey, sizeBytes, blockSizeBytes, holePuncher);
        } catch (IOException | RuntimeException e) {
            // Safe: this process holds no other lock on the image (checked above).
            closeQuietly(channel, e);
            throw e;
        }
    }

    private static FileBlockDevice openReadOnlyLocked(Path path, int blockSizeBytes)
            throws IOException {
        Object fileKey = fileKey(path, inspect(path, blockSizeBytes));
        int parkedCount = ImageLockTable.parkedCount(fileKey);
        if (parkedCount >= ImageLockTable.PARKED_CHANNELS_MAX) {
            throw new DeviceOpenException(path, String.format(
                    "%d read-only opens already wait for this process's writer to close; the "
                    + "limit is %d", parkedCount, ImageLockTable.PARKED_CHANNELS_MAX), null);
        }
        FileChannel channel = openChannel(path, StandardOpenOption.READ);
        try {
            long sizeBytes = channel.size();
            checkImageSize(path, sizeBytes, blockSizeBytes);
            return new FileBlockDevice(
                    path, channel, null, fileKey, sizeBytes, blockSizeBytes, null);
        } catch (IOException | RuntimeException e) {
            try {
                ImageLockTable.closeReader(fileKey, channel);
            } catch (IOException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    /** Checks what the path names before any descriptor is opened. */
    private static BasicFileAttributes inspect(Path path, int blockSizeBytes)
            throws DeviceOpenException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new DeviceOpenException(path, "no such file", e);
        } catch (IOException e) {
            throw new DeviceOpenException(path, describeFailure(e), e);
        }
        if (attributes.isDirectory()) {
            throw new DeviceOpenException(path, "is a directory, not an image file", null);
        }
        if (!attributes.isRegularFile()) {
            throw new DeviceOpenException(path, "is not a regular file", null);
        }
        checkImageSize(path, attributes.size(), blockSizeBytes);
        return attributes;
    }

    private static void checkImageSize(Path path, long sizeBytes, int blockSizeBytes)
            throws DeviceOpenException {
        if (sizeBytes == 0) {
            throw new DeviceOpenException(path, "file is empty (0 bytes), not an image", null);
        }
        if (sizeBytes % blockSizeBytes != 0) {
            throw new DeviceOpenException(path, String.format(
                    "size %d bytes is not a multiple of the block size %d bytes",
                    sizeBytes, blockSizeBytes), null);
        }
    }

    private static Object fileKey(Path path, BasicFileAttributes attributes) throws IOException {
        Object fileKey = attributes.fileKey();
        return fileKey != null ? fileKey : path.toRealPath();
    }

    private static FileChannel openChannel(Path path, OpenOption... options)
            throws DeviceOpenException {
        try {
            return FileChannel.open(path, options);
        } catch (NoSuchFileException e) {
            throw new DeviceOpenException(path, "no such file", e);
        } catch (IOException e) {
            throw new DeviceOpenException(path, describeFailure(e), e);
        }
    }

    private static FileLock lockOrExplain(Path path, FileChannel channel) throws IOException {
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            // Held through another channel in this JVM, but not by a keelfs device.
            throw lockHeld(path, "by this process", e);
        } catch (IOException e) {
            throw new DeviceOpenException(
                    path, "cannot take the write lock: " + describeFailure(e), e);
        }
        if (lock == null) {
            throw lockHeld(path, "by another process", null);
        }
        return lock;
    }

    private static DeviceOpenException lockHeld(Path path, String holder, Throwable cause) {
        return new DeviceOpenException(path, "already opened for writing by another keelfs "
                + "device (its write lock is held " + holder + "); close that one or open "
                + "this one read-only", cause);
    }

    private static String describeFailure(Exception e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return e.toString();
    }

    private static void closeQuietly(AutoCloseable closeable, Exception into) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception e) {
            into.addSuppressed(e);
        }
    }

    /** The image file as given to {@link #create} or {@link #open}. */
    public Path path() {
        return path;
    }

    @Override
    public int blockSizeBytes() {
        return blockSizeBytes;
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public String toString() {
        return "FileBlockDevice[" + description + (readOnly ? ", read-only]" : "]");
    }

    @Override
    public void read(long offsetBytes, ByteBuffer dst) throws IOException {
        checkOpen();
        int lengthBytes = dst.remaining();
        BlockChecks.checkRange(offsetBytes, lengthBytes, sizeBytes, blockSizeBytes);
        long positionBytes = offsetBytes;
        int stalledCalls = 0;
        while (dst.hasRemaining()) {
            int doneBytes;
            try {
                doneBytes = channel.read(dst, positionBytes);
            } catch (IOException e) {
                throw failure("read", offsetBytes, lengthBytes, positionBytes, e);
            }
            if (doneBytes < 0) {
                throw new BlockIOException(description, positionBytes, String.format(
                        "read of %d bytes from offset %d hit the end of the file (now %s "
                        + "bytes, device %d bytes: truncated while open?)",
                        lengthBytes, offsetBytes, currentFileSize(), sizeBytes), null);
            }
            stalledCalls = doneBytes == 0 ? stalledCalls + 1 : 0;
            if (stalledCalls > STALLED_CALLS_MAX) {
                throw stalled("read", offsetBytes, lengthBytes, positionBytes);
            }
            positionBytes += doneBytes;
        }
    }

    @Override
    public void write(long offsetBytes, ByteBuffer src, boolean fua) throws IOException {
        checkOpen();
        int lengthBytes = src.remaining();
        BlockChecks.checkRange(offsetBytes, lengthBytes, sizeBytes, blockSizeBytes);
        checkWritable("write");
        long positionBytes = offsetBytes;
        int stalledCalls = 0;
        while (src.hasRemaining()) {
            int doneBytes;
            try {
                doneBytes = channel.write(src, positionBytes);
            } catch (IOException e) {
                throw failure("write", offsetBytes, lengthBytes, positionBytes, e);
            }
            stalledCalls = doneBytes == 0 ? stalledCalls + 1 : 0;
            if (stalledCalls > STALLED_CALLS_MAX) {
                throw stalled("write", offsetBytes, lengthBytes, positionBytes);
            }
            positionBytes += doneBytes;
        }
        if (fua) {
            force("FUA write of " + lengthBytes + " bytes", offsetBytes);
        }
    }

    /** fdatasync; a no-op on a read-only device. */
    @Override
    public void flush() throws IOException {
        checkOpen();
        if (!readOnly) {
            force("flush (fdatasync of the whole image)", 0);
        }
    }

    /**
     * Punches a hole, so the range reads as zeros and frees its space; a no-op, leaving the old
     * contents, where the host filesystem cannot punch holes (see {@link HolePuncher}).
     */
    @Override
    public void discard(long offsetBytes, long lengthBytes) throws IOException {
        checkOpen();
        BlockChecks.checkRange(offsetBytes, lengthBytes, sizeBytes, blockSizeBytes);
        checkWritable("discard");
        if (lengthBytes > 0) {
            holePuncher.punch(offsetBytes, lengthBytes);
        }
    }

    /**
     * Readahead hint through {@link HolePuncher}'s descriptor (posix_fadvise WILLNEED); a
     * no-op on a read-only or closed device, or where libc is unavailable.
     */
    @Override
    public void adviseWillNeed(long offsetBytes, long lengthBytes) {
        long end = Math.min(sizeBytes, offsetBytes + lengthBytes);
        if (holePuncher != null && !closed.get() && offsetBytes >= 0 && end > offsetBytes) {
            holePuncher.adviseWillNeed(offsetBytes, end - offsetBytes);
        }
    }

    /** Releases the write lock and closes the image; idempotent. */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (readOnly) {
            ImageLockTable.closeReader(fileKey, channel);
        } else {
            ImageLockTable.closeWriter(fileKey, lock, channel, holePuncher);
        }
    }

    /** For tests: whether discards punch holes here. Null for a read-only device. */
    HolePuncher holePuncher() {
        return holePuncher;
    }

    private void force(String what, long offsetBytes) throws BlockIOException {
        IOException earlier = flushFailure;
        if (earlier != null) {
            throw new BlockIOException(description, offsetBytes, what + " refused: an earlier "
                    + "flush failed, so writes not flushed before it may be lost", earlier);
        }
        try {
            channel.force(false);
        } catch (IOException e) {
            flushFailure = e;
            throw failure(what, offsetBytes, 0, offsetBytes, e);
        }
    }

    private BlockIOException failure(
            String op, long offsetBytes, long lengthBytes, long positionBytes, IOException e) {
        String hint = e instanceof ClosedByInterruptException
                ? " (a thread was interrupted during I/O, which closes the image for every "
                        + "thread; close and reopen the device)"
                : "";
        return new BlockIOException(description, positionBytes, String.format(
                "%s of %d bytes from offset %d failed: %s%s",
                op, lengthBytes, offsetBytes, e, hint), e);
    }

    private BlockIOException stalled(
            String op, long offsetBytes, long lengthBytes, long positionBytes) {
        return new BlockIOException(description, positionBytes, String.format(
                "%s of %d bytes from offset %d moved no byte in %d calls in a row",
                op, lengthBytes, offsetBytes, STALLED_CALLS_MAX + 1), null);
    }

    private String currentFileSize() {
        try {
            return Long.toString(channel.size());
        } catch (IOException e) {
            return "unknown";
        }
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException(description + " is closed");
        }
    }

    private void checkWritable(String op) {
        if (readOnly) {
            throw new IllegalStateException(
                    "cannot " + op + ": " + description + " is opened read-only");
        }
    }
}
