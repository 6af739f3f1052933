package io.keelfs.block;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A {@link BlockDevice} that passes requests to another device and fails chosen ones with an
 * {@link InjectedFaultException}, as a failing disk fails them with EIO.
 *
 * <p>Entry points: {@link #FaultDevice(BlockDevice, long)}, {@link #addRule},
 * {@link #removeRule}, {@link #clearRules}, {@link #faultCount}.
 *
 * <p>Each request tries the rules in the order they were added; the first that fires (see
 * {@link FaultRule}) fails the request before it reaches the device below, so a failed write
 * or discard changes nothing and a failed read leaves the buffer as it was. Caller mistakes
 * (misaligned or out-of-range requests) are {@link IllegalArgumentException}s, checked before
 * any rule. Probabilities draw from one {@link Random} seeded at construction: the same seed
 * and the same sequence of requests and rule changes fire the same faults. Concurrent requests
 * draw in the order they take the lock, so they replay only as well as the thread schedule.
 *
 * <p>{@link #close} closes the device below.
 *
 * <p>Thread-safety: safe for concurrent use; rules may be added and removed while requests
 * run, and apply from the next request that decides. One lock guards the rules, the random
 * and the fire counts, held only to decide; the I/O below runs outside it.
 */
public final class FaultDevice implements BlockDevice {
    /** Most rules at once; a test needing more is likely leaking rules. */
    public static final int RULES_MAX = 1024;

    private final BlockDevice delegate;
    private final String description;
    private final Object lock = new Object();
    @GuardedBy("lock")
    private final Random random;
    /** Rule id to rule, in the order added. */
    @GuardedBy("lock")
    private final Map<Long, ActiveRule> rules = new LinkedHashMap<>();
    @GuardedBy("lock")
    private long nextRuleId = 1;
    /** Faults fired, indexed by {@link BlockOp#ordinal()}. */
    private final AtomicLongArray faultCounts = new AtomicLongArray(BlockOp.values().length);

    /** A rule and how often it has fired. */
    private static final class ActiveRule {
        final FaultRule rule;
        /** Guarded by the device's lock. */
        long firedCount;

        ActiveRule(FaultRule rule) {
            this.rule = rule;
        }
    }

    /** Wraps {@code delegate}, with no rules yet; {@code seed} feeds every probability draw. */
    public FaultDevice(BlockDevice delegate, long seed) {
        if (delegate == null) {
            throw new IllegalArgumentException("fault device needs a device below it");
        }
        this.delegate = delegate;
        this.description = delegate.describe() + " (fault injection)";
        this.random = new Random(seed);
    }

    /** Adds a rule after the existing ones; returns its id for {@link #removeRule}. */
    public long addRule(FaultRule rule) {
        if (rule == null) {
            throw new IllegalArgumentException("fault rule is null");
        }
        synchronized (lock) {
            if (rules.size() >= RULES_MAX) {
                throw new IllegalStateException(String.format(
                        "%s already has %d fault rules, the most allowed", description,
                        rules.size()));
            }
            long ruleId = nextRuleId++;
            rules.put(ruleId, new ActiveRule(rule));
            return ruleId;
        }
    }

    /** Removes a rule; returns false if there was no rule with that id. */
    public boolean removeRule(long ruleId) {
        synchronized (lock) {
            return rules.remove(ruleId) != null;
        }
    }

    /** Removes every rule: requests pass through from now on. Counts are kept. */
    public void clearRules() {
        synchronized (lock) {
            rules.clear();
        }
    }

    /** How many times rule {@code ruleId} has fired. */
    public long firedCount(long ruleId) {
        synchronized (lock) {
            ActiveRule active = rules.get(ruleId);
            if (active == null) {
                throw new IllegalArgumentException("no fault rule with id " + ruleId);
            }
            return active.firedCount;
        }
    }

    /** How many faults have been injected into requests of {@code op} since construction. */
    public long faultCount(BlockOp op) {
        return faultCounts.get(op.ordinal());
    }

    /** The device below. */
    public BlockDevice delegate() {
        return delegate;
    }

    @Override
    public int blockSizeBytes() {
        return delegate.blockSizeBytes();
    }

    @Override
    public long sizeBytes() {
        return delegate.sizeBytes();
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void read(long offsetBytes, ByteBuffer dst) throws IOException {
        checkRange(offsetBytes, dst.remaining());
        maybeFail(BlockOp.READ, offsetBytes, dst.remaining());
        delegate.read(offsetBytes, dst);
    }

    @Override
    public void write(long offsetBytes, ByteBuffer src, boolean fua) throws IOException {
        checkRange(offsetBytes, src.remaining());
        maybeFail(BlockOp.WRITE, offsetBytes, src.remaining());
        delegate.write(offsetBytes, src, fua);
    }

    @Override
    public void flush() throws IOException {
        maybeFail(BlockOp.FLUSH, 0, 0);
        delegate.flush();
    }

    @Override
    public void discard(long offsetBytes, long lengthBytes) throws IOException {
        checkRange(offsetBytes, lengthBytes);
        maybeFail(BlockOp.DISCARD, offsetBytes, lengthBytes);
        delegate.discard(offsetBytes, lengthBytes);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }

    private void checkRange(long offsetBytes, long lengthBytes) {
        BlockChecks.checkRange(
                offsetBytes, lengthBytes, delegate.sizeBytes(), delegate.blockSizeBytes());
    }

    /** Throws if a rule fires for this request. */
    private void maybeFail(BlockOp op, long offsetBytes, long lengthBytes)
            throws InjectedFaultException {
        FaultRule fired = null;
        synchronized (lock) {
            for (ActiveRule active : rules.values()) {
                FaultRule rule = active.rule;
                if (active.firedCount >= rule.firesMax()
                        || !rule.matches(op, offsetBytes, lengthBytes)) {
                    continue;
                }
                // Draw only for partial rules, so always-rules leave the sequence alone.
                if (rule.probability() < 1 && random.nextDouble() >= rule.probability()) {
                    continue;
                }
                active.firedCount++;
                fired = rule;
                break;
            }
        }
        if (fired == null) {
            return;
        }
        faultCounts.incrementAndGet(op.ordinal());
        long faultOffsetBytes = fired.faultOffsetBytes(op, offsetBytes);
        // Report the failing block, as a disk reports the failing sector.
        faultOffsetBytes -= faultOffsetBytes % delegate.blockSizeBytes();
        throw new InjectedFaultException(
                description, op, faultOffsetBytes, offsetBytes, lengthBytes, fired);
    }
}
