package io.keelfs.block;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * This JVM's table of image files open for writing; it keeps their write locks real.
 *
 * <p>Why it exists: {@link FileChannel#tryLock()} takes a POSIX record lock, and the kernel
 * drops every POSIX lock a process holds on a file as soon as the process closes <em>any</em>
 * descriptor of that file (fcntl(2)), while the JDK goes on calling the lock valid. Measured
 * here on JDK 17 / Linux: a writer locked an image, the same JVM opened and closed a read-only
 * channel of it, and another process then got the lock. So while an image is held for
 * writing here, no other descriptor of it opened by this package is closed:
 * <ol>
 *   <li>a second read-write open of it is refused before it opens a descriptor;
 *   <li>a read-only device closing in that time hands its channel to the table, which closes
 *       it in {@link #closeWriter} after the writer's lock is released;
 *   <li>the writer closes its hole-punching descriptor after releasing its lock.
 * </ol>
 * Descriptors opened elsewhere (say {@code Files.readAllBytes} of the image) still drop the
 * lock when closed; nothing here can stop that.
 *
 * <p>Images are keyed by {@code BasicFileAttributes.fileKey()} (device and inode), so hard and
 * symbolic links to one image are one entry.
 *
 * <p>Thread-safety: every method holds the table's monitor, and opens run whole under it
 * ({@link #locked}), so check, open, lock and register are atomic against other opens and
 * closes in this JVM.
 */
final class ImageLockTable {
    /**
     * Most channels parked for one writer before read-only opens of its image are refused.
     * Each costs a descriptor until the writer closes; 256 is far above a few fsck or inspect
     * runs during one mount, and far below the usual limit of 1024 or more descriptors.
     * Channels of read-only devices that are open when the limit is reached still park when
     * they close, so the bound is this plus the devices the caller holds open.
     */
    static final int PARKED_CHANNELS_MAX = 256;

    /** An action run under the table's monitor. */
    interface Action<T> {
        T run() throws IOException;
    }

    /** Writer's file key to the read-only channels parked until the writer closes. */
    @GuardedBy("ImageLockTable.class")
    private static final Map<Object, List<FileChannel>> parkedByWriter = new HashMap<>();

    private ImageLockTable() {}

    /** Runs {@code action} atomically with respect to every other open and close here. */
    static synchronized <T> T locked(Action<T> action) throws IOException {
        return action.run();
    }

    static synchronized boolean heldForWriting(Object fileKey) {
        return parkedByWriter.containsKey(fileKey);
    }

    /** How many read-only channels wait for the writer of {@code fileKey}. */
    static synchronized int parkedCount(Object fileKey) {
        List<FileChannel> parked = parkedByWriter.get(fileKey);
        return parked == null ? 0 : parked.size();
    }

    /** Records that this JVM now holds the write lock of {@code fileKey}. */
    static synchronized void registerWriter(Object fileKey) {
        if (parkedByWriter.putIfAbsent(fileKey, new ArrayList<>()) != null) {
            throw new IllegalStateException("image " + fileKey + " is already held for writing");
        }
    }

    /**
     * Closes a channel that holds no lock: at once, or, while this JVM holds the image for
     * writing, when that writer closes.
     */
    static synchronized void closeReader(Object fileKey, FileChannel channel) throws IOException {
        List<FileChannel> parked = parkedByWriter.get(fileKey);
        if (parked != null) {
            parked.add(channel);
        } else {
            channel.close();
        }
    }

    /**
     * Releases a writer's lock, then closes its channel, the channels parked for it and its
     * other descriptor, in that order. Every step runs; the first failure is thrown.
     */
    static synchronized void closeWriter(
            Object fileKey, FileLock lock, FileChannel channel, Closeable other)
            throws IOException {
        List<Closeable> steps = new ArrayList<>();
        steps.add(() -> {
            // Invalid already if an interrupt closed the channel (and dropped the lock).
            if (lock.isValid()) {
                lock.release();
            }
        });
        steps.add(channel);
        List<FileChannel> parked = parkedByWriter.remove(fileKey);
        if (parked != null) {
            steps.addAll(parked);
        }
        steps.add(other);
        IOException failure = null;
        for (Closeable step : steps) {
            try {
                step.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
