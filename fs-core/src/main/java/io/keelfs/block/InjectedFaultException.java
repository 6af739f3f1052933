package io.keelfs.block;

/**
 * An I/O error made up by a {@link FaultDevice}: it stands for EIO from a failing disk.
 *
 * <p>{@link #offsetBytes()} is the first byte of the request inside the rule's range (for a
 * whole-device rule, the request's offset; for a flush, 0); the message also names the
 * operation, the request and the rule.
 *
 * <p>Thread-safety: immutable.
 */
public final class InjectedFaultException extends BlockIOException {
    private final BlockOp op;
    private final FaultRule rule;

    InjectedFaultException(String device, BlockOp op, long offsetBytes, long requestOffsetBytes,
            long requestLengthBytes, FaultRule rule) {
        super(device, offsetBytes, String.format(
                "injected EIO on %s (request offset %d, length %d; rule %s)",
                op.label(), requestOffsetBytes, requestLengthBytes, rule), null);
        this.op = op;
        this.rule = rule;
    }

    /** The operation that failed. */
    public BlockOp op() {
        return op;
    }

    /** The rule that fired. */
    public FaultRule rule() {
        return rule;
    }
}
