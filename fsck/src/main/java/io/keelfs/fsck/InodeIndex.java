package io.keelfs.fsck;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;
import org.lmdbjava.ByteArrayProxy;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.Txn;

/**
 * The inodes of an image as fsck cross-references them (mode, link count, sizes, dirents
 * naming each, where each directory is held, extent totals, walk state): one row of
 * {@link #FIELDS} longs per inode, rows in ascending inode order (the INODES btree is scanned
 * in that order, so {@link #find} is a binary search).
 *
 * <p>Heap bound: rows live in one primitive {@code long[]} (120 bytes per inode, no boxing)
 * up to {@link #heapInodesMax} inodes, by default a quarter of the maximum heap
 * ({@link #heapInodesMaxDefault}: -Xmx512m, 494 MiB usable, gives 1.08M inodes = 124 MiB, so
 * a 1M-file image stays on the heap). The array is sized once from the INODES key count the
 * topology pass read (no doubling: at 1M inodes the old and new arrays would be 180 MiB live
 * at once). Past the bound, every row
 * spills to an LMDB scratch environment in a temp directory (removed by {@link #close}), so a
 * larger image costs disk, not heap; rows are then read and written through one write
 * transaction with a one-row cache. {@code -Dkeelfs.fsck.heapInodesMax=N} lowers the bound
 * (tests force the spill with it).
 *
 * <p>Thread-safety: one run, one thread (LMDB write transactions are thread-bound).
 */
final class InodeIndex implements AutoCloseable {
    static final int INO = 0;
    static final int MODE = 1;
    static final int NLINK = 2;
    static final int SIZE = 3;
    static final int USED = 4;
    static final int PARENT = 5;
    static final int FLAGS = 6;
    static final int ORPHAN = 7;
    /** Valid dirents naming the inode. */
    static final int NAMES = 8;
    /** Subdirectories named in this directory. */
    static final int SUBDIRS = 9;
    /** For a directory: the directory holding its (first) dirent, 0 if none; and the slot. */
    static final int HELD_IN = 10;
    static final int HELD_AT = 11;
    /** End of the last extent, and the sum of extent lengths. */
    static final int EXTENT_END = 12;
    static final int EXTENT_BYTES = 13;
    /** Directory-structure walk state. */
    static final int STATE = 14;
    static final int FIELDS = 15;
    static final int ROW_BYTES = FIELDS * 8;

    /** Rows at most, heap or not: inode indexes are ints. */
    static final int INODES_MAX = Integer.MAX_VALUE / 2;
    /** LMDB map: virtual, the file grows as rows are written; 2^38 bytes = 2G rows. */
    static final long LMDB_MAP_BYTES = 1L << 38;
    private static final int CAPACITY_MIN = 1024;
    /** Interpolation probes of {@link #find} before it bisects. */
    private static final int INTERPOLATIONS_MAX = 4;

    private final int heapInodesMax;
    private int count;
    private long[] rows;
    private Path scratchDir;
    private Env<byte[]> env;
    private Dbi<byte[]> db;
    private Txn<byte[]> txn;
    private int cachedRow = -1;
    private final long[] cache = new long[FIELDS];
    private boolean cacheDirty;

    /** An index for about {@code expectedInodes} inodes (a hint: it grows past it). */
    static InodeIndex forExpected(long expectedInodes) {
        return new InodeIndex(Integer.getInteger("keelfs.fsck.heapInodesMax",
                heapInodesMaxDefault()), expectedInodes);
    }

    InodeIndex(int heapInodesMax) {
        this(heapInodesMax, 0);
    }

    InodeIndex(int heapInodesMax, long expectedInodes) {
        if (heapInodesMax < 1) {
            throw new IllegalArgumentException("heap bound " + heapInodesMax + " < 1");
        }
        this.heapInodesMax = heapInodesMax;
        long capacity = expectedInodes <= heapInodesMax
                ? Math.max(expectedInodes, CAPACITY_MIN) : CAPACITY_MIN;
        rows = new long[Math.toIntExact(Math.min(capacity, heapInodesMax) * FIELDS)];
    }

    /** Rows a quarter of the maximum heap holds, within [{@code 1024}, {@link #INODES_MAX}]. */
    static int heapInodesMaxDefault() {
        long rowsMax = Runtime.getRuntime().maxMemory() / 4 / ROW_BYTES;
        return (int) Math.max(CAPACITY_MIN, Math.min(INODES_MAX, rowsMax));
    }

    int count() {
        return count;
    }

    boolean spilled() {
        return env != null;
    }

    /** The LMDB scratch directory, or null while the rows are on the heap (tests). */
    Path scratchDirOrNull() {
        return scratchDir;
    }

