package io.keelfs.cli;

import io.keelfs.block.DeviceOpenException;
import io.keelfs.block.FileBlockDevice;
import io.keelfs.engine.SuperblockIo;
import io.keelfs.error.DeviceIoException;
import io.keelfs.error.SuperblockCorruptException;
import io.keelfs.format.Geometry;
import io.keelfs.format.Superblock;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Image-file chores the commands share: opening an image to look at it, asking whether a file
 * already holds keelfs, and resizing a file mkfs is about to format.
 *
 * <p>Thread-safety: stateless.
 */
final class ImageFiles {
    /**
     * Block size of read-only inspection opens: the smallest mkfs allows, so every keelfs image
     * opens, and every read a report makes (4 KiB superblock copies, whole journal buckets,
     * node slots) is a multiple of it.
     */
    static final int INSPECT_BLOCK_SIZE_BYTES = Geometry.BLOCK_SIZE_BYTES_MIN;

    private ImageFiles() {}

    /** Opens an image read-only (no lock; a writer may hold it) to look at it. */
    static FileBlockDevice openReadOnly(Path image) throws DeviceOpenException, IOException {
        return FileBlockDevice.open(image, INSPECT_BLOCK_SIZE_BYTES, true);
    }

    /**
     * The superblock of the keelfs filesystem in a file of {@code sizeBytes}, or empty when the
     * file does not hold one (no valid superblock copy, or a size no image can have).
     */
    static Optional<Superblock> findKeelfs(Path image, long sizeBytes) throws CommandFailure {
        if (sizeBytes == 0 || sizeBytes % INSPECT_BLOCK_SIZE_BYTES != 0) {
            return Optional.empty();
        }
        try (FileBlockDevice device = openReadOnly(image)) {
            return Optional.of(SuperblockIo.read(device).superblock());
        } catch (SuperblockCorruptException e) {
            return Optional.empty();
        } catch (DeviceOpenException e) {
            throw new CommandFailure(e.getMessage(), e);
        } catch (DeviceIoException | IOException e) {
            throw new CommandFailure("cannot read " + image + ": " + e.getMessage(), e);
        }
    }

    /**
     * Sets an existing file's length (ftruncate: growing leaves a hole), refusing a file some
     * keelfs device has open for writing. The probe lock is this process's own descriptor;
     * closing it would drop another descriptor's lock on the file in this process, which is why
     * mkfs resizes before it opens its own device.
     */
    static void resize(Path image, long sizeBytes) throws CommandFailure {
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            FileLock lock = file.getChannel().tryLock();
            if (lock == null) {
                throw new CommandFailure(image + " is open for writing by another process"
                        + " (its write lock is held); close that first");
            }
            file.setLength(sizeBytes);
        } catch (OverlappingFileLockException e) {
            throw new CommandFailure(image + " is open for writing in this process", e);
        } catch (IOException e) {
            throw new CommandFailure("cannot resize " + image + " to " + sizeBytes + " bytes: "
                    + e.getMessage(), e);
        }
    }

    /**
     * Whether another process holds the image's write lock (a mount). Probes with this
     * process's own descriptor, so call it only while this process has the image open nowhere
     * for writing (closing the probe drops this process's locks on the file).
     */
    static boolean isWriteLocked(Path image) {
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            FileLock lock = file.getChannel().tryLock();
            return lock == null;
        } catch (OverlappingFileLockException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
