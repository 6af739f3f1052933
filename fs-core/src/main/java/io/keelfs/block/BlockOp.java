package io.keelfs.block;

/**
 * The kinds of request a {@link BlockDevice} serves, for fault rules, counters and logs.
 *
 * <p>Thread-safety: immutable.
 */
public enum BlockOp {
    READ,
    WRITE,
    FLUSH,
    DISCARD;

    /** Lower-case name for messages: "read", "write", "flush", "discard". */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