    /** Appends an inode; {@code ino} must exceed every one added before. */
    boolean add(long ino, int mode, long nlink, long size, long used, long parent, long flags) {
        if (count == INODES_MAX) {
            return false;
        }
        if (count > 0 && ino <= get(count - 1, INO)) {
            throw new IllegalArgumentException("inode " + ino + " added after "
                    + get(count - 1, INO));
        }
        if (!spilled() && count == heapInodesMax) {
            spill();
        }
        int i = count++;
        if (!spilled() && (long) count * FIELDS > rows.length) {
            rows = Arrays.copyOf(rows, (int) Math.min((long) heapInodesMax * FIELDS,
                    2L * rows.length));
        }
        set(i, INO, ino);
        set(i, MODE, mode);
        set(i, NLINK, nlink);
        set(i, SIZE, size);
        set(i, USED, used);
        set(i, PARENT, parent);
        set(i, FLAGS, flags);
        return true;
    }

    /**
     * Index of {@code ino}, or -1. Inode numbers are handed out in order, so the rows' numbers
     * are nearly dense: the first {@link #INTERPOLATIONS_MAX} probes guess the row by
     * interpolating between the bounds' numbers (one or two probes on a fresh image, where a
     * binary search over 1M rows takes 20; each dirent of the namespace pass looks its target
     * up here), then the search bisects, so a skewed numbering costs at most that many extra
     * probes.
     */
    int find(long ino) {
        int lo = 0;
        int hi = count - 1;
        for (int probe = 0; lo <= hi; probe++) {
            int mid = probe < INTERPOLATIONS_MAX ? interpolate(lo, hi, ino) : (lo + hi) >>> 1;
            long v = get(mid, INO);
            if (v < ino) {
                lo = mid + 1;
            } else if (v > ino) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    /** The row in [{@code lo}, {@code hi}] that would hold {@code ino} were the numbers dense. */
    private int interpolate(int lo, int hi, long ino) {
        long vlo = get(lo, INO);
        long vhi = get(hi, INO);
        if (ino <= vlo || vhi <= vlo) {
            return lo;
        }
        if (ino >= vhi) {
            return hi;
        }
        // Doubles: the product of a 64-bit distance and a row count may overflow a long.
        return lo + (int) ((double) (ino - vlo) / (vhi - vlo) * (hi - lo));
    }

    /**
     * {@link #find} for scans in inode order: tries the row {@code hint} (the last found, or
     * -1) and the next one before searching.
     */
    int find(long ino, int hint) {
        if (hint >= 0 && hint < count && get(hint, INO) == ino) {
            return hint;
        }
        if (hint + 1 >= 0 && hint + 1 < count && get(hint + 1, INO) == ino) {
            return hint + 1;
        }
        return find(ino);
    }

    long get(int i, int field) {
        if (!spilled()) {
            return rows[i * FIELDS + field];
        }
        load(i);
        return cache[field];
    }

    void set(int i, int field, long value) {
        if (!spilled()) {
            rows[i * FIELDS + field] = value;
            return;
        }
        load(i);
        cache[field] = value;
        cacheDirty = true;
    }

    void add(int i, int field, long delta) {
        set(i, field, get(i, field) + delta);
    }

    int mode(int i) {
        return (int) get(i, MODE);
    }

    long ino(int i) {
        return get(i, INO);
    }

    // ---- the LMDB spill ----

    private void spill() {
        try {
            scratchDir = Files.createTempDirectory("keelfs-fsck-");
        } catch (IOException e) {
            throw new UncheckedIOException("fsck scratch directory", e);
        }
        env = Env.create(ByteArrayProxy.PROXY_BA).setMapSize(LMDB_MAP_BYTES).setMaxDbs(1)
                .open(scratchDir.toFile(), EnvFlags.MDB_NOSYNC, EnvFlags.MDB_NOMETASYNC);
        db = env.openDbi("inodes", DbiFlags.MDB_CREATE);
        txn = env.txnWrite();
        for (int i = 0; i < count; i++) {
            System.arraycopy(rows, i * FIELDS, cache, 0, FIELDS);
            db.put(txn, key(i), encode(cache));
        }
        rows = null;
        cachedRow = -1;
    }

    private void load(int i) {
        if (cachedRow == i) {
            return;
        }
        flush();
        byte[] v = db.get(txn, key(i));
        if (v == null) {
            Arrays.fill(cache, 0);
        } else {
            ByteBuffer in = ByteBuffer.wrap(v);
            for (int f = 0; f < FIELDS; f++) {
                cache[f] = in.getLong();
            }
        }
        cachedRow = i;
    }

    private void flush() {
        if (cacheDirty && cachedRow >= 0) {
            db.put(txn, key(cachedRow), encode(cache));
        }
        cacheDirty = false;
    }

    private static byte[] key(int i) {
        return ByteBuffer.allocate(4).putInt(i).array();
    }

    private static byte[] encode(long[] row) {
        ByteBuffer out = ByteBuffer.allocate(ROW_BYTES);
        for (long v : row) {
            out.putLong(v);
        }
        return out.array();
    }

    /** Drops the scratch environment and its directory. */
    @Override
    public void close() {
        if (env == null) {
            return;
        }
        txn.abort();
        txn.close();
        env.close();
        env = null;
        try (Stream<Path> files = Files.walk(scratchDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("removing " + scratchDir, e);
        }
    }
}
