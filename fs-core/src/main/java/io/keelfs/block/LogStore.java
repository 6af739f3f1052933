package io.keelfs.block;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkElementIndex;

import java.util.Arrays;

/**
 * The append-only store behind a {@link CrashSimDevice}'s write log: entries, the bytes of each
 * write, and the epoch bookkeeping that makes "which writes are volatile at crash point p" an
 * O(1) question. Entry points: {@link #reserve}, {@link #append}, {@link #appendFlush},
 * {@link #get}, {@link #length()}.
 *
 * <p>Memory bound: each entry is charged {@link #ENTRY_OVERHEAD_BYTES} plus its payload against
 * {@code logBytesMax}. A write reserves its charge before it is issued to the inner device (so a
 * write over the bound fails before reaching the disk) and converts the reservation when it is
 * logged at completion; a failed write releases it.
 *
 * <p>Epochs: the entries between two flush markers form an epoch. Each entry records where its
 * epoch starts and, for a volatile write, its volatile ordinal (0, 1, ... within the epoch,
 * FUA writes and flushes not counted).
 *
 * <p>Thread-safety: appends and reservations hold the store's monitor. Entries below
 * {@link #length()} never change, and {@link #get} reads them without a lock: the volatile
 * {@code length} is written after the entry, and read before it.
 */
final class LogStore {
    /** Heap charged per entry on top of its payload: the LogEntry, its wrapper and the slot. */
    static final int ENTRY_OVERHEAD_BYTES = 64;
    /** Entries per log: indexes are ints; 64 Mi entries is 4 GiB of overhead alone. */
    static final int LOG_ENTRIES_MAX = 1 << 26;
    /** Entries per page of the store; pages are never copied, only the page table. */
    static final int PAGE_ENTRIES = 4096;

    static {
        if (Integer.bitCount(PAGE_ENTRIES) != 1 || LOG_ENTRIES_MAX % PAGE_ENTRIES != 0) {
            throw new ExceptionInInitializerError("PAGE_ENTRIES must be a power of two "
                    + "dividing LOG_ENTRIES_MAX " + LOG_ENTRIES_MAX);
        }
    }

    /**
     * One logged entry with what the store keeps beside it.
     *
     * @param payload the written bytes for a write, null for a discard or flush
     * @param epochStartIndex index of the first entry of this entry's epoch
     * @param volatileOrdinal for a volatile write its ordinal in the epoch, otherwise the number
     *     of volatile writes in the epoch before this entry, minus one
     */
    record Logged(LogEntry entry, byte[] payload, int epochStartIndex, int volatileOrdinal) {}

    private final String deviceName;
    private final long logBytesMax;
    private volatile Logged[][] pages = new Logged[1][];
    private volatile int length;
    // @GuardedBy("this") for all below.
    private long loggedBytes;
    private long reservedBytes;
    private int reservedEntries;
    private int epochStartIndex;
    private int volatileCountInEpoch;

    LogStore(String deviceName, long logBytesMax) {
        checkArgument(logBytesMax > 0, "logBytesMax %s must be positive", logBytesMax);
        this.deviceName = deviceName;
        this.logBytesMax = logBytesMax;
    }

    long logBytesMax() {
        return logBytesMax;
    }

    /** Entries logged so far; entries below this index are immutable and readable. */
    int length() {
        return length;
    }

    synchronized long loggedBytes() {
        return loggedBytes;
    }

    Logged get(int index) {
        int published = length;
        checkElementIndex(index, published, "log entry index");
        return pages[index / PAGE_ENTRIES][index % PAGE_ENTRIES];
    }

    /** Index of the first entry of the epoch a crash after {@code crashPoint} entries is in. */
    int epochStartAt(int crashPoint) {
        if (crashPoint == 0) {
            return 0;
        }
        Logged last = get(crashPoint - 1);
        return last.entry().kind() == LogEntry.Kind.FLUSH ? crashPoint : last.epochStartIndex();
    }

