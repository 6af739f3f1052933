package io.keelfs.block;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Objects;

/**
 * One state a crash can leave a {@link CrashSimDevice}'s disk in: the crash came after the
 * first {@code logLength} log entries (the crash point), and {@code survival} says which of the
 * volatile writes at that point reached the medium.
 *
 * <p>Materialise it with {@link WriteLog#crashImage(CrashState)}; a state is only meaningful
 * against the log it was made for (its ordinals index that log's volatile writes). Immutable.
 *
 * @param logLength the crash point: how many log entries happened, in [0, log size]
 * @param survival which volatile writes survive
 */
public record CrashState(int logLength, Survival survival) {

    public CrashState {
        checkArgument(logLength >= 0, "crash point %s is negative", logLength);
        Objects.requireNonNull(survival, "survival");
    }

    /** Crash after {@code logLength} entries, losing every volatile write. */
    public static CrashState dropAll(int logLength) {
        return new CrashState(logLength, Survival.DROP_ALL);
    }

    /** Crash after {@code logLength} entries, keeping every volatile write. */
    public static CrashState keepAll(int logLength) {
        return new CrashState(logLength, Survival.KEEP_ALL);
    }

    /** For failure messages, e.g. "crash after 12 log entries: volatile writes {0, 2} kept...". */
    public String describe() {
        return "crash after " + logLength + " log entries: " + survival.describe();
    }
}
