package io.keelfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.kenai.jffi.MemoryIO;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The reply rewrites of {@link ReplyChannel} on replies laid out in native memory as libfuse
 * sends them (an iovec array: the fuse_out_header, then the reply): {@link
 * DirectoryAttrReplies} gives a directory's attributes the validity and leaves a file's and
 * failed replies alone, for both layouts (fuse_entry_out, fuse_attr_out); {@link InitReply}
 * adds FUSE_MAX_PAGES and max_pages. Not covered: the channel plumbing through libfuse (the
 * directory test of FuseMountTest and every real mount cover it).
 */
class FuseReplyRewriteTest {
    private static final long VALID_NS = 1_500_000_000L;
    private static final int ENTRY_OUT_BYTES = 128;
    private static final int ATTR_OUT_BYTES = 104;
    private static final int INIT_OUT_BYTES = 64;
    private final MemoryIO io = MemoryIO.getInstance();
    private final long iov = io.allocateMemory(2 * ReplyChannel.IOVEC_BYTES, true);
    private final long header = io.allocateMemory(16, true);
    private final long reply = io.allocateMemory(ENTRY_OUT_BYTES, true);

    @AfterEach
    void free() {
        io.freeMemory(iov);
        io.freeMemory(header);
        io.freeMemory(reply);
    }

    /** Lays out one reply (zeros but the mode); returns the iovec array. */
    private Pointer reply(int error, int replyBytes, int attrOffset, int mode) {
        io.setMemory(reply, ENTRY_OUT_BYTES, (byte) 0);
        io.putInt(header + ReplyChannel.OUT_ERROR_OFFSET, error);
        io.putInt(reply + attrOffset + DirectoryAttrReplies.FUSE_ATTR_MODE_OFFSET, mode);
        io.putAddress(iov, header);
        io.putLong(iov + 8, 16);
        io.putAddress(iov + ReplyChannel.IOVEC_BYTES, reply);
        io.putLong(iov + ReplyChannel.IOVEC_BYTES + 8, replyBytes);
        return Pointer.wrap(Runtime.getSystemRuntime(), iov);
    }

    private long entryValid() {
        return io.getLong(reply + DirectoryAttrReplies.ENTRY_ATTR_VALID_OFFSET);
    }

    @Test
    void entryRepliesOfDirectoriesGetTheValidity() {
        ReplyChannel.Rewrite r = DirectoryAttrReplies.entryReplies(VALID_NS);
        int at = DirectoryAttrReplies.ENTRY_ATTR_OFFSET;
        ReplyChannel.rewriteIfOk(reply(0, ENTRY_OUT_BYTES, at, 040755), 2, r);
        assertEquals(1, entryValid());
        assertEquals(500_000_000,
                io.getInt(reply + DirectoryAttrReplies.ENTRY_ATTR_VALID_NSEC_OFFSET));

        for (int mode : new int[] {0100644, 0120777, 0}) {
            ReplyChannel.rewriteIfOk(reply(0, ENTRY_OUT_BYTES, at, mode), 2, r);
            assertEquals(0, entryValid(), Integer.toOctalString(mode));
        }
        ReplyChannel.rewriteIfOk(reply(-2, ENTRY_OUT_BYTES, at, 040755), 2, r);
        assertEquals(0, entryValid(), "failed reply");
        ReplyChannel.rewriteIfOk(reply(0, ENTRY_OUT_BYTES, at, 040755), 1, r);
        assertEquals(0, entryValid(), "header only");
        ReplyChannel.rewriteIfOk(reply(0, 64, at, 040755), 2, r);
        assertEquals(0, entryValid(), "reply too short to hold the attributes");
    }

    @Test
    void attrRepliesOfDirectoriesGetTheValidity() {
        ReplyChannel.Rewrite r = DirectoryAttrReplies.attrReplies(VALID_NS);
        int at = DirectoryAttrReplies.ATTR_ATTR_OFFSET;
        ReplyChannel.rewriteIfOk(reply(0, ATTR_OUT_BYTES, at, 040700), 2, r);
        assertEquals(1, io.getLong(reply + DirectoryAttrReplies.ATTR_ATTR_VALID_OFFSET));
        assertEquals(500_000_000,
                io.getInt(reply + DirectoryAttrReplies.ATTR_ATTR_VALID_NSEC_OFFSET));
        ReplyChannel.rewriteIfOk(reply(0, ATTR_OUT_BYTES, at, 0100600), 2, r);
        assertEquals(0, io.getLong(reply + DirectoryAttrReplies.ATTR_ATTR_VALID_OFFSET));
    }

    @Test
    void initReplyGrowsToTheCurrentLayoutWithMaxPages() {
        int bigWrites = 1 << 5;
        Pointer p = reply(0, InitReply.MIN_INIT_OUT_BYTES, 0, 0);
        io.putInt(reply + InitReply.FLAGS_OFFSET, bigWrites);
        io.putInt(reply + 20, 1 << 20); // max_write
        io.putInt(header + ReplyChannel.OUT_LEN_OFFSET, 16 + InitReply.MIN_INIT_OUT_BYTES);
        ReplyChannel.rewriteIfOk(p, 2, InitReply.maxPages(256));
        long sent = io.getAddress(iov + ReplyChannel.IOVEC_BYTES);
        assertEquals(InitReply.INIT_OUT_BYTES, io.getLong(iov + ReplyChannel.IOVEC_BYTES + 8));
        assertEquals(16 + InitReply.INIT_OUT_BYTES,
                io.getInt(header + ReplyChannel.OUT_LEN_OFFSET));
        assertEquals(bigWrites | InitReply.FUSE_MAX_PAGES,
                io.getInt(sent + InitReply.FLAGS_OFFSET));
        assertEquals(1 << 20, io.getInt(sent + 20), "max_write kept");
        assertEquals(256, io.getShort(sent + InitReply.MAX_PAGES_OFFSET) & 0xffff);
        assertEquals(0, io.getInt(sent + 32), "flags2 and the rest zero");

        p = reply(0, 8, 0, 0); // FUSE_COMPAT_INIT_OUT_SIZE (before 7.5): left alone.
        ReplyChannel.rewriteIfOk(p, 2, InitReply.maxPages(256));
        assertEquals(reply, io.getAddress(iov + ReplyChannel.IOVEC_BYTES));
    }
}
