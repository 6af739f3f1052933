package io.keelfs.fuse;

import com.kenai.jffi.MemoryIO;
import java.util.logging.Level;
import java.util.logging.Logger;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.Delegate;

/**
 * A libfuse2 channel of our own in front of libfuse's: a request processed with it ({@code
 * fuse_session_process_buf}'s channel argument) has its reply passed to a {@link Rewrite} in
 * Java, then written by libfuse's channel as usual. This is how the adapter changes a few
 * fields of libfuse's replies that libfuse2 has no option for ({@link DirectoryAttrReplies},
 * {@link InitReply}). Entry points: {@link #open}, {@link #pointer}, {@link #close}.
 *
 * <p>libfuse sends a reply on the thread that processes its request, so the callback runs on a
 * Java worker of {@link FuseRequestLoop} (no thread attaches to the JVM); only requests given
 * this channel pay for the callback.
 *
 * <p>Lifecycle: open after {@code fuse_setup}; close after every worker has ended, before
 * {@code fuse_teardown}. Thread-safety: {@link #pointer} and the callback from any thread.
 */
final class ReplyChannel {
    private static final Logger LOG = Logger.getLogger(ReplyChannel.class.getName());
    /** struct fuse_out_header: u32 len, s32 error, u64 unique. */
    static final int OUT_LEN_OFFSET = 0;
    static final int OUT_ERROR_OFFSET = 4;
    static final int OUT_HEADER_BYTES = 16;
    /** struct iovec (LP64): void *iov_base, size_t iov_len. */
    static final int IOVEC_BYTES = 16;
    /** struct fuse_chan_ops: receive, send, destroy. */
    static final int CHAN_OPS_SEND_OFFSET = 8;
    static final int CHAN_OPS_BYTES = 24;
    private static final int EIO = 5;

    /** Changes a successful reply. */
    @FunctionalInterface
    interface Rewrite {
        /** {@code replyAddress}: the reply after the fuse_out_header, {@code replyBytes} long. */
        void rewrite(long replyAddress, long replyBytes);

        /**
         * The whole message, {@code iov[0]} the fuse_out_header and {@code iov[1]} the reply;
         * by default the reply is changed in place. One that replaces {@code iov[1]} must set
         * the header's len to match.
         */
        default void rewriteMessage(long iovAddress) {
            MemoryIO io = MemoryIO.getInstance();
            rewrite(io.getAddress(iovAddress + IOVEC_BYTES),
                    io.getLong(iovAddress + IOVEC_BYTES + 8));
        }
    }

    /** libfuse2's struct fuse_chan_ops send: {@code int (*)(fuse_chan*, iovec*, size_t)}. */
    public interface Send {
        @Delegate
        int send(Pointer channel, Pointer iov, long count);
    }

    private final FuseRequestLoop.Libfuse lib;
    private final Pointer channel;
    private final Rewrite rewrite;
    /** Strong references: native code calls the closure until {@link #close}. */
    private final Send send = this::send;
    private Pointer sendFunction;
    private Pointer wrapper;

    private ReplyChannel(FuseRequestLoop.Libfuse lib, Pointer channel, Rewrite rewrite) {
        this.lib = lib;
        this.channel = channel;
        this.rewrite = rewrite;
    }

    /**
     * A channel over libfuse's {@code channel} (same fd) that reports {@code bufsizeBytes} as
     * its buffer size, or null if libfuse could not make one (logged).
     */
    static ReplyChannel open(FuseRequestLoop.Libfuse lib, Pointer channel, long bufsizeBytes,
            Rewrite rewrite) {
        ReplyChannel c = new ReplyChannel(lib, channel, rewrite);
        Runtime runtime = Runtime.getSystemRuntime();
        c.sendFunction = runtime.getClosureManager().getClosurePointer(Send.class, c.send);
        MemoryIO io = MemoryIO.getInstance();
        long ops = io.allocateMemory(CHAN_OPS_BYTES, true);
        if (ops == 0) {
            LOG.warning("no native memory for a FUSE reply channel");
            return null;
        }
        try {
            io.putAddress(ops + CHAN_OPS_SEND_OFFSET, c.sendFunction.address());
            c.wrapper = lib.fuse_chan_new(Pointer.wrap(runtime, ops), lib.fuse_chan_fd(channel),
                    bufsizeBytes, null);
        } finally {
            io.freeMemory(ops); // fuse_chan_new copies the ops.
        }
        if (c.wrapper == null) {
            LOG.warning("libfuse could not create a FUSE reply channel");
            return null;
        }
        return c;
    }

    Pointer pointer() {
        return wrapper;
    }

    /** Frees the channel; no request may be in process with it. */
    void close() {
        if (wrapper != null) {
            lib.fuse_chan_destroy(wrapper);
            wrapper = null;
        }
    }

    /** Called by libfuse with the reply; must not throw (native frames above). */
    private int send(Pointer ignored, Pointer iov, long count) {
        try {
            rewriteIfOk(iov, count, rewrite);
            return lib.fuse_chan_send(channel, iov, count);
        } catch (Throwable t) {
            try {
                LOG.log(Level.SEVERE, "sending a FUSE reply failed", t);
            } catch (Throwable ignoredToo) {
                // Nothing may escape to native code.
            }
            return -EIO;
        }
    }

    /**
     * Runs {@code rewrite} on a reply ({@code iov[0]} the fuse_out_header, {@code iov[1]} the
     * reply, as libfuse's send_reply_ok makes it) if it succeeded and has a body.
     */
    static void rewriteIfOk(Pointer iov, long count, Rewrite rewrite) {
        if (count < 2) {
            return;
        }
        MemoryIO io = MemoryIO.getInstance();
        long header = io.getAddress(iov.address());
        if (io.getInt(header + OUT_ERROR_OFFSET) != 0) {
            return;
        }
        rewrite.rewriteMessage(iov.address());
    }
}
