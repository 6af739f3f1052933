package io.keelfs.block;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Locale;
import java.util.Objects;

/**
 * One entry of a {@link CrashSimDevice}'s write log, as tests and tools see it: what happened,
 * where, and whether it was written with FUA. The logged bytes stay inside the device.
 *
 * <p>Kinds: a {@link Kind#WRITE} completed (logged at completion, {@code fua} says whether it was
 * durable on completion); a {@link Kind#DISCARD} completed (a volatile write of zeros); a
 * {@link Kind#FLUSH} was issued (it makes durable every entry before it). A flush has offset
 * and length zero; only a write can be FUA.
 *
 * <p>Immutable.
 *
 * @param index position in the log, from 0
 * @param kind what happened
 * @param offsetBytes where on the device, block-aligned
 * @param lengthBytes how much, a multiple of the block size (positive for writes and discards)
 * @param fua force unit access: the write was durable when it completed
 */
public record LogEntry(int index, Kind kind, long offsetBytes, long lengthBytes, boolean fua) {

    /** What a log entry records. */
    public enum Kind {
        WRITE,
        DISCARD,
        FLUSH
    }

    public LogEntry {
        Objects.requireNonNull(kind, "kind");
        checkArgument(index >= 0, "log entry index %s is negative", index);
        checkArgument(offsetBytes >= 0, "log entry offset %s bytes is negative", offsetBytes);
        if (kind == Kind.FLUSH) {
            checkArgument(offsetBytes == 0 && lengthBytes == 0 && !fua,
                    "flush entry %s has offset %s, length %s, fua %s; expected 0, 0, false",
                    index, offsetBytes, lengthBytes, fua);
        } else {
            checkArgument(lengthBytes > 0, "%s entry %s has length %s bytes; expected > 0",
                    kind, index, lengthBytes);
            checkArgument(kind == Kind.WRITE || !fua, "discard entry %s cannot be FUA", index);
        }
    }

    /** True for a write or discard that a crash may lose: neither a flush nor a FUA write. */
    public boolean isVolatileWrite() {
        return kind != Kind.FLUSH && !fua;
    }

    /** True for an entry after which a crash point makes something durable: flush or FUA write. */
    public boolean isPersistencePoint() {
        return kind == Kind.FLUSH || fua;
    }

    /** Number of blocks the entry covers (0 for a flush). */
    public int blockCount(int blockSizeBytes) {
        return Math.toIntExact(lengthBytes / blockSizeBytes);
    }

    /** For messages, e.g. {@code #12 write [8192, +4096) fua}. */
    public String describe() {
        if (kind == Kind.FLUSH) {
            return "#" + index + " flush";
        }
        String name = kind.name().toLowerCase(Locale.ROOT);
        return String.format("#%d %s [%d, +%d)%s", index, name, offsetBytes, lengthBytes,
                fua ? " fua" : "");
    }
}
