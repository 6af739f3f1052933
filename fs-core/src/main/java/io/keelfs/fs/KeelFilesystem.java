package io.keelfs.fs;

import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.error.DeviceIoException;
import io.keelfs.error.Errno;
import io.keelfs.error.FsException;
import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import io.keelfs.fs.Handles.Handle;
import io.keelfs.fs.PathWalk.Dots;
import io.keelfs.fs.PathWalk.Resolved;
import io.keelfs.fs.data.FileData;
import io.keelfs.fs.inode.Inode;
import io.keelfs.fs.inode.InodeTable;
import io.keelfs.fs.names.Dirent;
import io.keelfs.txn.Transaction;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The POSIX {@link Filesystem} over an {@link Engine} and a {@link FileData}.
 *
 * <p>Entry points: {@link #format} (the root inode on a fresh engine), {@link #open} (loads the
 * inode counter, frees orphans a crash left), then the {@link Filesystem} calls. The filesystem
 * owns the engine and file data it was opened on: {@link #close} syncs and closes both.
 *
 * <p>Parts: {@link PathWalk} resolves paths; {@link Namespace} and {@link Renames} change
 * names; {@link Attrs} attributes and xattrs; {@link FileIo} contents; {@link Handles} open
 * handles; {@link Orphans} unlinked-while-open inodes and interrupted truncates.
 *
 * <p>Thread-safety: every method may be called from many threads at once.
 */
public final class KeelFilesystem implements Filesystem {
    /** Root directory permissions at format. */
    private volatile io.keelfs.block.BlockDevice deviceToClose;
    public static final int ROOT_MODE = FileMode.S_IFDIR | 0755;
    /** Inodes statfs offers beyond those in use (numbers are 63-bit; report 2^32 as ext4). */
    static final long FILES_MAX = 1L << 32;
    /** readdir entries per call when the caller asks for more. */
    static final int READDIR_ENTRIES_MAX = 4096;

    private final FsState fs;
    private final Orphans orphans;
    private final Namespace namespace;
    private final Renames renames;
    private final Attrs attrs;
    private final FileIo io;

    private KeelFilesystem(FsState fs) {
        this.fs = fs;
        this.orphans = new Orphans(fs);
        this.namespace = new Namespace(fs, orphans);
        this.renames = new Renames(fs, namespace);
        this.attrs = new Attrs(fs);
        this.io = new FileIo(fs);
    }

    /**
     * Creates the root directory (mode {@link #ROOT_MODE}, nlink 2, owned by root) in one
     * flushed transaction on a freshly made engine. EEXIST if it has a root already.
     */
    public static void format(Engine engine, FsOptions options) throws KeelException {
        long now = options.clockNs().getAsLong();
        engine.update(txn -> {
            InodeTable inodes = InodeTable.load(txn, ROOT_INO);
            if (inodes.getOrNull(txn, ROOT_INO) != null) {
                throw new FsException(Errno.EEXIST, "format: the root inode exists already");
            }
            inodes.insertNew(txn, Inode.create(ROOT_INO, ROOT_MODE, 0, 0, 2, 0, ROOT_INO, now));
            return null;
        }, Durability.FLUSH);
    }

    public static KeelFilesystem open(Engine engine, FileData data) throws KeelException {
        return open(engine, data, FsOptions.defaults());
    }

    /**
     * Opens the filesystem on {@code engine}: checks the root, sets the inode counter, and
     * (unless read-only) finishes what the orphans btree lists.
     */
    public static KeelFilesystem open(Engine engine, FileData data, FsOptions options)
            throws KeelException {
        InodeTable inodes = engine.read(txn -> InodeTable.load(txn, ROOT_INO));
        Inode root = engine.read(txn -> inodes.getOrNull(txn, ROOT_INO));
        if (root == null || !root.isDirectory()) {
            throw new InconsistentException("no root directory at inode " + ROOT_INO
                    + ": not formatted as a filesystem (KeelFilesystem.format), or run fsck");
        }
        KeelFilesystem kfs = new KeelFilesystem(new FsState(engine, data, inodes, options));
        if (!engine.isReadOnly()) {
            kfs.orphans.recover(kfs.io);
        }
        return kfs;
    }

    private Stat stat(Inode inode) {
        return inode.toStat(fs.blockSizeBytes);
    }

    @Override
    public Stat getattr(String path) throws KeelException {
        return fs.engine.read(txn -> stat(fs.inodes.get(txn, fs.walk.existing(txn, path).ino(),
                path)));
    }

    @Override
    public Stat fgetattr(long handle) throws KeelException {
        Handle h = fs.handles.get(handle);
        return fs.engine.read(txn -> stat(fs.inodes.get(txn, h.ino(), "handle " + handle)));
    }

    @Override
    public String readlink(String path) throws KeelException {
        return namespace.readlink(path);
    }

    @Override
    public Stat mknod(String path, int mode, long rdev, Caller caller) throws KeelException {
        return stat(namespace.mknod(path, mode, rdev, caller));
    }

    @Override
    public Stat mkdir(String path, int mode, Caller caller) throws KeelException {
        return stat(namespace.mkdir(path, mode, caller));
    }

    @Override
    public void unlink(String path) throws KeelException {
        namespace.unlink(path);
    }

    @Override
    public void rmdir(String path) throws KeelException {
        namespace.rmdir(path);
    }

    @Override
    public Stat symlink(String target, String linkPath, Caller caller) throws KeelException {
        return stat(namespace.symlink(target, linkPath, caller));
    }

    @Override
    public void rename(String from, String to, int flags) throws KeelException {
        renames.rename(from, to, flags);
    }

    @Override
    public Stat link(String existing, String newPath) throws KeelException {
        return stat(namespace.link(existing, newPath));
    }

    @Override
    public void chmod(String path, int mode) throws KeelException {
        attrs.chmod(path, mode);
    }

    @Override
    public void chown(String path, long uid, long gid) throws KeelException {
        attrs.chown(path, uid, gid);
    }

    @Override
    public void truncate(String path, long sizeBytes) throws KeelException {
        long ino = fs.engine.read(txn -> fs.walk.existing(txn, path).ino());
        io.truncate(ino, sizeBytes, path);
    }

    @Override
    public void ftruncate(long handle, long sizeBytes) throws KeelException {
        Handle h = fs.handles.get(handle);
        if (!OpenFlags.canWrite(h.flags())) {
            throw new FsException(Errno.EINVAL, "handle " + handle + " not open for writing");
        }
        io.truncate(h.ino(), sizeBytes, "handle " + handle);
    }

    @Override
    public void utimens(String path, long atimeNs, long mtimeNs) throws KeelException {
        attrs.utimens(path, atimeNs, mtimeNs);
    }

    @Override
    public long open(String path, int flags) throws KeelException {
        Handle h = fs.engine.read(txn -> {
            Resolved r = fs.walk.existing(txn, path);
            return openResolved(txn, r, flags);
        });
        truncateOnOpen(h, path);
        return h.number();
    }

    /** Checks an open of an existing inode and adds its handle (last: nothing may fail after). */
    private Handle openResolved(Transaction txn, Resolved r, int flags) throws KeelException {
        Inode inode = fs.inodes.get(txn, r.ino(), r.path());
        if (inode.isSymlink()) {
            throw new FsException(Errno.ELOOP, r.path() + ": is a symlink");
        }
        if (inode.isDirectory() && (OpenFlags.canWrite(flags)
                || (flags & (OpenFlags.O_TRUNC | OpenFlags.O_CREAT)) != 0)) {
            throw new FsException(Errno.EISDIR, r.path() + ": is a directory");
        }
        if ((flags & OpenFlags.O_DIRECTORY) != 0 && !inode.isDirectory()) {
            throw new FsException(Errno.ENOTDIR, r.path() + ": not a directory");
        }
        return fs.handles.add(inode.ino(), flags, inode.isDirectory());
    }

    private void truncateOnOpen(Handle h, String path) throws KeelException {
        if ((h.flags() & OpenFlags.O_TRUNC) == 0 || h.directory()) {
            return;
        }
        try {
            Inode inode = fs.engine.read(txn -> fs.inodes.get(txn, h.ino(), path));
            if (inode.isRegular()) {
                io.truncate(h.ino(), 0, path);
            }
        } catch (KeelException e) {
            release(h.number());
            throw e;
        }
    }

    @Override
    public long create(String path, int mode, int flags, Caller caller) throws KeelException {
        Handle[] added = new Handle[1];
        boolean[] existed = new boolean[1];
        int m = FileMode.S_IFREG | (mode & FileMode.PERMISSION_MASK);
        try {
            fs.engine.update(txn -> {
                Resolved r = fs.walk.resolve(txn, path);
                if (r.dots() != Dots.NONE) {
                    throw new FsException(Errno.EISDIR, path + ": is a directory");
                }
                if (r.exists() && (flags & OpenFlags.O_EXCL) != 0) {
                    throw new FsException(Errno.EEXIST, path + ": exists");
                }
                if (added[0] != null) {
                    // The engine runs the body again (nothing of the last run was applied).
                    fs.handles.remove(added[0]);
                    added[0] = null;
                }
                existed[0] = r.exists();
                if (r.exists()) {
                    added[0] = openResolved(txn, r, flags);
                    return null;
                }
                long ino = namespace.create(txn, r, m, 0, caller).ino();
                added[0] = fs.handles.add(ino, flags, false);
                return null;
            }, Durability.NO_FLUSH);
        } catch (KeelException | RuntimeException e) {
            if (added[0] != null) {
                fs.handles.remove(added[0]);
            }
            throw e;
        }
        if (existed[0]) {
            truncateOnOpen(added[0], path);
        }
        return added[0].number();
    }

    private Handle fileHandle(long handle, boolean write) throws KeelException {
        Handle h = fs.handles.get(handle);
        if (h.directory()) {
            throw new FsException(Errno.EISDIR, "handle " + handle + " is a directory");
        }
        boolean allowed = write ? OpenFlags.canWrite(h.flags()) : OpenFlags.canRead(h.flags());
        if (!allowed) {
            throw new FsException(Errno.EBADF, "handle " + handle + " not open for "
                    + (write ? "writing" : "reading"));
        }
        return h;
    }

    @Override
    public int read(long handle, long offsetBytes, ByteBuffer dst) throws KeelException {
        Handle h = fileHandle(handle, false);
        return io.read(h.ino(), offsetBytes, dst);
    }

    @Override
    public int write(long handle, long offsetBytes, ByteBuffer src) throws KeelException {
        Handle h = fileHandle(handle, true);
        return io.write(h.ino(), offsetBytes, src, (h.flags() & OpenFlags.O_APPEND) != 0);
    }

    @Override
    public void flush(long handle) throws KeelException {
        fs.handles.get(handle);
    }

    @Override
    public void release(long handle) throws KeelException {
        Handle h = fs.handles.get(handle);
        if (fs.handles.remove(h) == 0) {
            Inode inode = fs.engine.read(txn -> fs.inodes.getOrNull(txn, h.ino()));
            if (inode != null && inode.nlink() == 0) {
                orphans.reapIfUnused(h.ino());
            }
        }
    }

    @Override
    public void fsync(long handle, boolean dataOnly) throws KeelException {
        io.fsync(fs.handles.get(handle).ino(), dataOnly);
    }

    @Override
    public void fsyncdir(String path, boolean dataOnly) throws KeelException {
        io.fsync(fs.engine.read(txn -> fs.walk.existing(txn, path).ino()), dataOnly);
    }

    @Override
    public void fallocate(long handle, int mode, long offsetBytes, long lengthBytes)
            throws KeelException {
        Handle h = fileHandle(handle, true);
        io.fallocate(h.ino(), mode, offsetBytes, lengthBytes);
    }

    @Override
    public StatFs statfs() throws KeelException {
        long count = fs.engine.read(fs.inodes::count);
        long bs = fs.blockSizeBytes;
        long total = fs.data.totalBytes() / bs;
        long free = Math.min(total, fs.data.freeBytes() / bs);
        long avail = Math.min(free, fs.data.availBytes() / bs);
        return new StatFs((int) bs, total, free, avail, FILES_MAX,
                Math.max(0, FILES_MAX - count), FsConstants.NAME_LENGTH_MAX);
    }

    @Override
    public void setxattr(String path, String name, byte[] value, int flags)
            throws KeelException {
        attrs.setxattr(path, name, value, flags);
    }

    @Override
    public byte[] getxattr(String path, String name) throws KeelException {
        return attrs.getxattr(path, name);
    }

    @Override
    public List<String> listxattr(String path) throws KeelException {
        return attrs.listxattr(path);
    }

    @Override
    public void removexattr(String path, String name) throws KeelException {
        attrs.removexattr(path, name);
    }

    @Override
    public long opendir(String path) throws KeelException {
        return fs.engine.read(txn -> {
            Resolved r = fs.walk.existing(txn, path);
            Inode inode = fs.inodes.get(txn, r.ino(), path);
            if (!inode.isDirectory()) {
                throw new FsException(Errno.ENOTDIR, path + ": not a directory");
            }
            return fs.handles.add(inode.ino(), OpenFlags.O_RDONLY, true).number();
        });
    }

    @Override
    public List<DirEntry> readdir(long handle, long offset, int entriesMax)
            throws KeelException {
        Handle h = fs.handles.get(handle);
        if (!h.directory()) {
            throw new FsException(Errno.ENOTDIR, "handle " + handle + " is not a directory");
        }
        if (offset < 0 || entriesMax <= 0) {
            throw new FsException(Errno.EINVAL, "readdir offset " + offset + " max "
                    + entriesMax);
        }
        int max = Math.min(entriesMax, READDIR_ENTRIES_MAX);
        return fs.engine.read(txn -> {
            Inode dir = fs.inodes.get(txn, h.ino(), "handle " + handle);
            List<DirEntry> out = new ArrayList<>();
            if (dir.nlink() == 0) {
                return out; // removed while open: Linux lists nothing
            }
            if (offset == 0) {
                out.add(new DirEntry(".", dir.ino(), FileMode.S_IFDIR, 1));
            }
            if (offset <= 1 && out.size() < max) {
                out.add(new DirEntry("..", dir.parentIno(), FileMode.S_IFDIR, 2));
            }
            for (Dirent d : fs.dirents.list(txn, dir.ino(), offset, max - out.size())) {
                out.add(new DirEntry(d.nameString(), d.childIno(), d.typeBits(),
                        d.offset() + 1));
            }
            return out;
        });
    }

    @Override
    public void releasedir(long handle) throws KeelException {
        release(handle);
    }

    @Override
    public void sync() throws KeelException {
        io.fsync(ROOT_INO, false);
    }

    /**
     * Makes {@link #close} close {@code device} last (a mount owns its image file). Returns
     * this.
     */
    public KeelFilesystem closingDevice(io.keelfs.block.BlockDevice device) {
        deviceToClose = device;
        return this;
    }

    /**
     * Syncs, closes the file data, then the engine (checkpoint, clean superblock), then the
     * device given to {@link #closingDevice}.
     */
    @Override
    public void close() throws KeelException {
        try {
            if (!fs.engine.isReadOnly()) {
                sync();
            }
        } finally {
            try {
                fs.data.close();
            } finally {
                try {
                    fs.engine.close();
                } finally {
                    closeDevice();
                }
            }
        }
    }

    private void closeDevice() throws DeviceIoException {
        io.keelfs.block.BlockDevice device = deviceToClose;
        deviceToClose = null;
        if (device != null) {
            try {
                device.close();
            } catch (java.io.IOException e) {
                throw new DeviceIoException("closing " + device.describe() + ": "
                        + e.getMessage(), e);
            }
        }
    }

    /** Orphan keys outstanding (tests, fsck). */
    long orphanCount() throws KeelException {
        return orphans.count();
    }

    /** The shared parts (tests that set up states calls cannot reach cheaply). */
    FsState state() {
        return fs;
    }

    /** Open handles (tests). */
    int handleCount() {
        return fs.handles.size();
    }
}
