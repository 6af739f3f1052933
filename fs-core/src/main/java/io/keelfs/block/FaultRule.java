package io.keelfs.block;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * When a {@link FaultDevice} fails a request: the operations it applies to, a byte range, a
 * probability and a limit on how often it fires.
 *
 * <p>A request matches when its operation is in {@code ops} and it overlaps
 * {@code [startBytes, endBytes)}; a flush has no range and matches any rule naming
 * {@link BlockOp#FLUSH}; a request of zero bytes matches nothing. A match fires with
 * {@code probability} (1 means always; below 1 the device's seeded random decides), and a
 * rule fires at most {@code firesMax} times.
 *
 * <p>Build with {@link #range}, {@link #wholeDevice} or {@link #rate}, then
 * {@link #withProbability} and {@link #withFiresMax}. Thread-safety: immutable.
 *
 * @param ops operations the rule applies to; never empty
 * @param startBytes first byte of the range, inclusive
 * @param endBytes end of the range, exclusive; {@link #END_OF_DEVICE} for no end
 * @param probability chance that a match fires, in (0, 1]
 * @param firesMax most times the rule fires; {@link #FIRES_UNLIMITED} for no limit
 */
public record FaultRule(
        Set<BlockOp> ops, long startBytes, long endBytes, double probability, long firesMax) {
    public static final long END_OF_DEVICE = Long.MAX_VALUE;
    public static final long FIRES_UNLIMITED = Long.MAX_VALUE;

    public FaultRule {
        if (ops == null || ops.isEmpty()) {
            throw new IllegalArgumentException("a fault rule needs at least one operation");
        }
        ops = Collections.unmodifiableSet(EnumSet.copyOf(ops));
        if (startBytes < 0 || endBytes <= startBytes) {
            throw new IllegalArgumentException(String.format(
                    "fault range [%d, %d) is empty or negative", startBytes, endBytes));
        }
        if (!(probability > 0 && probability <= 1)) {
            throw new IllegalArgumentException(
                    "fault probability " + probability + " is not in (0, 1]");
        }
        if (firesMax < 1) {
            throw new IllegalArgumentException("fault firesMax " + firesMax + " is below 1");
        }
    }

    /** Always fails the ops on requests overlapping {@code [startBytes, endBytes)}. */
    public static FaultRule range(Set<BlockOp> ops, long startBytes, long endBytes) {
        return new FaultRule(ops, startBytes, endBytes, 1.0, FIRES_UNLIMITED);
    }

    /** Always fails the ops anywhere on the device. */
    public static FaultRule wholeDevice(Set<BlockOp> ops) {
        return new FaultRule(ops, 0, END_OF_DEVICE, 1.0, FIRES_UNLIMITED);
    }

    /** Fails the ops anywhere on the device with {@code probability} each. */
    public static FaultRule rate(Set<BlockOp> ops, double probability) {
        return new FaultRule(ops, 0, END_OF_DEVICE, probability, FIRES_UNLIMITED);
    }

    public FaultRule withProbability(double newProbability) {
        return new FaultRule(ops, startBytes, endBytes, newProbability, firesMax);
    }

    public FaultRule withFiresMax(long newFiresMax) {
        return new FaultRule(ops, startBytes, endBytes, probability, newFiresMax);
    }

    /** Whether a request of {@code op} over {@code [offsetBytes, +lengthBytes)} matches. */
    boolean matches(BlockOp op, long offsetBytes, long lengthBytes) {
        if (!ops.contains(op)) {
            return false;
        }
        if (op == BlockOp.FLUSH) {
            return true;
        }
        if (lengthBytes <= 0) {
            return false;
        }
        // Overflow-safe: offsetBytes + lengthBytes fits, the device checked the range.
        return offsetBytes < endBytes && offsetBytes + lengthBytes > startBytes;
    }

    /** The first faulty byte of a matching request (0 for a flush). */
    long faultOffsetBytes(BlockOp op, long offsetBytes) {
        return op == BlockOp.FLUSH ? 0 : Math.max(offsetBytes, startBytes);
    }

    @Override
    public String toString() {
        String range = endBytes == END_OF_DEVICE
                ? (startBytes == 0 ? "whole device" : "[" + startBytes + ", end)")
                : "[" + startBytes + ", " + endBytes + ")";
        String fires = firesMax == FIRES_UNLIMITED ? "" : ", at most " + firesMax + " times";
        return ops + " " + range + ", p=" + probability + fires;
    }
}
