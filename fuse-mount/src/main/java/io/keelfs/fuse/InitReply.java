package io.keelfs.fuse;

import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;

/**
 * The kernel's request size: libfuse2's INIT reply plus {@code FUSE_MAX_PAGES}, so the kernel
 * sends reads and writes of up to {@code maxPages} pages instead of its default 32 (128 KiB).
 * Entry point: {@link #maxPages}, the {@link ReplyChannel.Rewrite} that {@link FuseRequestLoop}
 * processes the INIT request with.
 *
 * <p>Why: libfuse 2.9 predates FUSE_MAX_PAGES (kernel 4.20) and has no writeback cache, so each
 * write(2) of 1 MiB reached the daemon as eight 128 KiB WRITE requests, one round trip after
 * the other. The daemon must then take requests that big: {@link FuseRequestLoop}'s buffers hold
 * {@link MountOptions#IO_SIZE_MAX_BYTES} plus libfuse's header page, and the INIT reply channel
 * reports that buffer size, from which libfuse's do_init derives max_write (the {@code
 * max_write=} option keelfs passes asks for the same). A kernel that does not know the flag
 * ignores it; one that does caps the pages at its fuse_max_pages_limit (256 by default).
 *
 * <p>Thread-safety: see {@link MaxPages}.
 */
final class InitReply {
    static final int OP_INIT = 26;
    /** struct fuse_init_out: major, minor, max_readahead, flags (u32 each), ... */
    static final int FLAGS_OFFSET = 12;
    /** ... u16 max_background, u16 congestion_threshold, u32 max_write, u32 time_gran, u16. */
    static final int MAX_PAGES_OFFSET = 28;
    static final int FUSE_MAX_PAGES = 1 << 22;
    static final int PAGE_BYTES = 4096;
    /** sizeof(struct fuse_init_out) in protocol 7.36 and later; 7.19's (libfuse 2.9's) is 24. */
    static final int INIT_OUT_BYTES = 64;
    /** FUSE_COMPAT_22_INIT_OUT_SIZE: up to max_write. */
    static final int MIN_INIT_OUT_BYTES = 24;
    /** The kernel's own bound (fuse_max_pages_limit's default). */
    static final int MAX_PAGES_MAX = 256;

    static {
        if (MountOptions.IO_SIZE_MAX_BYTES / PAGE_BYTES > MAX_PAGES_MAX) {
            throw new ExceptionInInitializerError("IO_SIZE_MAX_BYTES is more pages than the"
                    + " kernel takes");
        }
    }

    private InitReply() {}

    /**
     * Sets FUSE_MAX_PAGES and max_pages. libfuse 2.9 knows protocol 7.19, whose fuse_init_out
     * ends before max_pages (24 bytes), so the reply is copied into a buffer of the current
     * layout's size ({@value #INIT_OUT_BYTES} bytes, the rest zero, which the kernel reads as
     * "not given") and sent from there.
     */
    static ReplyChannel.Rewrite maxPages(int pages) {
        if (pages < 1 || pages > MAX_PAGES_MAX) {
            throw new IllegalArgumentException("max_pages " + pages + " not in 1.."
                    + MAX_PAGES_MAX);
        }
        return new MaxPages(pages);
    }

    /** Thread-safety: INIT comes once, before any other request. */
    private static final class MaxPages implements ReplyChannel.Rewrite {
        private final int pages;
        /** The reply sent instead of libfuse's; kept until the channel goes. */
        private final ByteBuffer reply = ByteBuffer.allocateDirect(INIT_OUT_BYTES);

        MaxPages(int pages) {
            this.pages = pages;
        }

        @Override
        public void rewrite(long replyAddress, long replyBytes) {
            MemoryIO io = MemoryIO.getInstance();
            io.putInt(replyAddress + FLAGS_OFFSET,
                    io.getInt(replyAddress + FLAGS_OFFSET) | FUSE_MAX_PAGES);
            io.putShort(replyAddress + MAX_PAGES_OFFSET, (short) pages);
        }

        @Override
        public void rewriteMessage(long iovAddress) {
            MemoryIO io = MemoryIO.getInstance();
            long header = io.getAddress(iovAddress);
            long libfuseReply = io.getAddress(iovAddress + ReplyChannel.IOVEC_BYTES);
            long libfuseBytes = io.getLong(iovAddress + ReplyChannel.IOVEC_BYTES + 8);
            if (libfuseBytes < MIN_INIT_OUT_BYTES || libfuseBytes > INIT_OUT_BYTES) {
                return; // Before 7.5, or a layout this does not know: leave it as it is.
            }
            long ours = io.getDirectBufferAddress(reply);
            io.setMemory(ours, INIT_OUT_BYTES, (byte) 0);
            io.copyMemory(libfuseReply, ours, libfuseBytes);
            rewrite(ours, INIT_OUT_BYTES);
            io.putAddress(iovAddress + ReplyChannel.IOVEC_BYTES, ours);
            io.putLong(iovAddress + ReplyChannel.IOVEC_BYTES + 8, INIT_OUT_BYTES);
            io.putInt(header + ReplyChannel.OUT_LEN_OFFSET,
                    ReplyChannel.OUT_HEADER_BYTES + INIT_OUT_BYTES);
        }
    }
}
