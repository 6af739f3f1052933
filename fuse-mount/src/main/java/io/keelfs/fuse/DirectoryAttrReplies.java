package io.keelfs.fuse;

import com.kenai.jffi.MemoryIO;
import java.util.logging.Logger;
import jnr.ffi.Pointer;

/**
 * Lets the kernel cache a directory's attributes for {@code validNs} while every other inode's
 * stay uncached ({@code attr_timeout=0}): replies that carry attributes (LOOKUP, MKNOD, MKDIR,
 * SYMLINK, LINK, CREATE: a {@code fuse_entry_out}; GETATTR, SETATTR: a {@code fuse_attr_out})
 * are sent through a {@link ReplyChannel} that sets {@code attr_valid} when the attributes are
 * a directory's. Entry points: {@link #create}, {@link #channelFor} (per request, by opcode),
 * {@link #close}.
 *
 * <p>Why: the mount runs with {@code default_permissions}, so the kernel checks search permission
 * on every directory of every path it walks, and with {@code attr_timeout=0} each check is a
 * GETATTR round trip (measured with meta.c, which creates, stats, renames and unlinks each file of
 * one directory: 11 GETATTRs per file, 5 with directories cached). libfuse2's high-level API has
 * one attr_timeout for all inodes, and it must stay 0 for files: each name of a hard-linked file
 * is a kernel inode of its own there, so a cached attribute of one name goes stale when the file
 * changes through another. A directory has one name, and the kernel drops or updates its cached
 * attributes itself whenever this mount changes it (create, mkdir, mknod, symlink, link, unlink,
 * rmdir and rename mark the parents changed; setattr replies with the new attributes; setxattr and
 * readdir drop ctime/atime). Every change goes through this one mount, so the cache stays
 * coherent; the one exception is libfuse's own unlink of a {@code .fuse_hidden} file at its last
 * close (an unlinked file that was open), which leaves the directory's mtime and ctime up to
 * {@code validNs} old.
 *
 * <p>Only requests of the opcodes above pass through the callback; reads, writes and the rest
 * go to libfuse's channel directly and cost nothing extra.
 *
 * <p>Lifecycle: {@link #create} after {@code fuse_setup}, {@link #close} after every worker has
 * ended and before {@code fuse_teardown}. Thread-safety: {@link #channelFor} and the callbacks
 * from any thread (the state is immutable); create and close from the serving thread.
 */
final class DirectoryAttrReplies {
    private static final Logger LOG = Logger.getLogger(DirectoryAttrReplies.class.getName());
    static final int OP_LOOKUP = 1;
    static final int OP_GETATTR = 3;
    static final int OP_SETATTR = 4;
    static final int OP_SYMLINK = 6;
    static final int OP_MKNOD = 8;
    static final int OP_MKDIR = 9;
    static final int OP_LINK = 13;
    static final int OP_CREATE = 35;
    /** struct fuse_entry_out: nodeid, generation, entry_valid, attr_valid (u64 each), ... */
    static final int ENTRY_ATTR_VALID_OFFSET = 24;
    static final int ENTRY_ATTR_VALID_NSEC_OFFSET = 36;
    static final int ENTRY_ATTR_OFFSET = 40;
    /** struct fuse_attr_out: u64 attr_valid, u32 attr_valid_nsec, u32 dummy, fuse_attr. */
    static final int ATTR_ATTR_VALID_OFFSET = 0;
    static final int ATTR_ATTR_VALID_NSEC_OFFSET = 8;
    static final int ATTR_ATTR_OFFSET = 16;
    /** struct fuse_attr: six u64 (ino .. ctime), three u32 nsec, then u32 mode. */
    static final int FUSE_ATTR_MODE_OFFSET = 60;
    static final int S_IFMT = 0170000;
    static final int S_IFDIR = 0040000;
    static final long NS_PER_SECOND = 1_000_000_000L;

