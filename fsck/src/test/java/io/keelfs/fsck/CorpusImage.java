package io.keelfs.fsck;

import io.keelfs.alloc.ManagedEngine;
import io.keelfs.btree.BtreeSet;
import io.keelfs.btree.NodeCache;
import io.keelfs.btree.SlotNodeStore;
import io.keelfs.btree.TreeCheck;
import io.keelfs.engine.ImageReport;
import io.keelfs.format.BtreeId;
import io.keelfs.format.NodePointer;
import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import io.keelfs.error.KeelException;
import io.keelfs.fs.Caller;
import io.keelfs.fs.DirEntry;
import io.keelfs.fs.FileMode;
import io.keelfs.fs.KeelFilesystem;
import io.keelfs.fs.KeelImage;
import io.keelfs.fs.OpenFlags;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A small populated keelfs image in memory for the corruption corpus and the fuzz test, made
 * through the real stack (format, mount, Filesystem calls, close), plus the helpers that damage
 * it (an engine transaction on the closed image, or bytes on the device) and that snapshot
 * every reachable file's content by inode number.
 */
final class CorpusImage {
    static final int BLOCK = 4096;
    static final int BUCKET = 64 << 10;
    static final int NODE = 8 << 10;

    final MemoryBlockDevice device;
    final Map<String, Long> ino = new HashMap<>();
    final List<String> log = new ArrayList<>();

    CorpusImage(long sizeBytes) {
        device = new MemoryBlockDevice(sizeBytes, BLOCK, "corpus");
    }

    private CorpusImage(MemoryBlockDevice device, Map<String, Long> ino) {
        this.device = device;
        this.ino.putAll(ino);
    }

    /** A copy-on-write copy of this image (cheap: the fuzz test damages many copies). */
    CorpusImage copy() {
        return new CorpusImage(device.snapshot(), ino);
    }

    static CorpusImage formatted() throws KeelException {
        CorpusImage img = new CorpusImage(32L << 20);
        KeelImage.format(img.device, new Mkfs.Options(BLOCK, BUCKET, NODE, "corpus"));
        return img;
    }

    static byte[] content(int seed, int length) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Directories /a, /a/b, /c; files of several sizes; a hard link, a symlink, xattrs. */
    static CorpusImage populated() throws KeelException {
        CorpusImage img = formatted();
        try (KeelFilesystem fs = KeelImage.open(img.device, options())) {
            fs.mkdir("/a", 0755, Caller.ROOT);
            fs.mkdir("/a/b", 0755, Caller.ROOT);
            fs.mkdir("/c", 0750, Caller.ROOT);
            write(fs, "/f1", content(1, 3 * BLOCK));
            write(fs, "/a/f2", content(2, 5000));
            write(fs, "/a/b/f3", content(3, 50 * BLOCK));
            write(fs, "/c/f4", content(4, 2 * BLOCK));
            write(fs, "/c/f5", content(5, 10));
            write(fs, "/a/b/f6", content(6, 7 * BLOCK + 100));
            fs.link("/f1", "/c/link1");
            fs.symlink("/f1", "/s1", Caller.ROOT);
            fs.setxattr("/f1", "user.color", "blue".getBytes(StandardCharsets.UTF_8), 0);
            fs.setxattr("/a", "trusted.x", new byte[] {1, 2, 3}, 0);
            for (String p : List.of("/a", "/a/b", "/c", "/f1", "/a/f2", "/a/b/f3", "/c/f4",
                    "/c/f5", "/a/b/f6", "/s1")) {
                img.ino.put(p, fs.getattr(p).ino());
            }
        }
        return img;
    }

    /**
     * {@link #populated} plus {@code count} small files in /many (named m0, m1, ...), so that
     * the inode, dirent and extent btrees have several leaves.
     */
    static CorpusImage populatedMany(int count) throws KeelException {
        CorpusImage img = populated();
        try (KeelFilesystem fs = KeelImage.open(img.device, options())) {
            fs.mkdir("/many", 0755, Caller.ROOT);
            for (int i = 0; i < count; i++) {
                write(fs, "/many/m" + i, content(1000 + i, 100 + 37 * i));
            }
        }
        return img;
    }

    static KeelImage.Options options() {
        return KeelImage.Options.defaults().withEngine(
                EngineOptions.defaults().withCheckpointIntervalMs(0));
    }

