package io.keelfs.fs;

import io.keelfs.error.Errno;
import io.keelfs.error.FsException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Open handles: number to (ino, open flags, directory or not), and how many handles each inode
 * has open, which decides when an unlinked inode is freed.
 *
 * <p>Lifecycle: {@link #add} (opening) then {@link #get} any number of times then
 * {@link #remove} (release). Handle numbers are never reused within a mount, so a stale handle
 * is EBADF rather than somebody else's file.
 *
 * <p>Thread-safety: safe for many threads. Callers that must order opening against an unlink
 * add the handle inside an engine transaction (the unlink decides under the exclusive engine
 * lock whether the inode is still open).
 */
final class Handles {
    /** Open handles at once: FUSE's own limit is far below; this bounds the map. */
    static final int HANDLES_MAX = 1 << 20;

    record Handle(long number, long ino, int flags, boolean directory) {}

    private final ConcurrentHashMap<Long, Handle> handles = new ConcurrentHashMap<>();
    private final AtomicLong lastNumber = new AtomicLong();
    // @GuardedBy("openCounts")
    private final Map<Long, Integer> openCounts = new HashMap<>();

    Handle add(long ino, int flags, boolean directory) throws FsException {
        if (handles.size() >= HANDLES_MAX) {
            throw new FsException(Errno.ENOMEM, "open handles at their limit " + HANDLES_MAX);
        }
        Handle h = new Handle(lastNumber.incrementAndGet(), ino, flags, directory);
        synchronized (openCounts) {
            openCounts.merge(ino, 1, Integer::sum);
        }
        handles.put(h.number(), h);
        return h;
    }

    Handle get(long number) throws FsException {
        Handle h = handles.get(number);
        if (h == null) {
            throw new FsException(Errno.EBADF, "handle " + number + " is not open");
        }
        return h;
    }

    /** Removes a handle; returns it with the number of handles its inode still has open. */
    int remove(Handle h) {
        handles.remove(h.number());
        synchronized (openCounts) {
            int left = openCounts.merge(h.ino(), -1, Integer::sum);
            if (left <= 0) {
                openCounts.remove(h.ino());
            }
            return Math.max(left, 0);
        }
    }

    boolean isOpen(long ino) {
        synchronized (openCounts) {
            return openCounts.containsKey(ino);
        }
    }

    int size() {
        return handles.size();
    }
}
