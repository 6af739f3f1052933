package io.keelfs.crash;

import io.keelfs.error.KeelException;
import io.keelfs.fs.Caller;
import io.keelfs.fs.Filesystem;
import io.keelfs.fs.FsConstants;
import io.keelfs.fs.OpenFlags;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntSupplier;

/**
 * A seeded random POSIX workload over a small namespace (a few directories, files, links,
 * symlinks, xattrs), applied to a filesystem and a {@link PosixModel} in step. It records the
 * model's snapshot after every operation and where in the device's write log each operation
 * started and each fsync/sync returned, which is what {@link PrefixOracle} judges crash states
 * by.
 *
 * <p>Written data is unique per operation (seeded by the op number), so a file that shows
 * another operation's bytes (another file's data, or stale data) fails the content digest.
 */
public final class PosixWorkload {
    static final String[] DIR_NAMES = {"a", "b", "c"};
    static final String[] FILE_NAMES = {"f0", "f1", "f2", "f3", "f4", "f5"};
    static final int WRITE_BYTES_MAX = 96 << 10;
    static final long FILE_BYTES_MAX = 512 << 10;

    private final Random random;
    private final PosixModel model = new PosixModel();
    private final History history = new History();
    private String current = "noop";

    public PosixWorkload(long seed) {
        this.random = new Random(seed);
    }

    /** What was done: snapshot after op i (0 = before any), op start and durable positions. */
    public static final class History {
        final List<String> snapshots = new ArrayList<>(List.of(""));
        final List<Integer> issuedAt = new ArrayList<>(List.of(0));
        final List<Integer> durableAt = new ArrayList<>(List.of(0));
        final List<String> ops = new ArrayList<>(List.of("start"));

        public int operationCount() {
            return snapshots.size() - 1;
        }
    }

    public History history() {
        return history;
    }

    public PosixModel model() {
        return model;
    }

    /**
     * Runs {@code ops} operations. {@code logLength} reports the device's write log length
     * (used to place operations in crash states); the first snapshot is of a fresh mount.
     */
    public void run(Filesystem fs, int ops, IntSupplier logLength) throws KeelException {
        history.snapshots.set(0, model.snapshot());
        for (int i = 1; i <= ops; i++) {
            int before = logLength.getAsInt();
            current = "noop";
            boolean durable = step(fs, i);
            history.ops.add(current);
            history.issuedAt.add(before);
            history.durableAt.add(durable ? logLength.getAsInt() : Integer.MAX_VALUE);
            history.snapshots.add(model.snapshot());
        }
    }

    /** fallocate mode 0 (may extend i_size) or KEEP_SIZE: space reserved, contents kept. */
    private void fallocate(Filesystem fs, String path) throws KeelException {
        long offset = random.nextInt((int) FILE_BYTES_MAX / 2);
        long length = 1 + random.nextInt((int) FILE_BYTES_MAX / 2);
        int mode = random.nextBoolean() ? 0 : FsConstants.FALLOC_FL_KEEP_SIZE;
        note("fallocate " + path + " mode " + mode + " " + offset + " " + length);
        long h = fs.open(path, OpenFlags.O_RDWR);
        try {
            fs.fallocate(h, mode, offset, length);
        } finally {
            fs.release(h);
        }
        if (mode == 0 && offset + length > model.size(path)) {
            model.truncate(path, offset + length);
        }
    }

    /** One random valid operation; returns true when it was an fsync or sync. */
    private boolean step(Filesystem fs, int op) throws KeelException {
        int pick = random.nextInt(100);
        List<String> files = filter(model.paths(), model::isFile);
        if (pick < 6) {
            String path = freshPath(DIR_NAMES);
            if (path != null) {
                note("mkdir " + path);
                fs.mkdir(path, 0755, Caller.ROOT);
                model.mkdir(path);
            }
        } else if (pick < 18 || files.isEmpty()) {
            String path = freshPath(FILE_NAMES);
            if (path != null) {
                note("create " + path);
                long h = fs.create(path, 0644, OpenFlags.O_RDWR | OpenFlags.O_EXCL, Caller.ROOT);
                fs.release(h);
                model.create(path);
            }
        } else if (pick < 45) {
            write(fs, pickOf(files), op);
        } else if (pick < 49) {
            String path = pickOf(files);
            long size = random.nextInt((int) FILE_BYTES_MAX);
            note("truncate " + path + " " + size);
            fs.truncate(path, size);
            model.truncate(path, size);
        } else if (pick < 52) {
            fallocate(fs, pickOf(files));
        } else if (pick < 60) {
            rename(fs);
        } else if (pick < 65) {
            String from = pickOf(files);
            String to = freshPath(FILE_NAMES);
            if (to != null) {
                note("link " + from + " " + to);
                fs.link(from, to);
                model.link(from, to);
            }
        } else if (pick < 72) {
            String path = pickOf(filter(model.paths(), p -> !model.isDir(p)));
            note("unlink " + path);
            fs.unlink(path);
            model.unlink(path);
        } else if (pick < 75) {
            List<String> empty = filter(model.dirs(), d -> !d.equals("/") && model.isEmptyDir(d));
            if (!empty.isEmpty()) {
                String path = pickOf(empty);
                note("rmdir " + path);
                fs.rmdir(path);
                model.unlink(path);
            }
        } else if (pick < 78) {
            String path = freshPath(FILE_NAMES);
            if (path != null) {
                String target = "target-" + op;
                note("symlink " + target + " " + path);
                fs.symlink(target, path, Caller.ROOT);
                model.symlink(target, path);
            }
        } else if (pick < 86) {
            xattr(fs, op);
        } else if (pick < 95) {
            String path = pickOf(files);
            note("fsync " + path);
            long h = fs.open(path, OpenFlags.O_RDWR);
            try {
                fs.fsync(h, random.nextBoolean());
            } finally {
                fs.release(h);
            }
            return true;
        } else {
            note("sync");
            fs.sync();
            return true;
        }
        return false;
    }

