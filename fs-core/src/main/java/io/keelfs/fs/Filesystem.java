package io.keelfs.fs;

import io.keelfs.error.KeelException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The POSIX filesystem as the FUSE adapter (and tests) call it: path operations plus handle
 * operations, every failure a {@link KeelException} carrying the errno to return.
 *
 * <p>Paths are absolute ("/", "/a/b"), already split by nothing: the implementation resolves
 * them. Symlinks are not followed in paths (the kernel resolves them before FUSE sees a path).
 * A handle ({@link #open}, {@link #create}, {@link #opendir}) names an inode, not a path: it
 * keeps working after the file is renamed or unlinked, and an unlinked file's data is freed on
 * the last {@link #release}.
 *
 * <p>Durability: every call's effect is atomic (one journal entry) and visible at once; it is
 * durable after {@link #fsync} of the file (or {@link #fsyncdir} of a directory it changed),
 * {@link #sync}, or a clean {@link #close}.
 *
 * <p>Thread-safety: every method may be called from many threads at once.
 */
public interface Filesystem extends AutoCloseable {
    long ROOT_INO = 1;

    Stat getattr(String path) throws KeelException;

    Stat fgetattr(long handle) throws KeelException;

    String readlink(String path) throws KeelException;

    /** Regular files, fifos, sockets and device nodes ({@link FileMode#isMknodType}). */
    Stat mknod(String path, int mode, long rdev, Caller caller) throws KeelException;

    Stat mkdir(String path, int mode, Caller caller) throws KeelException;

    void unlink(String path) throws KeelException;

    void rmdir(String path) throws KeelException;

    Stat symlink(String target, String linkPath, Caller caller) throws KeelException;

    /** rename(2) with renameat2 flags {@link FsConstants#RENAME_NOREPLACE}/EXCHANGE, or 0. */
    void rename(String from, String to, int flags) throws KeelException;

    Stat link(String existing, String newPath) throws KeelException;

    /** Permission bits only (the type bits of {@code mode} are ignored). */
    void chmod(String path, int mode) throws KeelException;

    /** {@link FsConstants#ID_UNCHANGED} leaves that id. */
    void chown(String path, long uid, long gid) throws KeelException;

    void truncate(String path, long sizeBytes) throws KeelException;

    void ftruncate(long handle, long sizeBytes) throws KeelException;

    /** Times in ns since the epoch, or {@link FsConstants#UTIME_NOW}/{@code UTIME_OMIT}. */
    void utimens(String path, long atimeNs, long mtimeNs) throws KeelException;

    /** Opens an existing file ({@link OpenFlags}; O_TRUNC truncates); returns a handle. */
    long open(String path, int flags) throws KeelException;

    /** Creates (or with O_CREAT without O_EXCL, opens) a regular file; returns a handle. */
    long create(String path, int mode, int flags, Caller caller) throws KeelException;

    /** Reads up to {@code dst.remaining()} bytes at offset; returns the count, 0 at EOF. */
    int read(long handle, long offsetBytes, ByteBuffer dst) throws KeelException;

    /**
     * Writes all of {@code src} at offset (at the end of file when the handle has O_APPEND);
     * returns the count written.
     */
    int write(long handle, long offsetBytes, ByteBuffer src) throws KeelException;

    /** close(2) of one descriptor of the handle; nothing to make durable. */
    void flush(long handle) throws KeelException;

    void release(long handle) throws KeelException;

    /** Makes the file's data (and, unless {@code dataOnly}, its metadata) durable. */
    void fsync(long handle, boolean dataOnly) throws KeelException;

    void fsyncdir(String path, boolean dataOnly) throws KeelException;

    /** Modes: 0, {@link FsConstants#FALLOC_FL_KEEP_SIZE}, PUNCH_HOLE|KEEP_SIZE, ZERO_RANGE. */
    void fallocate(long handle, int mode, long offsetBytes, long lengthBytes)
            throws KeelException;

    StatFs statfs() throws KeelException;

    /**
     * {@link FsConstants#XATTR_CREATE}/REPLACE or 0; namespaces user., trusted., security.
     * {@link FsConstants#XATTR_DROP_CACHES} on "/" is a control that stores nothing.
     */
    void setxattr(String path, String name, byte[] value, int flags) throws KeelException;

    /** The whole value (the adapter answers ERANGE when the caller's buffer is smaller). */
    byte[] getxattr(String path, String name) throws KeelException;

    List<String> listxattr(String path) throws KeelException;

    void removexattr(String path, String name) throws KeelException;

    long opendir(String path) throws KeelException;

    /**
     * Up to {@code entriesMax} entries after {@code offset} (0 = from the start, including
     * "." and ".."); each carries the offset that continues after it.
     */
    List<DirEntry> readdir(long handle, long offset, int entriesMax) throws KeelException;

    void releasedir(long handle) throws KeelException;

    /** Makes everything done so far durable (sync(2)). */
    void sync() throws KeelException;

    /** Makes everything durable, marks the image clean and releases it. */
    @Override
    void close() throws KeelException;
}