    private static void write(KeelFilesystem fs, String path, byte[] data) throws KeelException {
        long h = fs.create(path, 0644, OpenFlags.O_RDWR, Caller.ROOT);
        fs.write(h, 0, ByteBuffer.wrap(data));
        fs.release(h);
    }

    long ino(String path) {
        return ino.get(path);
    }

    /** One flushed engine transaction on the closed image (the damage goes through the journal). */
    void damage(Engine.Body<?> body) throws KeelException {
        try (ManagedEngine m = ManagedEngine.open(device, EngineOptions.defaults()
                .withCheckpointIntervalMs(0))) {
            m.engine().update(body, Durability.FLUSH);
        }
    }

    <T> T read(Engine.Body<T> body) throws KeelException {
        try (ManagedEngine m = ManagedEngine.open(device, EngineOptions.defaults()
                .withReadOnly(true))) {
            return m.engine().read(body);
        }
    }

    void flipByte(long offset) {
        long block = offset - offset % BLOCK;
        ByteBuffer buf = ByteBuffer.allocate(BLOCK);
        device.read(block, buf);
        int at = (int) (offset - block);
        buf.put(at, (byte) (buf.get(at) ^ 0x5a));
        buf.clear();
        device.write(block, buf, false);
    }

    FsckReport fsck(boolean repair, boolean checkData) {
        log.clear();
        return Fsck.run(device, new FsckOptions(repair, true, false, checkData), log::add);
    }

    /** Content of every file reachable from the root, by inode (symlinks: their target). */
    Map<Long, String> snapshot() throws KeelException {
        Map<Long, String> out = new HashMap<>();
        KeelImage.Options ro = options().withEngine(options().engine().withReadOnly(true));
        try (KeelFilesystem fs = KeelImage.open(device, ro)) {
            walk(fs, "/", out, 0);
        }
        return out;
    }

    private static void walk(KeelFilesystem fs, String dir, Map<Long, String> out, int depth)
            throws KeelException {
        if (depth > 16) {
            return;
        }
        long h = fs.opendir(dir);
        List<DirEntry> entries = fs.readdir(h, 0, 10_000);
        fs.releasedir(h);
        for (DirEntry e : entries) {
            if (e.name().equals(".") || e.name().equals("..")) {
                continue;
            }
            String path = (dir.equals("/") ? "" : dir) + "/" + e.name();
            int mode = fs.getattr(path).mode();
            if (FileMode.isDirectory(mode)) {
                walk(fs, path, out, depth + 1);
            } else if (FileMode.isSymlink(mode)) {
                out.put(e.ino(), "->" + fs.readlink(path));
            } else {
                long fh = fs.open(path, OpenFlags.O_RDONLY);
                long size = fs.fgetattr(fh).sizeBytes();
                ByteBuffer buf = ByteBuffer.allocate((int) size);
                while (buf.hasRemaining() && fs.read(fh, buf.position(), buf) > 0) {
                    // read on
                }
                fs.release(fh);
                out.put(e.ino(), java.util.HexFormat.of().formatHex(digest(buf.array())));
            }
        }
    }

    private static byte[] digest(byte[] data) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Offsets of the nodes of {@code id} on the device, root first (none: empty or damaged). */
    List<Long> nodeOffsets(BtreeId id) throws Exception {
        List<Long> out = new ArrayList<>();
        for (NodePointer p : nodes(id)) {
            out.add(p.offsetBytes());
        }
        return out;
    }

    /** Pointers to the nodes of {@code id}, depth first, root first. */
    List<NodePointer> nodes(BtreeId id) throws Exception {
        if (!(ImageReport.describe(device).trees().get(id)
                instanceof ImageReport.TreeState.Walked walked)) {
            return List.of();
        }
        BtreeSet trees = BtreeSet.open(Map.of(id, walked.root()), new SlotNodeStore(device,
                List.of(new SlotNodeStore.Range(0, device.sizeBytes())), NODE),
                new NodeCache(1 << 20), NODE);
        List<NodePointer> out = new ArrayList<>();
        TreeCheck.walk(trees.tree(id), new TreeCheck.Sink() {
            @Override
            public void damaged(BtreeId b, NodePointer p, KeelException e) {}

            @Override
            public void node(BtreeId b, NodePointer p) {
                out.add(p);
            }
        });
        return out;
    }
}
