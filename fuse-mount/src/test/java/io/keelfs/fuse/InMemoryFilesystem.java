package io.keelfs.fuse;

import io.keelfs.error.Errno;
import io.keelfs.error.FsException;
import io.keelfs.error.KeelException;
import io.keelfs.fs.Caller;
import io.keelfs.fs.DirEntry;
import io.keelfs.fs.FileMode;
import io.keelfs.fs.Filesystem;
import io.keelfs.fs.FsConstants;
import io.keelfs.fs.OpenFlags;
import io.keelfs.fs.Stat;
import io.keelfs.fs.StatFs;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * TEST FAKE: a {@link Filesystem} in memory, just good enough to exercise the FUSE adapter and
 * a real mount (files, directories, symlinks, hard links, xattrs, handles, readdir cookies).
 * It is not keelfs and checks little: no permissions, no persistence, sizes capped at
 * {@link #FILE_SIZE_MAX_BYTES}.
 *
 * <p>Readdir offsets are per-directory cookies: "." is 1, ".." is 2, and each name gets the
 * next number of its directory when it is linked there, so a listing resumes correctly while
 * the directory changes.
 *
 * <p>Fault injection: {@link #failNextWith} makes the next call of a named operation throw.
 *
 * <p>Thread-safety: one lock around everything.
 */
final class InMemoryFilesystem implements Filesystem {
    static final long FILE_SIZE_MAX_BYTES = 256L << 20;
    static final int BLOCK_SIZE_BYTES = 4096;

    private static final class Node {
        final long ino;
        int mode;
        long nlink;
        long uid;
        long gid;
        long rdev;
        byte[] data = new byte[0];
        long sizeBytes;
        String target;
        final TreeMap<Long, String> namesByCookie = new TreeMap<>();
        final Map<String, Long> cookies = new HashMap<>();
        final Map<String, Node> children = new HashMap<>();
        long nextCookie = 3;
        Node parent;
        final TreeMap<String, byte[]> xattrs = new TreeMap<>();
        long atimeNs;
        long mtimeNs;
        long ctimeNs;

        Node(long ino, int mode, Caller caller, long nowNs) {
            this.ino = ino;
            this.mode = mode;
            this.uid = caller.uid();
            this.gid = caller.gid();
            this.nlink = FileMode.isDirectory(mode) ? 2 : 1;
            this.atimeNs = nowNs;
            this.mtimeNs = nowNs;
            this.ctimeNs = nowNs;
        }

        boolean isDir() {
            return FileMode.isDirectory(mode);
        }
    }

    private record Handle(Node node, int flags) {}

    private final Object lock = new Object();
    private final Node root;
    private final Map<Long, Handle> handles = new HashMap<>();
    private long nextIno = Filesystem.ROOT_INO + 1;
    private long nextHandle = 1;
    private volatile String failOp;
    private volatile Throwable failWith;
    final AtomicInteger closeCount = new AtomicInteger();
    /** Calls of {@link #getattr} (by path), to see what the kernel answers from its cache. */
    final AtomicInteger getattrCount = new AtomicInteger();
    /** Runs on every close (a test daemon records its close in a file). */
    volatile Runnable onClose = () -> { };
    /** Runs at the start of every operation that can fail, with its name. */
    volatile Consumer<String> onCall = op -> { };

    InMemoryFilesystem() {
        root = new Node(Filesystem.ROOT_INO, FileMode.S_IFDIR | 0755, Caller.ROOT, now());
        root.parent = root;
    }

    /** The next call of {@code op} (a Filesystem method name) throws {@code failure}. */
    void failNextWith(String op, Throwable failure) {
        if (!(failure instanceof RuntimeException) && !(failure instanceof Error)) {
            throw new IllegalArgumentException("unchecked throwables only: " + failure);
        }
        failWith = failure;
        failOp = op;
    }

    void setMtimeForTest(String path, long mtimeNs) throws KeelException {
        synchronized (lock) {
            resolve(path).mtimeNs = mtimeNs;
        }
    }

    int openHandleCount() {
        synchronized (lock) {
            return handles.size();
        }
    }

    private void maybeFail(String op) {
        onCall.accept(op);
        if (op.equals(failOp)) {
            Throwable f = failWith;
            failOp = null;
            if (f instanceof Error e) {
                throw e;
            }
            throw (RuntimeException) f;
        }
    }

    private static long now() {
        java.time.Instant t = java.time.Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private static FsException err(Errno errno, String what) {
        return new FsException(errno, what);
    }

    // ------------------------------------------------------------ paths

    private Node resolve(String path) throws FsException {
        Node node = root;
        for (String part : parts(path)) {
            if (!node.isDir()) {
                throw err(Errno.ENOTDIR, path);
            }
            node = node.children.get(part);
            if (node == null) {
                throw err(Errno.ENOENT, path);
            }
        }
        return node;
    }

    private static List<String> parts(String path) throws FsException {
        if (path == null || !path.startsWith("/")) {
            throw err(Errno.EINVAL, "not an absolute path: " + path);
        }
        List<String> parts = new ArrayList<>();
        for (String p : path.split("/")) {
            if (!p.isEmpty()) {
                if (p.length() > FsConstants.NAME_LENGTH_MAX) {
                    throw err(Errno.ENAMETOOLONG, path);
                }
                parts.add(p);
            }
        }
        return parts;
    }

    private Node parentOf(String path) throws FsException {
        List<String> parts = parts(path);
        if (parts.isEmpty()) {
            throw err(Errno.EINVAL, path);
        }
        Node parent = resolve("/" + String.join("/", parts.subList(0, parts.size() - 1)));
        if (!parent.isDir()) {
            throw err(Errno.ENOTDIR, path);
        }
        return parent;
    }

    private static String nameOf(String path) throws FsException {
        List<String> parts = parts(path);
        return parts.get(parts.size() - 1);
    }

    private void linkInto(Node dir, String name, Node child) {
        long cookie = dir.nextCookie++;
        dir.children.put(name, child);
        dir.cookies.put(name, cookie);
        dir.namesByCookie.put(cookie, name);
        if (child.isDir()) {
            child.parent = dir;
            dir.nlink++;
        }
        dir.mtimeNs = now();
        dir.ctimeNs = dir.mtimeNs;
    }

    private void unlinkFrom(Node dir, String name) {
        Node child = dir.children.remove(name);
        dir.namesByCookie.remove(dir.cookies.remove(name));
        if (child.isDir()) {
            dir.nlink--;
        }
        dir.mtimeNs = now();
        dir.ctimeNs = dir.mtimeNs;
        lock.notifyAll();
    }

    /**
     * Waits until no entry of the root directory starts with {@code prefix}, for at most
     * {@code timeout}. The kernel sends RELEASE after close(2) has returned, so libfuse unlinks
     * its .fuse_hidden file some time after the caller's last close: a test waits for that event
     * (notified by every unlink) instead of guessing a delay.
     *
     * @return whether the root directory is free of such names
     */
    boolean awaitRootHasNoNameStartingWith(String prefix, java.time.Duration timeout)
            throws InterruptedException {
        long deadlineNs = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (root.children.keySet().stream().anyMatch(n -> n.startsWith(prefix))) {
                long leftNs = deadlineNs - System.nanoTime();
                if (leftNs <= 0) {
                    return false;
                }
                java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(lock, leftNs);
            }
            return true;
        }
    }

    private Node createNode(String path, int mode, Caller caller) throws FsException {
        Node parent = parentOf(path);
        String name = nameOf(path);
        if (parent.children.containsKey(name)) {
            throw err(Errno.EEXIST, path);
        }
        Node node = new Node(nextIno++, mode, caller, now());
        linkInto(parent, name, node);
        return node;
    }

    private static Stat stat(Node n) {
        long size = n.isDir() ? 4096 : n.target != null ? n.target.length() : n.sizeBytes;
        long blocks = (n.data.length + 511L) / 512;
        return new Stat(n.ino, n.mode, n.nlink, n.uid, n.gid, n.rdev, size, blocks, n.atimeNs,
                n.mtimeNs, n.ctimeNs, n.ctimeNs, BLOCK_SIZE_BYTES);
    }

    private Handle handle(long h) throws FsException {
        Handle handle = handles.get(h);
        if (handle == null) {
            throw err(Errno.EBADF, "handle " + h);
        }
        return handle;
    }

    // ------------------------------------------------------------ operations

    @Override
    public Stat getattr(String path) throws KeelException {
        getattrCount.incrementAndGet();
        maybeFail("getattr");
        synchronized (lock) {
            return stat(resolve(path));
        }
    }

    @Override
    public Stat fgetattr(long handle) throws KeelException {
        maybeFail("fgetattr");
        synchronized (lock) {
            return stat(handle(handle).node);
        }
    }

    @Override
    public String readlink(String path) throws KeelException {
        maybeFail("readlink");
        synchronized (lock) {
            Node n = resolve(path);
            if (n.target == null) {
                throw err(Errno.EINVAL, "not a symlink: " + path);
            }
            return n.target;
        }
    }

    @Override
    public Stat mknod(String path, int mode, long rdev, Caller caller) throws KeelException {
        maybeFail("mknod");
        if (!FileMode.isMknodType(mode)) {
            throw err(Errno.EINVAL, "mknod type " + Integer.toOctalString(mode));
        }
        synchronized (lock) {
            Node n = createNode(path, mode, caller);
            n.rdev = rdev;
            return stat(n);
        }
    }

    @Override
    public Stat mkdir(String path, int mode, Caller caller) throws KeelException {
        maybeFail("mkdir");
        synchronized (lock) {
            return stat(createNode(path, FileMode.S_IFDIR | (mode & 07777), caller));
        }
    }

    @Override
    public void unlink(String path) throws KeelException {
        maybeFail("unlink");
        synchronized (lock) {
            Node n = resolve(path);
            if (n.isDir()) {
                throw err(Errno.EISDIR, path);
            }
            unlinkFrom(parentOf(path), nameOf(path));
            n.nlink--;
            n.ctimeNs = now();
        }
    }

    @Override
    public void rmdir(String path) throws KeelException {
        maybeFail("rmdir");
        synchronized (lock) {
            Node n = resolve(path);
            if (!n.isDir()) {
                throw err(Errno.ENOTDIR, path);
            }
            if (n == root) {
                throw err(Errno.EINVAL, path);
            }
            if (!n.children.isEmpty()) {
                throw err(Errno.ENOTEMPTY, path);
            }
            unlinkFrom(parentOf(path), nameOf(path));
            n.nlink = 0;
        }
    }

    @Override
    public Stat symlink(String target, String linkPath, Caller caller) throws KeelException {
        maybeFail("symlink");
        synchronized (lock) {
            Node n = createNode(linkPath, FileMode.S_IFLNK | 0777, caller);
            n.target = target;
            return stat(n);
        }
    }

    @Override
    public void rename(String from, String to, int flags) throws KeelException {
        maybeFail("rename");
        if (flags != 0) {
            throw err(Errno.EINVAL, "rename flags " + flags + " not in the fake");
        }
        synchronized (lock) {
            Node n = resolve(from);
            Node toParent = parentOf(to);
            String toName = nameOf(to);
            for (Node p = toParent; ; p = p.parent) {
                if (p == n) {
                    throw err(Errno.EINVAL, "rename " + from + " into itself: " + to);
                }
                if (p == root) {
                    break;
                }
            }
            Node existing = toParent.children.get(toName);
            if (existing == n) {
                return;
            }
            if (existing != null) {
                if (existing.isDir() && !n.isDir()) {
                    throw err(Errno.EISDIR, to);
                }
                if (!existing.isDir() && n.isDir()) {
                    throw err(Errno.ENOTDIR, to);
                }
                if (existing.isDir() && !existing.children.isEmpty()) {
                    throw err(Errno.ENOTEMPTY, to);
                }
                unlinkFrom(toParent, toName);
                existing.nlink = existing.isDir() ? 0 : existing.nlink - 1;
            }
            unlinkFrom(parentOf(from), nameOf(from));
            linkInto(toParent, toName, n);
            n.ctimeNs = now();
        }
    }

    @Override
    public Stat link(String existing, String newPath) throws KeelException {
        maybeFail("link");
        synchronized (lock) {
            Node n = resolve(existing);
            if (n.isDir()) {
                throw err(Errno.EPERM, "hard link to a directory: " + existing);
            }
            Node parent = parentOf(newPath);
            String name = nameOf(newPath);
            if (parent.children.containsKey(name)) {
                throw err(Errno.EEXIST, newPath);
            }
            linkInto(parent, name, n);
            n.nlink++;
            n.ctimeNs = now();
            return stat(n);
        }
    }

    @Override
    public void chmod(String path, int mode) throws KeelException {
        maybeFail("chmod");
        synchronized (lock) {
            Node n = resolve(path);
            n.mode = FileMode.type(n.mode) | (mode & FileMode.PERMISSION_MASK);
            n.ctimeNs = now();
        }
    }

    @Override
    public void chown(String path, long uid, long gid) throws KeelException {
        maybeFail("chown");
        synchronized (lock) {
            Node n = resolve(path);
            if (uid != FsConstants.ID_UNCHANGED) {
                n.uid = uid;
            }
            if (gid != FsConstants.ID_UNCHANGED) {
                n.gid = gid;
            }
            n.ctimeNs = now();
        }
    }

    @Override
    public void truncate(String path, long sizeBytes) throws KeelException {
        maybeFail("truncate");
        synchronized (lock) {
            setSize(resolve(path), sizeBytes);
        }
    }

    @Override
    public void ftruncate(long handle, long sizeBytes) throws KeelException {
        maybeFail("ftruncate");
        synchronized (lock) {
            setSize(handle(handle).node, sizeBytes);
        }
    }

    private static void setSize(Node n, long sizeBytes) throws FsException {
        if (n.isDir()) {
            throw err(Errno.EISDIR, "truncate of a directory");
        }
        if (sizeBytes < 0) {
            throw err(Errno.EINVAL, "size " + sizeBytes);
        }
        if (sizeBytes > FILE_SIZE_MAX_BYTES) {
            throw err(Errno.EFBIG, "size " + sizeBytes);
        }
        ensureCapacity(n, sizeBytes);
        if (sizeBytes < n.sizeBytes) {
            Arrays.fill(n.data, (int) sizeBytes, (int) n.sizeBytes, (byte) 0);
        }
        n.sizeBytes = sizeBytes;
        n.mtimeNs = now();
        n.ctimeNs = n.mtimeNs;
    }

    private static void ensureCapacity(Node n, long endBytes) {
        if (endBytes > n.data.length) {
            n.data = Arrays.copyOf(n.data, (int) Math.max(endBytes, n.data.length * 2L));
        }
    }

    @Override
    public void utimens(String path, long atimeNs, long mtimeNs) throws KeelException {
        maybeFail("utimens");
        synchronized (lock) {
            Node n = resolve(path);
            long now = now();
            if (atimeNs != FsConstants.UTIME_OMIT) {
                n.atimeNs = atimeNs == FsConstants.UTIME_NOW ? now : atimeNs;
            }
            if (mtimeNs != FsConstants.UTIME_OMIT) {
                n.mtimeNs = mtimeNs == FsConstants.UTIME_NOW ? now : mtimeNs;
            }
            n.ctimeNs = now;
        }
    }

    @Override
    public long open(String path, int flags) throws KeelException {
        maybeFail("open");
        synchronized (lock) {
            Node n = resolve(path);
            if (n.isDir() && OpenFlags.canWrite(flags)) {
                throw err(Errno.EISDIR, path);
            }
            if ((flags & OpenFlags.O_TRUNC) != 0 && OpenFlags.canWrite(flags)) {
                setSize(n, 0);
            }
            return newHandle(n, flags);
        }
    }

    private long newHandle(Node n, int flags) {
        long h = nextHandle++;
        handles.put(h, new Handle(n, flags));
        return h;
    }

    @Override
    public long create(String path, int mode, int flags, Caller caller) throws KeelException {
        maybeFail("create");
        synchronized (lock) {
            Node parent = parentOf(path);
            if (parent.children.containsKey(nameOf(path))) {
                if ((flags & OpenFlags.O_EXCL) != 0) {
                    throw err(Errno.EEXIST, path);
                }
                return open(path, flags);
            }
            Node n = createNode(path, FileMode.S_IFREG | (mode & 07777), caller);
            return newHandle(n, flags);
        }
    }

    @Override
    public int read(long handle, long offsetBytes, ByteBuffer dst) throws KeelException {
        maybeFail("read");
        synchronized (lock) {
            Node n = handle(handle).node;
            if (n.isDir()) {
                throw err(Errno.EISDIR, "read of a directory");
            }
            if (offsetBytes >= n.sizeBytes) {
                return 0;
            }
            int count = (int) Math.min(dst.remaining(), n.sizeBytes - offsetBytes);
            dst.put(n.data, (int) offsetBytes, count);
            n.atimeNs = now();
            return count;
        }
    }

    @Override
    public int write(long handle, long offsetBytes, ByteBuffer src) throws KeelException {
        maybeFail("write");
        synchronized (lock) {
            Handle h = handle(handle);
            if (!OpenFlags.canWrite(h.flags)) {
                throw err(Errno.EBADF, "handle " + handle + " is not open for writing");
            }
            Node n = h.node;
            long offset = (h.flags & OpenFlags.O_APPEND) != 0 ? n.sizeBytes : offsetBytes;
            int count = src.remaining();
            long end = offset + count;
            if (end > FILE_SIZE_MAX_BYTES) {
                throw err(Errno.EFBIG, "write to " + end);
            }
            ensureCapacity(n, end);
            src.get(n.data, (int) offset, count);
            n.sizeBytes = Math.max(n.sizeBytes, end);
            n.mtimeNs = now();
            n.ctimeNs = n.mtimeNs;
            return count;
        }
    }

    @Override
    public void flush(long handle) throws KeelException {
        maybeFail("flush");
        synchronized (lock) {
            handle(handle);
        }
    }

    @Override
    public void release(long handle) throws KeelException {
        maybeFail("release");
        synchronized (lock) {
            if (handles.remove(handle) == null) {
                throw err(Errno.EBADF, "handle " + handle);
            }
        }
    }

    @Override
    public void fsync(long handle, boolean dataOnly) throws KeelException {
        maybeFail("fsync");
        synchronized (lock) {
            handle(handle);
        }
    }

    @Override
    public void fsyncdir(String path, boolean dataOnly) throws KeelException {
        maybeFail("fsyncdir");
        synchronized (lock) {
            resolve(path);
        }
    }

    @Override
    public void fallocate(long handle, int mode, long offsetBytes, long lengthBytes)
            throws KeelException {
        maybeFail("fallocate");
        synchronized (lock) {
            Node n = handle(handle).node;
            long end = offsetBytes + lengthBytes;
            boolean keepSize = (mode & FsConstants.FALLOC_FL_KEEP_SIZE) != 0;
            int rest = mode & ~FsConstants.FALLOC_FL_KEEP_SIZE;
            if (rest != 0 && rest != FsConstants.FALLOC_FL_PUNCH_HOLE
                    && rest != FsConstants.FALLOC_FL_ZERO_RANGE) {
                throw err(Errno.EOPNOTSUPP, "fallocate mode " + mode);
            }
            if (end > FILE_SIZE_MAX_BYTES) {
                throw err(Errno.EFBIG, "fallocate to " + end);
            }
            ensureCapacity(n, end);
            if (rest != 0) {
                int zeroEnd = (int) Math.min(end, n.sizeBytes);
                if (zeroEnd > offsetBytes) {
                    Arrays.fill(n.data, (int) offsetBytes, zeroEnd, (byte) 0);
                }
            }
            if (!keepSize && end > n.sizeBytes) {
                n.sizeBytes = end;
            }
        }
    }

    @Override
    public StatFs statfs() throws KeelException {
        maybeFail("statfs");
        return new StatFs(BLOCK_SIZE_BYTES, 65536, 60000, 59000, 100000, 90000,
                FsConstants.NAME_LENGTH_MAX);
    }

    @Override
    public void setxattr(String path, String name, byte[] value, int flags)
            throws KeelException {
        maybeFail("setxattr");
        synchronized (lock) {
            Node n = resolve(path);
            boolean exists = n.xattrs.containsKey(name);
            if ((flags & FsConstants.XATTR_CREATE) != 0 && exists) {
                throw err(Errno.EEXIST, path + " xattr " + name);
            }
            if ((flags & FsConstants.XATTR_REPLACE) != 0 && !exists) {
                throw err(Errno.ENODATA, path + " xattr " + name);
            }
            n.xattrs.put(name, value.clone());
            n.ctimeNs = now();
        }
    }

    @Override
    public byte[] getxattr(String path, String name) throws KeelException {
        maybeFail("getxattr");
        synchronized (lock) {
            byte[] v = resolve(path).xattrs.get(name);
            if (v == null) {
                throw err(Errno.ENODATA, path + " xattr " + name);
            }
            return v.clone();
        }
    }

    @Override
    public List<String> listxattr(String path) throws KeelException {
        maybeFail("listxattr");
        synchronized (lock) {
            return new ArrayList<>(resolve(path).xattrs.keySet());
        }
    }

    @Override
    public void removexattr(String path, String name) throws KeelException {
        maybeFail("removexattr");
        synchronized (lock) {
            if (resolve(path).xattrs.remove(name) == null) {
                throw err(Errno.ENODATA, path + " xattr " + name);
            }
        }
    }

    @Override
    public long opendir(String path) throws KeelException {
        maybeFail("opendir");
        synchronized (lock) {
            Node n = resolve(path);
            if (!n.isDir()) {
                throw err(Errno.ENOTDIR, path);
            }
            return newHandle(n, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY);
        }
    }

    @Override
    public List<DirEntry> readdir(long handle, long offset, int entriesMax)
            throws KeelException {
        maybeFail("readdir");
        synchronized (lock) {
            Node dir = handle(handle).node;
            List<DirEntry> out = new ArrayList<>();
            if (offset < 1 && out.size() < entriesMax) {
                out.add(new DirEntry(".", dir.ino, dir.mode, 1));
            }
            if (offset < 2 && out.size() < entriesMax) {
                out.add(new DirEntry("..", dir.parent.ino, dir.parent.mode, 2));
            }
            for (var e : dir.namesByCookie.tailMap(offset, false).entrySet()) {
                if (out.size() >= entriesMax) {
                    break;
                }
                Node child = dir.children.get(e.getValue());
                out.add(new DirEntry(e.getValue(), child.ino, child.mode, e.getKey()));
            }
            return out;
        }
    }

    @Override
    public void releasedir(long handle) throws KeelException {
        release(handle);
    }

    @Override
    public void sync() throws KeelException {
        maybeFail("sync");
    }

    @Override
    public void close() throws KeelException {
        maybeFail("close");
        closeCount.incrementAndGet();
        onClose.run();
    }
}
