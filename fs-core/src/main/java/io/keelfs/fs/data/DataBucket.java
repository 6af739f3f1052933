package io.keelfs.fs.data;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.keelfs.alloc.OpenBucket;

/**
 * A USER bucket this package holds open: filled sequentially by one {@link WritePoint}, and
 * pinned by every prepared write that reserved space in it.
 *
 * <p>Lifecycle: (1) allocated by {@link DataSpace#allocate} and made the write point's current
 * bucket; (2) space reserved, each reservation a pin; (3) the first commit into it claims it
 * ({@link #claimed}); (4) retired when full (or at close); (5) released to the allocator once
 * retired and unpinned, and freed then if nothing live remained in it. A bucket is never freed
 * while open, so a prepared write's space cannot be handed to another writer.
 *
 * <p>Thread-safety: pins and retirement under this object's monitor.
 */
final class DataBucket {
    final OpenBucket open;
    /** Set once a commit that claimed the bucket has been applied. */
    volatile boolean claimed;
    @GuardedBy("this")
    private int pins;
    @GuardedBy("this")
    private boolean retired;
    @GuardedBy("this")
    private boolean released;

    DataBucket(OpenBucket open) {
        this.open = open;
    }

    long bucket() {
        return open.bucket();
    }

    int generation() {
        return open.generation();
    }

    synchronized void pin() {
        if (retired) {
            throw new IllegalStateException("pin of retired bucket " + open);
        }
        pins++;
    }

    /** Drops one pin; true when the caller must now release the bucket (exactly once). */
    synchronized boolean unpin() {
        if (pins <= 0) {
            throw new IllegalStateException("unpin of unpinned bucket " + open);
        }
        pins--;
        return releaseNow();
    }

    /** No more reservations; true when the caller must now release the bucket. */
    synchronized boolean retire() {
        retired = true;
        return releaseNow();
    }

    @GuardedBy("this")
    private boolean releaseNow() {
        if (retired && pins == 0 && !released) {
            released = true;
            return true;
        }
        return false;
    }

    @Override
    public String toString() {
        return "data bucket " + open.bucket() + " gen " + open.generation();
    }
}