    static {
        if (ENTRY_ATTR_VALID_NSEC_OFFSET + 4 != ENTRY_ATTR_OFFSET
                || ATTR_ATTR_VALID_NSEC_OFFSET + 8 != ATTR_ATTR_OFFSET) {
            throw new ExceptionInInitializerError("fuse reply layout constants disagree");
        }
    }

    private final Pointer channel;
    private final ReplyChannel entryReplies;
    private final ReplyChannel attrReplies;

    private DirectoryAttrReplies(Pointer channel, ReplyChannel entryReplies,
            ReplyChannel attrReplies) {
        this.channel = channel;
        this.entryReplies = entryReplies;
        this.attrReplies = attrReplies;
    }

    /**
     * The rewriting channels over libfuse's {@code channel} (whose buffer size they report),
     * or null when {@code validNs} is 0 (nothing to rewrite) or libfuse could not make a
     * channel (logged; directories then stay uncached like the rest).
     */
    static DirectoryAttrReplies create(FuseRequestLoop.Libfuse lib, Pointer channel,
            long bufsizeBytes, long validNs) {
        if (validNs < 0) {
            throw new IllegalArgumentException("directory attr validity " + validNs + " ns < 0");
        }
        if (validNs == 0) {
            return null;
        }
        ReplyChannel entry = ReplyChannel.open(lib, channel, bufsizeBytes,
                entryReplies(validNs));
        ReplyChannel attr = entry == null ? null
                : ReplyChannel.open(lib, channel, bufsizeBytes, attrReplies(validNs));
        if (attr == null) {
            LOG.warning("directory attributes are not cached (no reply channel)");
            if (entry != null) {
                entry.close();
            }
            return null;
        }
        return new DirectoryAttrReplies(channel, entry, attr);
    }

    /** The channel a request of {@code opcode} is to be processed with. */
    Pointer channelFor(int opcode) {
        return switch (opcode) {
            case OP_LOOKUP, OP_MKNOD, OP_MKDIR, OP_SYMLINK, OP_LINK, OP_CREATE ->
                    entryReplies.pointer();
            case OP_GETATTR, OP_SETATTR -> attrReplies.pointer();
            default -> channel;
        };
    }

    /** Frees the channels; no request may be in process. */
    void close() {
        entryReplies.close();
        attrReplies.close();
    }

    /** What LOOKUP, MKNOD, MKDIR, SYMLINK, LINK and CREATE replies (fuse_entry_out) get. */
    static ReplyChannel.Rewrite entryReplies(long validNs) {
        return markDirectory(ENTRY_ATTR_OFFSET, ENTRY_ATTR_VALID_OFFSET,
                ENTRY_ATTR_VALID_NSEC_OFFSET, validNs);
    }

    /** What GETATTR and SETATTR replies (fuse_attr_out) get. */
    static ReplyChannel.Rewrite attrReplies(long validNs) {
        return markDirectory(ATTR_ATTR_OFFSET, ATTR_ATTR_VALID_OFFSET,
                ATTR_ATTR_VALID_NSEC_OFFSET, validNs);
    }

    /**
     * Sets the validity of the attributes at {@code attrOffset} of a reply to {@code validNs}
     * if they are a directory's.
     */
    private static ReplyChannel.Rewrite markDirectory(int attrOffset, int validOffset,
            int validNsecOffset, long validNs) {
        long validSeconds = validNs / NS_PER_SECOND;
        int validNsec = (int) (validNs % NS_PER_SECOND);
        return (reply, replyBytes) -> {
            if (replyBytes < attrOffset + FUSE_ATTR_MODE_OFFSET + 4) {
                return;
            }
            MemoryIO io = MemoryIO.getInstance();
            if ((io.getInt(reply + attrOffset + FUSE_ATTR_MODE_OFFSET) & S_IFMT) != S_IFDIR) {
                return;
            }
            io.putLong(reply + validOffset, validSeconds);
            io.putInt(reply + validNsecOffset, validNsec);
        };
    }
}