    /** Number of volatile writes at crash point {@code crashPoint}: those of its epoch so far. */
    int volatileCountAt(int crashPoint) {
        if (crashPoint == 0) {
            return 0;
        }
        Logged last = get(crashPoint - 1);
        return last.entry().kind() == LogEntry.Kind.FLUSH ? 0 : last.volatileOrdinal() + 1;
    }

    /**
     * Reserves room for one entry with {@code payloadBytes} of payload, or throws
     * {@link IllegalStateException} naming the bound it would pass.
     *
     * @return the charge, to hand to {@link #append} or {@link #release}
     */
    synchronized long reserve(LogEntry.Kind kind, long offsetBytes, long payloadBytes) {
        long chargeBytes = ENTRY_OVERHEAD_BYTES + payloadBytes;
        if ((long) length + reservedEntries + 1 > LOG_ENTRIES_MAX) {
            throw new IllegalStateException(String.format(
                    "crash-sim log of %s is full: %d entries logged and %d in flight; a %s at "
                            + "offset %d would pass LOG_ENTRIES_MAX %d",
                    deviceName, length, reservedEntries, kind, offsetBytes, LOG_ENTRIES_MAX));
        }
        if (loggedBytes + reservedBytes + chargeBytes > logBytesMax) {
            throw new IllegalStateException(String.format(
                    "crash-sim log of %s is full: %d bytes logged in %d entries and %d bytes in "
                            + "flight; a %s of %d bytes at offset %d needs %d bytes more, over "
                            + "logBytesMax %d (default LOG_BYTES_MAX %d): pass a larger "
                            + "logBytesMax to the CrashSimDevice constructor or log less",
                    deviceName, loggedBytes, length, reservedBytes, kind, payloadBytes,
                    offsetBytes, chargeBytes, logBytesMax, CrashSimDevice.LOG_BYTES_MAX));
        }
        reservedBytes += chargeBytes;
        reservedEntries++;
        return chargeBytes;
    }

    /** Gives back a reservation whose I/O failed. */
    synchronized void release(long chargeBytes) {
        reservedBytes -= chargeBytes;
        reservedEntries--;
    }

    /** Logs a completed write or discard against an earlier reservation. */
    synchronized LogEntry append(LogEntry.Kind kind, long offsetBytes, long lengthBytes,
            boolean fua, byte[] payload, long chargeBytes) {
        checkArgument(kind != LogEntry.Kind.FLUSH, "flushes are logged by appendFlush");
        LogEntry entry = new LogEntry(length, kind, offsetBytes, lengthBytes, fua);
        int volatileOrdinal = volatileCountInEpoch - 1;
        if (entry.isVolatileWrite()) {
            volatileOrdinal = volatileCountInEpoch++;
        }
        reservedBytes -= chargeBytes;
        reservedEntries--;
        loggedBytes += chargeBytes;
        publish(new Logged(entry, payload, epochStartIndex, volatileOrdinal));
        return entry;
    }

    /** Logs an issued flush marker: the entries before it are durable, a new epoch begins. */
    synchronized LogEntry appendFlush() {
        long chargeBytes = reserve(LogEntry.Kind.FLUSH, 0, 0);
        LogEntry entry = new LogEntry(length, LogEntry.Kind.FLUSH, 0, 0, false);
        reservedBytes -= chargeBytes;
        reservedEntries--;
        loggedBytes += chargeBytes;
        publish(new Logged(entry, null, epochStartIndex, volatileCountInEpoch - 1));
        epochStartIndex = entry.index() + 1;
        volatileCountInEpoch = 0;
        return entry;
    }

    // Called under the monitor: fill the slot first, then publish the new length.
    private void publish(Logged logged) {
        int index = length;
        int pageIndex = index / PAGE_ENTRIES;
        Logged[][] table = pages;
        if (pageIndex >= table.length) {
            table = Arrays.copyOf(table, Math.max(pageIndex + 1, table.length * 2));
        }
        if (table[pageIndex] == null) {
            table[pageIndex] = new Logged[PAGE_ENTRIES];
        }
        table[pageIndex][index % PAGE_ENTRIES] = logged;
        pages = table;
        length = index + 1;
    }
}
