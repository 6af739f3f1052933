package io.keelfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

import io.keelfs.error.Errno;
import io.keelfs.error.KeelException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

/**
 * fsx-style model test: random create/write/truncate/punch/zero-range/fallocate (mode 0,
 * KEEP_SIZE)/read/fsync, rename in
 * all three flavours, link, unlink (also of open files), mkdir, rmdir, symlink, xattr
 * operations and remounts (clean, or a crash right after sync; open handles released or
 * dropped), run against KeelFilesystem and
 * a tiny in-memory model of the namespace and contents. Every call's outcome (success or the
 * exact errno) must match the model's; the whole tree (names, types, link counts, sizes,
 * contents byte for byte, symlink targets, xattrs, hard-link identity) is compared every
 * {@link #FULL_CHECK_EVERY} operations, after every remount and at the end.
 *
 * <p>Runs over the MemoryFileData test double (fast) and over the real extents
 * ({@link FsFixture#real}). Not covered: crashes that lose unsynced work (recovery-tests owns
 * those), permissions,
 * timestamps (their own tests), "." and ".." in paths, EMLINK. Names come from a small pool,
 * so collisions of names (EEXIST, ENOTEMPTY, overwrites) are frequent. Action weights are drawn
 * per try (swarm testing); the seed is in every failure message and replays with
 * {@code @Property(seed=...)} or by fixing the {@code seed} parameter.
 */
class KeelFilesystemModelTest {
    static final int OPS_PER_TRY = 5_000;
    static final int FULL_CHECK_EVERY = 500;
    private static final String[] NAMES = {"a", "b", "c", "d", "e"};
    private static final int ACTIONS = 16;

    /** A model inode: a directory, regular file or symlink. */
    static final class Node {
        final int type;
        byte[] data = new byte[0];
        String target;
        final TreeMap<String, Node> children = new TreeMap<>();
        final TreeMap<String, byte[]> xattrs = new TreeMap<>();
        int nlink = 1;

        Node(int type) {
            this.type = type;
        }

        boolean dir() {
            return type == FileMode.S_IFDIR;
        }
    }

    /** A resolved model path: an errno, or the parent with the last name and its node. */
    record Res(Errno err, Node parent, String name, Node node) {}

    record OpenFile(long handle, Node node, boolean append) {}

    private Random random;
    private FsFixture f;
    private Node root;
    private final List<OpenFile> open = new ArrayList<>();
    private String where;

    @Property(tries = 10)
    void filesystemMatchesModel(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long seed)
            throws Exception {
        run(seed, false, OPS_PER_TRY);
    }

    /** The same over the real extents, allocator and device (fewer operations: slower). */
    @Property(tries = 3)
    void filesystemOnExtentsMatchesModel(
            @ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long seed) throws Exception {
        run(seed, true, OPS_PER_TRY / 2);
    }

    private void run(long seed, boolean real, int ops) throws Exception {
        random = new Random(seed);
        int[] weights = new int[ACTIONS];
        for (int i = 0; i < ACTIONS; i++) {
            weights[i] = 1 + random.nextInt(10);
        }
        weights[ACTIONS - 1] = 1; // remounts stay rare
        root = new Node(FileMode.S_IFDIR);
        open.clear();
        f = real ? FsFixture.real(FsOptions.defaults()) : FsFixture.create();
        try {
            for (int op = 0; op < ops; op++) {
                where = "seed " + seed + " op " + op;
                step(pick(weights));
                if (op % FULL_CHECK_EVERY == FULL_CHECK_EVERY - 1) {
                    checkTree();
                }
            }
            for (OpenFile o : open) {
                f.fs.release(o.handle());
            }
            open.clear();
            f.remount();
            checkTree();
        } catch (Exception | AssertionError e) {
            throw new AssertionError(where + ": " + e, e);
        } finally {
            f.close();
        }
    }

    private int pick(int[] weights) {
        int total = Arrays.stream(weights).sum();
        int r = random.nextInt(total);
        for (int i = 0; i < weights.length; i++) {
            r -= weights[i];
            if (r < 0) {
                return i;
            }
        }
        throw new IllegalStateException();
    }

