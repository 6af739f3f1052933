package io.keelfs.fs.data;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.keelfs.error.KeelException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A write point (bcachefs {@code write_point}): one open bucket that successive writes fill
 * front to back, so small random writes become sequential bucket writes, and a large write
 * becomes one device write per bucket it touches.
 *
 * <p>Entry points: {@link #reserve} (space for a write, in one or more buckets, each piece
 * pinned), {@link #close}; {@link DataSpace#giveBack} unpins.
 *
 * <p>Thread-safety: reservations are made under the write point's lock (which may allocate a
 * bucket, and so run copygc and a checkpoint); never taken inside a transaction.
 */
final class WritePoint {
    private final DataSpace space;
    private final boolean forCopyGc;
    private final ReentrantLock lock = new ReentrantLock();
    @GuardedBy("lock")
    private DataBucket current;
    @GuardedBy("lock")
    private long fillBytes;

    WritePoint(DataSpace space, boolean forCopyGc) {
        this.space = space;
        this.forCopyGc = forCopyGc;
    }

    /**
     * Reserves {@code lengthBytes} (block aligned), filling the current bucket then opening
     * more. With {@code contiguous} the space is one piece (at most a bucket), opening a new
     * bucket if the current one has too little left. {@code usableReservedBytes}: how much of
     * the space promised to fallocated ranges this write fills (it may allocate into that).
     * On failure nothing stays reserved.
     */
    List<Reservation> reserve(long lengthBytes, boolean contiguous, long usableReservedBytes)
            throws KeelException {
        if (lengthBytes <= 0 || (contiguous && lengthBytes > space.bucketSizeBytes)) {
            throw new IllegalArgumentException("reserve " + lengthBytes + " bytes, contiguous "
                    + contiguous + ", bucket " + space.bucketSizeBytes);
        }
        List<Reservation> out = new ArrayList<>();
        lock.lock();
        try {
            long remaining = lengthBytes;
            while (remaining > 0) {
                long room = current == null ? 0 : space.bucketSizeBytes - fillBytes;
                if (room == 0 || (contiguous && room < remaining)) {
                    retireCurrent();
                    current = space.allocate(forCopyGc, usableReservedBytes);
                    fillBytes = 0;
                    room = space.bucketSizeBytes;
                }
                long take = Math.min(room, remaining);
                current.pin();
                out.add(new Reservation(current, fillBytes, take));
                fillBytes += take;
                remaining -= take;
            }
            return out;
        } catch (KeelException | RuntimeException e) {
            space.giveBack(out);
            throw e;
        } finally {
            lock.unlock();
        }
    }

    @GuardedBy("lock")
    private void retireCurrent() {
        if (current != null) {
            DataBucket old = current;
            current = null;
            if (old.retire()) {
                space.release(old);
            }
        }
    }

    /** Retires the current bucket (released once its reservations are given back). */
    void close() {
        lock.lock();
        try {
            retireCurrent();
        } finally {
            lock.unlock();
        }
    }
}
