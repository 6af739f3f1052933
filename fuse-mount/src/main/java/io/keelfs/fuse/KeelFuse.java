package io.keelfs.fuse;

import io.keelfs.error.Errno;
import io.keelfs.error.FsException;
import io.keelfs.error.KeelException;
import io.keelfs.fs.Caller;
import io.keelfs.fs.Filesystem;
import io.keelfs.fs.FsConstants;
import io.keelfs.fs.OpenFlags;
import io.keelfs.fs.Stat;
import io.keelfs.fs.StatFs;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.logging.Logger;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.FuseOperations;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The FUSE adapter's jnr-fuse binding: every libfuse2 operation becomes one {@link Filesystem}
 * call, and its result or failure goes back as libfuse expects it. Nothing else happens here:
 * no caching, no filesystem logic. What does not depend on jnr-fuse (the error boundary, value
 * conversions, the xattr size protocol, the readdir loop) is in {@link FuseTranslation}; this
 * class moves bytes between jnr's structs and pointers and the Filesystem's types.
 *
 * <p>Errors: a {@link KeelException} returns {@code -errno} (EROFS after the filesystem went
 * emergency read-only is the filesystem's own answer); any other {@link Throwable} is a bug,
 * logged with the operation and path, counted ({@link #internalErrorCount}), and returned as
 * {@code -EIO}. No exception ever reaches jnr-fuse (it would cross into native code).
 *
 * <p>Handles: {@code open}, {@code create} and {@code opendir} store the Filesystem's handle in
 * {@code fi->fh}; handle operations (read, write, fsync, release, fgetattr, ftruncate,
 * fallocate, readdir, releasedir, fsyncdir) ignore the path (used only in log lines), and the
 * adapter sets libfuse's {@code nopath} flag so libfuse passes them null instead of building the
 * path under its tree lock for every read and write (and jnr decoding it). nullpath_ok is set
 * too (libfuse 2.9 reads both). I/O on an open, unlinked file reaches it by handle either way;
 * libfuse still finds the path of a .fuse_hidden file itself to unlink it at the last close.
 *
 * <p>Permissions: the mount always runs with {@code default_permissions}, so the kernel checks
 * modes and ownership itself and never sends ACCESS; {@link #access} therefore answers 0.
 *
 * <p>Not implemented on purpose: lock and flock (the kernel then keeps POSIX and BSD locks
 * locally, which is right for a single-host mount), bmap, ioctl, poll, read_buf/write_buf, and
 * flush: {@link Filesystem#flush} has nothing to do, and without the operation libfuse answers
 * the first FLUSH with ENOSYS, after which the kernel sends none, so close(2) costs no round
 * trip (one of five requests of a create-and-close).
 *
 * <p>Thread-safety: stateless apart from counters; callbacks run on many threads at once
 * ({@link FuseRequestLoop}'s workers, or libfuse's own with the libfuse loop).
 */
public class KeelFuse extends FuseStubFS {
    private static final Logger LOG = Logger.getLogger(KeelFuse.class.getName());

    /** struct fuse_file_info (libfuse2, LP64): the bit-field word holding direct_io (bit 0). */
    static final int FILE_INFO_BITS_OFFSET = 20;
    static final int FILE_INFO_DIRECT_IO_BIT = 1;
    /** struct fuse_operations (libfuse2 2.9, LP64): 38 pointers, then the flag bits. */
    static final int OPERATIONS_FLAGS_OFFSET = 38 * 8;
    static final int OPERATIONS_SIZE_BYTES = 360;
    static final int FLAG_NULLPATH_OK = 1;
    static final int FLAG_NOPATH = 1 << 1;
    static final int FLAG_UTIME_OMIT_OK = 1 << 2;
    private static final long NS_PER_SECOND = FuseTranslation.NS_PER_SECOND;
    private static final long ID_U32_MASK = FuseTranslation.ID_UNCHANGED_U32;

    /** Who is calling: libfuse's request context, or a fixed caller in tests. */
    @FunctionalInterface
    public interface CallerSource {
        Caller current();
    }

    private final Filesystem fs;
    private final CallerSource callers;
    private final Runnable onInit;
    private final FuseTranslation translation = new FuseTranslation();
    private volatile Runnable unmounter;

    /**
     * @param callers null: the uid and gid of libfuse's request context
     * @param onInit runs once libfuse has mounted and the kernel sent INIT (the mount is ready)
     */
    public KeelFuse(Filesystem fs, CallerSource callers, Runnable onInit) {
        this.fs = fs;
        this.callers = callers != null ? callers : this::contextCaller;
        this.onInit = onInit;
        setOperationFlags();
    }

    /** Sets nullpath_ok, nopath and utime_omit_ok, which jnr-fuse models but never sets. */
    private void setOperationFlags() {
        if (Struct.size(fuseOperations) != OPERATIONS_SIZE_BYTES) {
            LOG.warning("struct fuse_operations is " + Struct.size(fuseOperations)
                    + " bytes, expected " + OPERATIONS_SIZE_BYTES + "; flags left unset");
            return;
        }
        Pointer ops = Struct.getMemory(fuseOperations);
        int flags = ops.getInt(OPERATIONS_FLAGS_OFFSET);
        ops.putInt(OPERATIONS_FLAGS_OFFSET,
                flags | FLAG_NULLPATH_OK | FLAG_NOPATH | FLAG_UTIME_OMIT_OK);
    }

    /** Callbacks that returned EIO because of an unexpected throwable (a bug somewhere). */
    public long internalErrorCount() {
        return translation.internalErrorCount();
    }

    /** What {@link #umount} (also jnr-fuse's shutdown hook) does; the session sets it. */
    void setUnmounter(Runnable unmounter) {
        this.unmounter = unmounter;
    }

    /** The operations table libfuse is given (jnr-fuse fills it with this adapter's methods). */
    FuseOperations operations() {
        return fuseOperations;
    }

    /** The mount ended (libfuse's loop returned): jnr's own umount has nothing left to do. */
    void markUnmounted() {
        mounted.set(false);
    }

    @Override
    public void umount() {
        Runnable u = unmounter;
        if (u != null) {
            u.run();
        } else {
            super.umount();
        }
    }

    @Override
    protected String getFSName() {
        return "keelfs";
    }

    private Caller contextCaller() {
        var context = getContext();
        return new Caller(context.uid.get() & ID_U32_MASK, context.gid.get() & ID_U32_MASK);
    }

    private int fail(String op, String path, Throwable t) {
        return translation.fail(op, path, t);
    }

    // ---------------------------------------------------------------- attributes

    @Override
    public int getattr(String path, FileStat stat) {
        try {
            fillStat(fs.getattr(path), stat);
            return 0;
        } catch (Throwable t) {
            return fail("getattr", path, t);
        }
    }

    @Override
    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        try {
            fillStat(fs.fgetattr(handle(fi)), stat);
            return 0;
        } catch (Throwable t) {
            return fail("fgetattr", path, t);
        }
    }

    static void fillStat(Stat s, FileStat stat) {
        stat.st_ino.set(s.ino());
        stat.st_mode.set(s.mode());
        stat.st_nlink.set(s.nlink());
        stat.st_uid.set(s.uid());
        stat.st_gid.set(s.gid());
        stat.st_rdev.set(s.rdev());
        stat.st_size.set(s.sizeBytes());
        stat.st_blocks.set(s.blocks512());
        stat.st_blksize.set(s.blockSizeBytes());
        setTime(stat.st_atim, s.atimeNs());
        setTime(stat.st_mtim, s.mtimeNs());
        setTime(stat.st_ctim, s.ctimeNs());
    }

    private static void setTime(Timespec t, long ns) {
        t.tv_sec.set(Math.floorDiv(ns, NS_PER_SECOND));
        t.tv_nsec.set(Math.floorMod(ns, NS_PER_SECOND));
    }

    @Override
    public int chmod(String path, long mode) {
        try {
            fs.chmod(path, (int) mode);
            return 0;
        } catch (Throwable t) {
            return fail("chmod", path, t);
        }
    }

    @Override
    public int chown(String path, long uid, long gid) {
        try {
            fs.chown(path, FuseTranslation.id(uid), FuseTranslation.id(gid));
            return 0;
        } catch (Throwable t) {
            return fail("chown", path, t);
        }
    }

    @Override
    public int truncate(String path, long size) {
        try {
            fs.truncate(path, size);
            return 0;
        } catch (Throwable t) {
            return fail("truncate", path, t);
        }
    }

    @Override
    public int ftruncate(String path, long size, FuseFileInfo fi) {
        try {
            fs.ftruncate(handle(fi), size);
            return 0;
        } catch (Throwable t) {
            return fail("ftruncate", path, t);
        }
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        try {
            fs.utimens(path, timeNs(timespec[0]), timeNs(timespec[1]));
            return 0;
        } catch (Throwable t) {
            return fail("utimens", path, t);
        }
    }

    private static long timeNs(Timespec t) throws FsException {
        return FuseTranslation.timeNs(t.tv_sec.get(), t.tv_nsec.longValue());
    }

    // ---------------------------------------------------------------- names

    @Override
    public int readlink(String path, Pointer buf, long size) {
        try {
            byte[] target = fs.readlink(path).getBytes(StandardCharsets.UTF_8);
            if (size <= 0) {
                return -Errno.EINVAL.value;
            }
            // libfuse2 wants a NUL-terminated string, truncated to fit (readlink(2) semantics).
            int n = (int) Math.min(target.length, size - 1);
            buf.put(0, target, 0, n);
            buf.putByte(n, (byte) 0);
            return 0;
        } catch (Throwable t) {
            return fail("readlink", path, t);
        }
    }

    @Override
    public int mknod(String path, long mode, long rdev) {
        try {
            fs.mknod(path, (int) mode, rdev, callers.current());
            return 0;
        } catch (Throwable t) {
            return fail("mknod", path, t);
        }
    }

    @Override
    public int mkdir(String path, long mode) {
        try {
            fs.mkdir(path, (int) mode, callers.current());
            return 0;
        } catch (Throwable t) {
            return fail("mkdir", path, t);
        }
    }

    @Override
    public int unlink(String path) {
        try {
            fs.unlink(path);
            return 0;
        } catch (Throwable t) {
            return fail("unlink", path, t);
        }
    }

    @Override
    public int rmdir(String path) {
        try {
            fs.rmdir(path);
            return 0;
        } catch (Throwable t) {
            return fail("rmdir", path, t);
        }
    }

    /** libfuse2 passes (target, link path): the first is the symlink's contents. */
    @Override
    public int symlink(String target, String linkPath) {
        try {
            fs.symlink(target, linkPath, callers.current());
            return 0;
        } catch (Throwable t) {
            return fail("symlink", linkPath, t);
        }
    }

    /** libfuse2's high-level API passes no renameat2 flags: always 0 (README limitations). */
    @Override
    public int rename(String from, String to) {
        try {
            fs.rename(from, to, 0);
            return 0;
        } catch (Throwable t) {
            return fail("rename", from + " -> " + to, t);
        }
    }

    @Override
    public int link(String existing, String newPath) {
        try {
            fs.link(existing, newPath);
            return 0;
        } catch (Throwable t) {
            return fail("link", existing + " -> " + newPath, t);
        }
    }

    /** Always 0: the mount runs with default_permissions, so the kernel checks (class doc). */
    @Override
    public int access(String path, int mask) {
        return 0;
    }

    // ---------------------------------------------------------------- files

    @Override
    public int open(String path, FuseFileInfo fi) {
        try {
            int flags = fi.flags.get();
            setHandle(fi, fs.open(path, flags), flags);
            return 0;
        } catch (Throwable t) {
            return fail("open", path, t);
        }
    }

    /** O_EXCL reaches the filesystem in the flags (the kernel also checks existence first). */
    @Override
    public int create(String path, long mode, FuseFileInfo fi) {
        try {
            int flags = fi.flags.get();
            setHandle(fi, fs.create(path, (int) mode, flags, callers.current()), flags);
            return 0;
        } catch (Throwable t) {
            return fail("create", path, t);
        }
    }

    /** O_DIRECT opens get direct_io so the kernel neither caches nor splits their I/O. */
    private static void setHandle(FuseFileInfo fi, long handle, int flags) {
        fi.fh.set(handle);
        if ((flags & OpenFlags.O_DIRECT) != 0) {
            Pointer memory = Struct.getMemory(fi);
            int bits = memory.getInt(FILE_INFO_BITS_OFFSET);
            memory.putInt(FILE_INFO_BITS_OFFSET, bits | FILE_INFO_DIRECT_IO_BIT);
        }
    }

    static long handle(FuseFileInfo fi) {
        return fi.fh.get();
    }

    @Override
    public int read(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
        try {
            ByteBuffer dst = NativeBuffers.wrap(buf, Math.toIntExact(size));
            int n = fs.read(handle(fi), offset, dst);
            NativeBuffers.completeRead(buf, dst, n);
            return n;
        } catch (Throwable t) {
            return fail("read", path, t);
        }
    }

    @Override
    public int write(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
        try {
            return fs.write(handle(fi), offset, NativeBuffers.wrap(buf, Math.toIntExact(size)));
        } catch (Throwable t) {
            return fail("write", path, t);
        }
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        try {
            fs.release(handle(fi));
            return 0;
        } catch (Throwable t) {
            return fail("release", path, t);
        }
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        try {
            fs.fsync(handle(fi), isdatasync != 0);
            return 0;
        } catch (Throwable t) {
            return fail("fsync", path, t);
        }
    }

    /** Modes beyond KEEP_SIZE, PUNCH_HOLE and ZERO_RANGE are EOPNOTSUPP (so tests skip). */
    @Override
    public int fallocate(String path, int mode, long off, long length, FuseFileInfo fi) {
        try {
            if (!FuseTranslation.fallocateModeKnown(mode)) {
                return -Errno.EOPNOTSUPP.value;
            }
            fs.fallocate(handle(fi), mode, off, length);
            return 0;
        } catch (Throwable t) {
            return fail("fallocate", path, t);
        }
    }

    // ---------------------------------------------------------------- directories

    @Override
    public int opendir(String path, FuseFileInfo fi) {
        try {
            fi.fh.set(fs.opendir(path));
            return 0;
        } catch (Throwable t) {
            return fail("opendir", path, t);
        }
    }

    /** Offset mode (see {@link FuseTranslation#readdir}): a cookie per entry. */
    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, long offset,
            FuseFileInfo fi) {
        try {
            FileStat stat = new FileStat(jnr.ffi.Runtime.getSystemRuntime());
            Pointer statMemory = Struct.getMemory(stat);
            FuseTranslation.readdir(fs, handle(fi), offset, e -> {
                stat.st_ino.set(e.ino());
                stat.st_mode.set(e.mode());
                return filler.apply(buf, cName(e.name()), statMemory, e.nextOffset()) == 0;
            });
            return 0;
        } catch (Throwable t) {
            return fail("readdir", path, t);
        }
    }

    /**
     * A name as libfuse's filler takes it: UTF-8 (not the JVM's default charset, which Java 17
     * takes from the locale) and NUL-terminated (jnr-fuse's String overload adds no NUL).
     */
    static ByteBuffer cName(String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        byte[] c = new byte[utf8.length + 1];
        System.arraycopy(utf8, 0, c, 0, utf8.length);
        return ByteBuffer.wrap(c);
    }

    @Override
    public int releasedir(String path, FuseFileInfo fi) {
        try {
            fs.releasedir(handle(fi));
            return 0;
        } catch (Throwable t) {
            return fail("releasedir", path, t);
        }
    }

    /**
     * A full fsync. With nopath libfuse passes no path, and jnr-fuse's binding of fsyncdir has
     * no usable {@code fi} (it drops the datasync argument, so {@code fi} holds that int): the
     * whole filesystem is synced then, which for keelfs costs what a directory's fsync costs
     * (one journal flush covers every inode).
     */
    @Override
    public int fsyncdir(String path, FuseFileInfo fi) {
        try {
            if (path == null) {
                fs.sync();
                return 0;
            }
            fs.fsyncdir(path, false);
            return 0;
        } catch (Throwable t) {
            return fail("fsyncdir", path, t);
        }
    }

    // ---------------------------------------------------------------- filesystem

    @Override
    public int statfs(String path, Statvfs st) {
        try {
            StatFs s = fs.statfs();
            st.f_bsize.set(s.blockSizeBytes());
            st.f_frsize.set(s.blockSizeBytes());
            st.f_blocks.set(s.blocks());
            st.f_bfree.set(s.blocksFree());
            st.f_bavail.set(s.blocksAvail());
            st.f_files.set(s.files());
            st.f_ffree.set(s.filesFree());
            st.f_favail.set(s.filesFree());
            st.f_namemax.set(s.nameLengthMax());
            return 0;
        } catch (Throwable t) {
            return fail("statfs", path, t);
        }
    }

    // ---------------------------------------------------------------- xattrs

    @Override
    public int setxattr(String path, String name, Pointer value, long size, int flags) {
        try {
            byte[] bytes = new byte[Math.toIntExact(size)];
            value.get(0, bytes, 0, bytes.length);
            fs.setxattr(path, name, bytes, flags);
            return 0;
        } catch (Throwable t) {
            return fail("setxattr", path, t);
        }
    }

    /** Size 0 asks for the length; a smaller buffer than the value is ERANGE. */
    @Override
    public int getxattr(String path, String name, Pointer value, long size) {
        try {
            return copyOut(fs.getxattr(path, name), value, size);
        } catch (Throwable t) {
            return fail("getxattr", path, t);
        }
    }

    /** The names, each NUL-terminated, with getxattr's size protocol. */
    @Override
    public int listxattr(String path, Pointer list, long size) {
        try {
            return copyOut(FuseTranslation.xattrList(fs.listxattr(path)), list, size);
        } catch (Throwable t) {
            return fail("listxattr", path, t);
        }
    }

    private static int copyOut(byte[] bytes, Pointer dst, long size) {
        int answer = FuseTranslation.sizeAnswer(bytes.length, size);
        if (answer > 0 && size != 0) {
            dst.put(0, bytes, 0, bytes.length);
        }
        return answer;
    }

    @Override
    public int removexattr(String path, String name) {
        try {
            fs.removexattr(path, name);
            return 0;
        } catch (Throwable t) {
            return fail("removexattr", path, t);
        }
    }

    // ---------------------------------------------------------------- lifecycle

    /** The kernel answered INIT: the mount is live. */
    @Override
    public Pointer init(Pointer conn) {
        try {
            if (onInit != null) {
                onInit.run();
            }
        } catch (Throwable t) {
            fail("init", "/", t);
        }
        return null;
    }
}