    private String randomPath() {
        int depth = 1 + random.nextInt(3);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            b.append('/').append(NAMES[random.nextInt(NAMES.length)]);
        }
        return b.toString();
    }

    private Res resolve(String path) {
        String[] parts = path.substring(1).split("/");
        Node cur = root;
        for (int i = 0; i < parts.length - 1; i++) {
            if (!cur.dir()) {
                return new Res(Errno.ENOTDIR, null, null, null);
            }
            cur = cur.children.get(parts[i]);
            if (cur == null) {
                return new Res(Errno.ENOENT, null, null, null);
            }
        }
        if (!cur.dir()) {
            return new Res(Errno.ENOTDIR, null, null, null);
        }
        String name = parts[parts.length - 1];
        return new Res(null, cur, name, cur.children.get(name));
    }

    @FunctionalInterface
    interface Call {
        void run() throws KeelException;
    }

    /** Runs {@code call}; it must fail with {@code expected}, or succeed when that is null. */
    private boolean expect(Errno expected, Call call) throws KeelException {
        try {
            call.run();
        } catch (KeelException e) {
            if (e.errno() != expected) {
                throw new AssertionError(where + ": expected " + expected + ", got " + e.errno()
                        + ": " + e.getMessage(), e);
            }
            return false;
        }
        assertNull(expected, where + ": succeeded, model expected " + expected);
        return true;
    }

    private void step(int action) throws Exception {
        switch (action) {
            case 0 -> create();
            case 1 -> write();
            case 2 -> truncate();
            case 3 -> fallocate();
            case 4 -> read();
            case 5 -> release();
            case 6 -> rename();
            case 7 -> link();
            case 8 -> unlink();
            case 9 -> mkdir();
            case 10 -> rmdir();
            case 11 -> symlink();
            case 12 -> xattr();
            case 13 -> fsync();
            case 14 -> create();
            default -> remount();
        }
    }

    private void create() throws KeelException {
        String path = randomPath();
        Res r = resolve(path);
        boolean excl = random.nextBoolean();
        boolean append = random.nextInt(4) == 0;
        Errno err = r.err();
        if (err == null && r.node() != null) {
            if (excl) {
                err = Errno.EEXIST;
            } else if (r.node().dir()) {
                err = Errno.EISDIR;
            } else if (r.node().type == FileMode.S_IFLNK) {
                err = Errno.ELOOP;
            }
        }
        int flags = OpenFlags.O_RDWR | OpenFlags.O_CREAT | (excl ? OpenFlags.O_EXCL : 0)
                | (append ? OpenFlags.O_APPEND : 0);
        long[] h = new long[1];
        if (expect(err, () -> h[0] = f.fs.create(path, 0644, flags, FsFixture.USER))) {
            Node n = r.node();
            if (n == null) {
                n = new Node(FileMode.S_IFREG);
                r.parent().children.put(r.name(), n);
            }
            open.add(new OpenFile(h[0], n, append));
        }
    }

    private OpenFile randomOpen() {
        return open.isEmpty() ? null : open.get(random.nextInt(open.size()));
    }

    private byte[] randomBytes(int length) {
        byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }

    private void write() throws KeelException {
        OpenFile o = randomOpen();
        if (o == null) {
            return;
        }
        int length = random.nextInt(9000);
        long offset = random.nextInt(3) == 0 ? o.node().data.length
                : random.nextInt(40_000);
        byte[] bytes = randomBytes(length);
        assertEquals(length, f.fs.write(o.handle(), offset, ByteBuffer.wrap(bytes)), where);
        if (length == 0) {
            return;
        }
        long at = o.append() ? o.node().data.length : offset;
        Node n = o.node();
        if (at + length > n.data.length) {
            n.data = Arrays.copyOf(n.data, (int) (at + length));
        }
        System.arraycopy(bytes, 0, n.data, (int) at, length);
    }

    private void truncate() throws KeelException {
        int size = random.nextInt(50_000);
        OpenFile o = randomOpen();
        if (o != null && random.nextBoolean()) {
            f.fs.ftruncate(o.handle(), size);
            o.node().data = Arrays.copyOf(o.node().data, size);
            return;
        }
        String path = randomPath();
        Res r = resolve(path);
        Errno err = r.err();
        if (err == null && r.node() == null) {
            err = Errno.ENOENT;
        } else if (err == null && r.node().dir()) {
            err = Errno.EISDIR;
        } else if (err == null && r.node().type != FileMode.S_IFREG) {
            err = Errno.EINVAL;
        }
        if (expect(err, () -> f.fs.truncate(path, size))) {
            r.node().data = Arrays.copyOf(r.node().data, size);
        }
    }

    private void fallocate() throws KeelException {
        OpenFile o = randomOpen();
        if (o == null) {
            return;
        }
        long offset = random.nextInt(45_000);
        long length = 1 + random.nextInt(20_000);
        Node n = o.node();
        int kind = random.nextInt(4);
        int mode = switch (kind) {
            case 0 -> FsConstants.FALLOC_FL_PUNCH_HOLE | FsConstants.FALLOC_FL_KEEP_SIZE;
            case 1 -> FsConstants.FALLOC_FL_ZERO_RANGE;
            case 2 -> 0;
            default -> FsConstants.FALLOC_FL_KEEP_SIZE;
        };
        f.fs.fallocate(o.handle(), mode, offset, length);
        long end = offset + length;
        if (kind <= 1) {
            Arrays.fill(n.data, (int) Math.min(offset, n.data.length),
                    (int) Math.min(end, n.data.length), (byte) 0);
        }
        if ((kind == 1 || kind == 2) && end > n.data.length) {
            n.data = Arrays.copyOf(n.data, (int) end);
        }
    }

    private void read() throws KeelException {
        OpenFile o = randomOpen();
        if (o != null && random.nextBoolean()) {
            assertArrayEquals(o.node().data, readAll(o.handle(), o.node().data.length), where);
            return;
        }
        String path = randomPath();
        Res r = resolve(path);
        Errno err = r.err();
        if (err == null && r.node() == null) {
            err = Errno.ENOENT;
        } else if (err == null && r.node().type == FileMode.S_IFLNK) {
            err = Errno.ELOOP;
        }
        long[] h = new long[1];
        if (expect(err, () -> h[0] = f.fs.open(path, OpenFlags.O_RDONLY))) {
            try {
                if (!r.node().dir()) {
                    assertArrayEquals(r.node().data, readAll(h[0], r.node().data.length),
                            where + " " + path);
                }
            } finally {
                f.fs.release(h[0]);
            }
        }
    }

    private byte[] readAll(long handle, int expectedLength) throws KeelException {
        ByteBuffer b = ByteBuffer.allocate(expectedLength + 100);
        int chunk = 1 + random.nextInt(20_000);
        while (b.hasRemaining()) {
            ByteBuffer slice = b.slice();
            slice.limit(Math.min(chunk, slice.remaining()));
            int n = f.fs.read(handle, b.position(), slice);
            if (n == 0) {
                break;
            }
            b.position(b.position() + n);
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    private void release() throws KeelException {
        if (!open.isEmpty()) {
            f.fs.release(open.remove(random.nextInt(open.size())).handle());
        }
    }

    private void fsync() throws KeelException {
        OpenFile o = randomOpen();
        if (o != null) {
            f.fs.fsync(o.handle(), random.nextBoolean());
        } else {
            f.fs.sync();
        }
    }

    private static boolean isAncestorOrSelf(Node dir, Node of, Map<Node, Node> parents) {
        for (Node cur = of; cur != null; cur = parents.get(cur)) {
            if (cur == dir) {
                return true;
            }
        }
        return false;
    }

    private Map<Node, Node> parents() {
        Map<Node, Node> out = new IdentityHashMap<>();
        fillParents(root, out);
        return out;
    }

    private static void fillParents(Node dir, Map<Node, Node> out) {
        for (Node c : dir.children.values()) {
            if (c.dir()) {
                out.put(c, dir);
                fillParents(c, out);
            }
        }
    }

    private void rename() throws KeelException {
        String from = randomPath();
        String to = randomPath();
        int flags = new int[] {0, 0, FsConstants.RENAME_NOREPLACE,
                FsConstants.RENAME_EXCHANGE}[random.nextInt(4)];
        Res a = resolve(from);
        Res b = a.err() == null && a.node() != null ? resolve(to) : null;
        Errno err = renameErrno(a, b, flags);
        if (!expect(err, () -> f.fs.rename(from, to, flags)) || b.node() == a.node()) {
            return;
        }
        if (flags == FsConstants.RENAME_EXCHANGE) {
            a.parent().children.put(a.name(), b.node());
            b.parent().children.put(b.name(), a.node());
            return;
        }
        a.parent().children.remove(a.name());
        Node victim = b.parent().children.put(b.name(), a.node());
        if (victim != null && !victim.dir()) {
            victim.nlink--;
        }
    }

    private Errno renameErrno(Res a, Res b, int flags) {
        if (a.err() != null) {
            return a.err();
        }
        if (a.node() == null) {
            return Errno.ENOENT;
        }
        if (b.err() != null) {
            return b.err();
        }
        if (b.node() == a.node()) {
            return flags == FsConstants.RENAME_NOREPLACE ? Errno.EEXIST : null;
        }
        if (flags == FsConstants.RENAME_NOREPLACE && b.node() != null) {
            return Errno.EEXIST;
        }
        Map<Node, Node> parents = parents();
        boolean cross = a.parent() != b.parent();
        if (flags == FsConstants.RENAME_EXCHANGE) {
            if (b.node() == null) {
                return Errno.ENOENT;
            }
            if (cross && a.node().dir() && isAncestorOrSelf(a.node(), b.parent(), parents)) {
                return Errno.EINVAL;
            }
            if (cross && b.node().dir() && isAncestorOrSelf(b.node(), a.parent(), parents)) {
                return Errno.EINVAL;
            }
            return null;
        }
        Node v = b.node();
        if (v != null) {
            if (a.node().dir() && !v.dir()) {
                return Errno.ENOTDIR;
            }
            if (!a.node().dir() && v.dir()) {
                return Errno.EISDIR;
            }
            if (v.dir() && !v.children.isEmpty()) {
                return Errno.ENOTEMPTY;
            }
        }
        if (cross && a.node().dir() && isAncestorOrSelf(a.node(), b.parent(), parents)) {
            return Errno.EINVAL;
        }
        return null;
    }

    private void link() throws KeelException {
        String from = randomPath();
        String to = randomPath();
        Res a = resolve(from);
        Errno err = a.err();
        Res b = null;
        if (err == null && a.node() == null) {
            err = Errno.ENOENT;
        } else if (err == null && a.node().dir()) {
            err = Errno.EPERM;
        } else if (err == null) {
            b = resolve(to);
            err = b.err() != null ? b.err() : b.node() != null ? Errno.EEXIST : null;
        }
        Res dst = b;
        if (expect(err, () -> f.fs.link(from, to))) {
            dst.parent().children.put(dst.name(), a.node());
            a.node().nlink++;
        }
    }

    private void unlink() throws KeelException {
        String path = randomPath();
        Res r = resolve(path);
        Errno err = r.err();
        if (err == null && r.node() == null) {
            err = Errno.ENOENT;
        } else if (err == null && r.node().dir()) {
            err = Errno.EISDIR;
        }
        if (expect(err, () -> f.fs.unlink(path))) {
            r.parent().children.remove(r.name());
            r.node().nlink--;
        }
    }

    private void mkdir() throws KeelException {
        String path = randomPath();
        Res r = resolve(path);
        Errno err = r.err() != null ? r.err() : r.node() != null ? Errno.EEXIST : null;
        if (expect(err, () -> f.fs.mkdir(path, 0755, FsFixture.USER))) {
            r.parent().children.put(r.name(), new Node(FileMode.S_IFDIR));
        }
    }

    private void rmdir() throws KeelException {
        String path = randomPath();
        Res r = resolve(path);
        Errno err = r.err();
        if (err == null && r.node() == null) {
            err = Errno.ENOENT;
        } else if (err == null && !r.node().dir()) {
            err = Errno.ENOTDIR;
        } else if (err == null && !r.node().children.isEmpty()) {
            err = Errno.ENOTEMPTY;
        }
        if (expect(err, () -> f.fs.rmdir(path))) {
            r.parent().children.remove(r.name());
        }
    }

    private void symlink() throws KeelException {
        String path = randomPath();
        String target = "t".repeat(1 + random.nextInt(300)) + random.nextInt(1000);
        Res r = resolve(path);
        Errno err = r.err() != null ? r.err() : r.node() != null ? Errno.EEXIST : null;
        if (expect(err, () -> f.fs.symlink(target, path, FsFixture.USER))) {
            Node n = new Node(FileMode.S_IFLNK);
            n.target = target;
            r.parent().children.put(r.name(), n);
        }
    }

    private void xattr() throws KeelException {
        String path = randomPath();
        Res r = resolve(path);
        Errno missing = r.err() != null ? r.err() : r.node() == null ? Errno.ENOENT : null;
        String name = "user." + NAMES[random.nextInt(NAMES.length)];
        int kind = random.nextInt(4);
        if (kind == 0) {
            byte[] value = randomBytes(random.nextInt(300));
            int flags = random.nextInt(3);
            Errno err = missing;
            if (err == null && flags == FsConstants.XATTR_CREATE
                    && r.node().xattrs.containsKey(name)) {
                err = Errno.EEXIST;
            } else if (err == null && flags == FsConstants.XATTR_REPLACE
                    && !r.node().xattrs.containsKey(name)) {
                err = Errno.ENODATA;
            }
            if (expect(err, () -> f.fs.setxattr(path, name, value, flags))) {
                r.node().xattrs.put(name, value);
            }
        } else if (kind == 1) {
            Errno err = missing != null ? missing
                    : r.node().xattrs.containsKey(name) ? null : Errno.ENODATA;
            if (expect(err, () -> f.fs.removexattr(path, name))) {
                r.node().xattrs.remove(name);
            }
        } else if (kind == 2) {
            Errno err = missing != null ? missing
                    : r.node().xattrs.containsKey(name) ? null : Errno.ENODATA;
            byte[][] got = new byte[1][];
            if (expect(err, () -> got[0] = f.fs.getxattr(path, name))) {
                assertArrayEquals(r.node().xattrs.get(name), got[0], where);
            }
        } else {
            List<String>[] got = new List[1];
            if (expect(missing, () -> got[0] = f.fs.listxattr(path))) {
                assertEquals(r.node().xattrs.keySet(), new TreeSet<>(got[0]), where);
            }
        }
    }

    private void remount() throws KeelException {
        if (random.nextBoolean()) {
            for (OpenFile o : open) {
                f.fs.release(o.handle());
            }
        }
        // Handles not released die with the mount; their unlinked inodes go at mount.
        open.clear();
        if (random.nextBoolean()) {
            f.remount();
        } else {
            f.crashAndRemount(); // after a sync: everything is durable, the model stays exact
        }
        checkTree();
        assertEquals(0, f.fs.orphanCount(), where);
    }

    /** Compares the whole tree with the model. */
    private void checkTree() throws KeelException {
        Map<Node, Long> inos = new IdentityHashMap<>();
        Map<Long, Node> nodes = new HashMap<>();
        checkDir("/", root, inos, nodes);
        assertEquals(List.of(), NamespaceVerifier.verify(f.fs.state().engine), where);
        if (open.isEmpty()) {
            long files = KeelFilesystem.FILES_MAX - f.fs.statfs().filesFree();
            assertEquals(inos.size() + 1, files, where + ": inode count");
        }
    }

    private void checkDir(String path, Node dir, Map<Node, Long> inos, Map<Long, Node> nodes)
            throws KeelException {
        long h = f.fs.opendir(path);
        List<String> listed = new ArrayList<>();
        try {
            long offset = 0;
            for (int i = 0; i < 1000; i++) {
                List<DirEntry> page = f.fs.readdir(h, offset, 1 + random.nextInt(4));
                if (page.isEmpty()) {
                    break;
                }
                page.stream().map(DirEntry::name).forEach(listed::add);
                offset = page.get(page.size() - 1).nextOffset();
            }
        } finally {
            f.fs.releasedir(h);
        }
        assertEquals(".", listed.get(0), where);
        assertEquals("..", listed.get(1), where);
        assertEquals(new ArrayList<>(dir.children.keySet()),
                listed.subList(2, listed.size()).stream().sorted().toList(), where + " " + path);
        long subdirs = dir.children.values().stream().filter(Node::dir).count();
        assertEquals(2 + subdirs, f.fs.getattr(path).nlink(), where + " nlink " + path);
        for (Map.Entry<String, Node> e : dir.children.entrySet()) {
            String p = (path.equals("/") ? "" : path) + "/" + e.getKey();
            Node n = e.getValue();
            Stat st = f.fs.getattr(p);
            Long known = inos.putIfAbsent(n, st.ino());
            if (known != null) {
                assertEquals(known, st.ino(), where + " hard link " + p);
            } else if (nodes.put(st.ino(), n) != null) {
                fail(where + ": inode " + st.ino() + " at " + p + " is two model nodes");
            }
            assertEquals(n.type, FileMode.type(st.mode()), where + " type " + p);
            assertEquals(n.xattrs.keySet(), new TreeSet<>(f.fs.listxattr(p)), where + " " + p);
            if (n.dir()) {
                checkDir(p, n, inos, nodes);
            } else if (n.type == FileMode.S_IFLNK) {
                assertEquals(n.target, f.fs.readlink(p), where + " " + p);
                assertEquals(n.target.getBytes(StandardCharsets.UTF_8).length, st.sizeBytes());
            } else {
                assertEquals(n.nlink, st.nlink(), where + " nlink " + p);
                assertEquals(n.data.length, st.sizeBytes(), where + " size " + p);
                if (known == null) {
                    assertArrayEquals(n.data, readBytes(p), where + " contents " + p);
                }
            }
        }
    }

    private byte[] readBytes(String path) throws KeelException {
        long h = f.fs.open(path, OpenFlags.O_RDONLY);
        try {
            return readAll(h, (int) f.fs.fgetattr(h).sizeBytes());
        } finally {
            f.fs.release(h);
        }
    }
}
