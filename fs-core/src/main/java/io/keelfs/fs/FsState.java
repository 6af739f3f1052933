package io.keelfs.fs;

import com.google.common.util.concurrent.Striped;
import io.keelfs.engine.Engine;
import io.keelfs.format.BtreeId;
import io.keelfs.fs.data.FileData;
import io.keelfs.fs.inode.InodeTable;
import io.keelfs.fs.names.Dirents;
import io.keelfs.fs.xattr.Xattrs;
import java.util.concurrent.locks.Lock;

/**
 * What the parts of one mounted filesystem share: the engine, file contents, the inode table,
 * dirents, xattrs, handles, per-inode locks and the clock.
 *
 * <p>Per-inode locks serialise writes, truncates, punches and the freeing of one inode (the
 * {@link FileData} contract); they are striped, so two inodes may share a lock, which is safe
 * because nobody holds two at once. Namespace operations take no inode lock: each does its
 * lookups, checks and updates inside one engine transaction, which the engine runs under its
 * exclusive lock, so no check can go stale before its update commits.
 *
 * <p>Thread-safety: immutable references to thread-safe parts.
 */
final class FsState {
    /** Stripes of per-inode locks: enough that unrelated files rarely share one. */
    static final int INODE_LOCK_STRIPES = 1024;

    final Engine engine;
    final FileData data;
    final InodeTable inodes;
    final Dirents dirents;
    final Xattrs xattrs;
    final PathWalk walk;
    final Handles handles = new Handles();
    final FsOptions options;
    final int blockSizeBytes;
    private final Striped<Lock> inodeLocks = Striped.lock(INODE_LOCK_STRIPES);

    FsState(Engine engine, FileData data, InodeTable inodes, FsOptions options) {
        this.engine = engine;
        this.data = data;
        this.inodes = inodes;
        this.options = options;
        this.dirents = new Dirents(options.nameHash());
        this.xattrs = new Xattrs(options.nameHash(), engine.keyBytesMax(BtreeId.XATTRS));
        this.walk = new PathWalk(inodes, dirents);
        this.blockSizeBytes = engine.superblock().geometry().blockSizeBytes();
    }

    long nowNs() {
        return options.clockNs().getAsLong();
    }

    Lock inodeLock(long ino) {
        return inodeLocks.get(ino);
    }
}