    private void write(Filesystem fs, String path, int op) throws KeelException {
        long size = model.size(path);
        long offset = random.nextInt(4) == 0 ? size
                : random.nextInt((int) Math.min(FILE_BYTES_MAX, size + 8192) + 1);
        int length = 1 + random.nextInt(random.nextInt(4) == 0 ? WRITE_BYTES_MAX : 8192);
        if (offset + length > FILE_BYTES_MAX) {
            length = (int) Math.max(1, FILE_BYTES_MAX - offset);
        }
        byte[] data = new byte[length];
        new Random(op * 0x9E3779B97F4A7C15L).nextBytes(data);
        note("write " + path + " " + offset + "+" + length);
        long h = fs.open(path, OpenFlags.O_RDWR);
        try {
            int n = fs.write(h, offset, ByteBuffer.wrap(data));
            if (n != length) {
                throw new IllegalStateException("short write " + n + " of " + length);
            }
        } finally {
            fs.release(h);
        }
        model.write(path, offset, data);
    }

    private void rename(Filesystem fs) throws KeelException {
        List<String> all = model.paths();
        if (all.isEmpty()) {
            return;
        }
        String from = pickOf(all);
        String to;
        if (model.isDir(from)) {
            to = freshPath(DIR_NAMES);
            if (to == null || to.startsWith(from + "/")) {
                return;
            }
        } else {
            List<String> overwritable = filter(all, p -> model.isFile(p) && !p.equals(from)
                    && model.node(p) != model.node(from));
            to = random.nextBoolean() && !overwritable.isEmpty() ? pickOf(overwritable)
                    : freshPath(FILE_NAMES);
            if (to == null) {
                return;
            }
        }
        note("rename " + from + " " + to);
        fs.rename(from, to, 0);
        model.rename(from, to);
    }

    private void xattr(Filesystem fs, int op) throws KeelException {
        List<String> targets = filter(model.paths(), p -> !model.node(p).type.equals("symlink"));
        if (targets.isEmpty()) {
            return;
        }
        String path = pickOf(targets);
        String name = "user.k" + random.nextInt(3);
        if (model.hasXattr(path, name) && random.nextInt(3) == 0) {
            note("removexattr " + path + " " + name);
            fs.removexattr(path, name);
            model.removexattr(path, name);
            return;
        }
        byte[] value = ("v" + op + "-").repeat(1 + random.nextInt(20)).getBytes();
        note("setxattr " + path + " " + name);
        fs.setxattr(path, name, value, 0);
        model.setxattr(path, name, value);
    }

    /** A path under a random directory with a name from {@code names} not yet taken, or null. */
    private String freshPath(String[] names) {
        List<String> dirs = model.dirs();
        for (int attempt = 0; attempt < 8; attempt++) {
            String dir = pickOf(dirs);
            String name = names[random.nextInt(names.length)];
            String path = dir.equals("/") ? "/" + name : dir + "/" + name;
            if (!model.exists(path) && depth(path) <= 3) {
                return path;
            }
        }
        return null;
    }

    private static int depth(String path) {
        return (int) path.chars().filter(c -> c == '/').count();
    }

    private void note(String op) {
        current = op;
    }

    private <T> T pickOf(List<T> list) {
        return list.get(random.nextInt(list.size()));
    }

    private static List<String> filter(List<String> in, java.util.function.Predicate<String> p) {
        List<String> out = new ArrayList<>();
        for (String s : in) {
            if (p.test(s)) {
                out.add(s);
            }
        }
        return out;
    }
}
