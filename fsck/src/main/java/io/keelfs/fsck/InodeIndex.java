package io.keelfs.fsck;

import java.util.Arrays;

/**
 * The inodes of an image as fsck cross-references them: parallel primitive arrays indexed by
 * position in ascending inode order (the INODES btree is scanned in that order, so lookup is a
 * binary search). About 70 bytes per inode: 1M inodes take ~70 MiB, no boxing.
 *
 * <p>Bound: {@link #INODES_MAX} inodes (~280 MiB); a larger image is refused with a clear
 * operational error rather than run out of heap (spilling to an LMDB scratch environment is
 * not implemented yet).
 *
 * <p>Thread-safety: one run, one thread.
 */
final class InodeIndex {
    static final int INODES_MAX = 4 << 20;
    private static final int CAPACITY_MIN = 1024;

    int count;
    long[] ino = new long[CAPACITY_MIN];
    int[] mode = new int[CAPACITY_MIN];
    long[] nlink = new long[CAPACITY_MIN];
    long[] size = new long[CAPACITY_MIN];
    long[] used = new long[CAPACITY_MIN];
    long[] parent = new long[CAPACITY_MIN];
    long[] flags = new long[CAPACITY_MIN];
    boolean[] orphan = new boolean[CAPACITY_MIN];
    /** Dirents naming the inode (valid ones, in valid directories). */
    int[] names = new int[CAPACITY_MIN];
    /** Subdirectories named in this directory. */
    int[] subdirs = new int[CAPACITY_MIN];
    /** For a directory: the directory holding its (first) dirent, 0 if none. */
    long[] heldIn = new long[CAPACITY_MIN];
    /** For a directory: the slot of that dirent. */
    long[] heldAt = new long[CAPACITY_MIN];
    /** End of the last extent, and the sum of extent lengths. */
    long[] extentEnd = new long[CAPACITY_MIN];
    long[] extentBytes = new long[CAPACITY_MIN];

    /** Appends an inode; {@code inoValue} must exceed every one added before. */
    boolean add(long inoValue, int modeValue, long nlinkValue, long sizeValue, long usedValue,
            long parentValue, long flagsValue) {
        if (count == INODES_MAX) {
            return false;
        }
        if (count == ino.length) {
            grow();
        }
        int i = count++;
        ino[i] = inoValue;
        mode[i] = modeValue;
        nlink[i] = nlinkValue;
        size[i] = sizeValue;
        used[i] = usedValue;
        parent[i] = parentValue;
        flags[i] = flagsValue;
        return true;
    }

    /** Index of {@code inoValue}, or -1. */
    int find(long inoValue) {
        int i = Arrays.binarySearch(ino, 0, count, inoValue);
        return i >= 0 ? i : -1;
    }

    private void grow() {
        int n = Math.min(INODES_MAX, ino.length * 2);
        ino = Arrays.copyOf(ino, n);
        mode = Arrays.copyOf(mode, n);
        nlink = Arrays.copyOf(nlink, n);
        size = Arrays.copyOf(size, n);
        used = Arrays.copyOf(used, n);
        parent = Arrays.copyOf(parent, n);
        flags = Arrays.copyOf(flags, n);
        orphan = Arrays.copyOf(orphan, n);
        names = Arrays.copyOf(names, n);
        subdirs = Arrays.copyOf(subdirs, n);
        heldIn = Arrays.copyOf(heldIn, n);
        heldAt = Arrays.copyOf(heldAt, n);
        extentEnd = Arrays.copyOf(extentEnd, n);
        extentBytes = Arrays.copyOf(extentBytes, n);
    }
}
