package io.keelfs.block;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkElementIndex;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * A read-only view of the first {@link #size()} entries of a {@link CrashSimDevice}'s write
 * log, and the crash images it allows. Entry points: {@link #entries()},
 * {@link #volatileWrites(int)}, {@link #crashImage(CrashState)}, {@link #durableImage()},
 * {@link #describe(CrashState)}; {@link CrashStateExplorer} enumerates states over it.
 *
 * <p>Crash model (DESIGN.md section 2): a crash after the first p entries (crash point p) keeps
 * every write or discard logged before the last flush marker before p, and every FUA write
 * before p. The other writes and discards before p are <em>volatile</em>: each survives or not
 * as the {@link Survival} says, whole or block by block. A discard that survives reads as zeros.
 *
 * <p>Taking a view is O(1) and it never changes: later entries of the device are not in it.
 * Thread-safety: immutable; safe for concurrent use, including {@link #crashImage}.
 */
public final class WriteLog {
    /** Volatile writes listed one per line by {@link #describe(CrashState)}; the rest elided. */
    static final int DESCRIBE_WRITES_MAX = 64;
    /** Entries dumped by {@link #appendTo(StringBuilder)}; the rest elided. */
    static final int DUMP_ENTRIES_MAX = 1000;

    private final LogStore store;
    private final CrashImages images;
    private final int size;
    private final int blockSizeBytes;

    WriteLog(LogStore store, CrashImages images, int size, int blockSizeBytes) {
        this.store = store;
        this.images = images;
        this.size = size;
        this.blockSizeBytes = blockSizeBytes;
    }

    /** Number of entries; crash points run from 0 to this, inclusive. */
    public int size() {
        return size;
    }

    /** Block size of the logged device, for {@link LogEntry#blockCount(int)}. */
    public int blockSizeBytes() {
        return blockSizeBytes;
    }

    public LogEntry entry(int index) {
        checkElementIndex(index, size, "log entry index");
        return store.get(index).entry();
    }

    /** Every entry in log order, as an unmodifiable list. */
    public List<LogEntry> entries() {
        return new AbstractList<>() {
            @Override
            public LogEntry get(int index) {
                return entry(index);
            }

            @Override
            public int size() {
                return size;
            }
        };
    }

    /** Number of volatile writes at {@code crashPoint}: the ordinals run from 0 below this. */
    public int volatileWriteCount(int crashPoint) {
        checkCrashPoint(crashPoint);
        return store.volatileCountAt(crashPoint);
    }

    /** The volatile writes at {@code crashPoint}, by volatile ordinal. */
    public List<LogEntry> volatileWrites(int crashPoint) {
        checkCrashPoint(crashPoint);
        List<LogEntry> writes = new ArrayList<>(store.volatileCountAt(crashPoint));
        for (int i = store.epochStartAt(crashPoint); i < crashPoint; i++) {
            LogEntry entry = store.get(i).entry();
            if (entry.isVolatileWrite()) {
                writes.add(entry);
            }
        }
        return writes;
    }

    /** The image a crash in {@code state} leaves: a new device, free to write. */
    public MemoryBlockDevice crashImage(CrashState state) {
        checkCrashPoint(state.logLength());
        return images.materialise(store, state);
    }

    /** The image a crash at the end of this log leaves if every volatile write is lost. */
    public MemoryBlockDevice durableImage() {
        return crashImage(CrashState.dropAll(size));
    }

    /**
     * For failure messages: the state, its crash point in the log, and what happened to each
     * volatile write (at most {@link #DESCRIBE_WRITES_MAX} of them are listed).
     */
    public String describe(CrashState state) {
        checkCrashPoint(state.logLength());
        StringBuilder sb = new StringBuilder(state.describe());
        int crashPoint = state.logLength();
        int epochStart = store.epochStartAt(crashPoint);
        sb.append(String.format("%n  log: %d entries; crash after %s; durable: %s",
                size, crashPoint == 0 ? "no entry" : entry(crashPoint - 1).describe(),
                epochStart == 0 ? "FUA writes only" : "entries before #" + epochStart
                        + " and FUA writes after them"));
        List<LogEntry> writes = volatileWrites(crashPoint);
        for (int ordinal = 0; ordinal < writes.size(); ordinal++) {
            if (ordinal == DESCRIBE_WRITES_MAX) {
                sb.append(String.format("%n  ... %d more", writes.size() - ordinal));
                break;
            }
            LogEntry entry = writes.get(ordinal);
            sb.append(String.format("%n  volatile %d: %s: %s", ordinal, entry.describe(),
                    fate(state.survival(), ordinal, entry.blockCount(blockSizeBytes))));
        }
        return sb.toString();
    }

    /** Appends one line per entry (at most {@link #DUMP_ENTRIES_MAX}). */
    public void appendTo(StringBuilder sb) {
        sb.append("write log: ").append(size).append(" entries, block size ")
                .append(blockSizeBytes).append(" bytes\n");
        for (int i = 0; i < size; i++) {
            if (i == DUMP_ENTRIES_MAX) {
                sb.append("  ... ").append(size - i).append(" more\n");
                break;
            }
            sb.append("  ").append(entry(i).describe()).append('\n');
        }
    }

    /** Checks the epoch bookkeeping against a recount from scratch; throws on a mismatch. */
    public void verify() {
        int epochStart = 0;
        int volatileCount = 0;
        for (int i = 0; i < size; i++) {
            LogStore.Logged logged = store.get(i);
            LogEntry entry = logged.entry();
            int expectedOrdinal = entry.isVolatileWrite() ? volatileCount++ : volatileCount - 1;
            if (entry.index() != i
                    || logged.epochStartIndex() != epochStart
                    || logged.volatileOrdinal() != expectedOrdinal) {
                throw new IllegalStateException(String.format(
                        "write log entry %d is inconsistent: %s, epoch start %d, volatile "
                                + "ordinal %d; expected index %d, epoch start %d, ordinal %d",
                        i, entry.describe(), logged.epochStartIndex(), logged.volatileOrdinal(),
                        i, epochStart, expectedOrdinal));
            }
            if (entry.kind() == LogEntry.Kind.FLUSH) {
                epochStart = i + 1;
                volatileCount = 0;
            }
        }
    }

    private static String fate(Survival survival, int ordinal, int blockCount) {
        if (survival instanceof Survival.KeepAll) {
            return "kept";
        } else if (survival instanceof Survival.KeepWrites keep) {
            return keep.keeps(ordinal) ? "kept" : "dropped";
        } else if (survival instanceof Survival.KeepBlocks torn) {
            if (ordinal >= torn.writeCount()) {
                return "no choice given (invalid state)";
            }
            BitSet kept = torn.blocksKept(ordinal);
            return "blocks " + kept + " of " + blockCount + " kept";
        }
        return "dropped";
    }

    private void checkCrashPoint(int crashPoint) {
        checkArgument(crashPoint >= 0 && crashPoint <= size,
                "crash point %s is outside [0, %s], the log's size", crashPoint, size);
    }
}
