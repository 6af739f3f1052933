package io.keelfs.crash;

import io.keelfs.error.KeelException;
import io.keelfs.fs.DirEntry;
import io.keelfs.fs.Filesystem;
import io.keelfs.fs.OpenFlags;
import io.keelfs.fs.Stat;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a filesystem holds, as a canonical text: every path in sorted order with its type,
 * link group, size, content digest and xattrs. Two filesystems (or a filesystem and a
 * {@link PosixModel}) hold the same tree exactly when their snapshots are equal.
 *
 * <p>Hard links: each path names its link group by the first path (in sorted order) of the
 * same inode, so inode numbers themselves do not matter.
 */
public final class FsSnapshot {
    /** Bounds a walk of a damaged tree (a directory loop must not hang the test). */
    static final int ENTRIES_MAX = 100_000;
    static final int READ_CHUNK_BYTES = 64 << 10;

    private FsSnapshot() {}

    /** One path's facts, as {@link PosixModel} also produces them. */
    record Entry(String type, long sizeBytes, long contentDigest, String symlinkTarget,
            Map<String, Long> xattrDigests) {
        void appendTo(StringBuilder sb, String path, String linkGroup) {
            sb.append(path).append(' ').append(type);
            if (!linkGroup.equals(path)) {
                sb.append(" link=").append(linkGroup);
            }
            if (type.equals("file")) {
                sb.append(" size=").append(sizeBytes)
                        .append(" data=").append(Long.toHexString(contentDigest));
            }
            if (symlinkTarget != null) {
                sb.append(" -> ").append(symlinkTarget);
            }
            xattrDigests.forEach((k, v) ->
                    sb.append(" x:").append(k).append('=').append(Long.toHexString(v)));
            sb.append('\n');
        }
    }

    /** Canonical text of sorted (path, entry, link-group key) triples. */
    static String render(TreeMap<String, Entry> entries, Map<String, Object> inodeOfPath) {
        Map<Object, String> firstPath = new HashMap<>();
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            String group = firstPath.computeIfAbsent(inodeOfPath.get(e.getKey()),
                    k -> e.getKey());
            e.getValue().appendTo(sb, e.getKey(), group);
        }
        return sb.toString();
    }

    /** Walks the whole tree from "/" through the Filesystem API. */
    public static String of(Filesystem fs) throws KeelException {
        TreeMap<String, Entry> entries = new TreeMap<>();
        Map<String, Object> inodeOfPath = new HashMap<>();
        List<String> dirs = new ArrayList<>(List.of("/"));
        while (!dirs.isEmpty()) {
            String dir = dirs.remove(dirs.size() - 1);
            for (DirEntry d : list(fs, dir)) {
                if (d.name().equals(".") || d.name().equals("..")) {
                    continue;
                }
                if (entries.size() >= ENTRIES_MAX) {
                    throw new IllegalStateException("more than " + ENTRIES_MAX + " entries");
                }
                String path = dir.equals("/") ? "/" + d.name() : dir + "/" + d.name();
                Stat st = fs.getattr(path);
                inodeOfPath.put(path, st.ino());
                entries.put(path, entry(fs, path, st));
                if (st.isDirectory()) {
                    dirs.add(path);
                }
            }
        }
        return render(entries, inodeOfPath);
    }

    private static Entry entry(Filesystem fs, String path, Stat st) throws KeelException {
        Map<String, Long> xattrs = new TreeMap<>();
        if (!st.isSymlink()) {
            for (String name : fs.listxattr(path)) {
                xattrs.put(name, digest(fs.getxattr(path, name)));
            }
        }
        if (st.isDirectory()) {
            return new Entry("dir", 0, 0, null, xattrs);
        }
        if (st.isSymlink()) {
            return new Entry("symlink", 0, 0, fs.readlink(path), xattrs);
        }
        long handle = fs.open(path, OpenFlags.O_RDONLY);
        try {
            return new Entry("file", st.sizeBytes(), digest(fs, handle, st.sizeBytes()), null,
                    xattrs);
        } finally {
            fs.release(handle);
        }
    }

    private static List<DirEntry> list(Filesystem fs, String dir) throws KeelException {
        long handle = fs.opendir(dir);
        try {
            List<DirEntry> all = new ArrayList<>();
            long offset = 0;
            while (all.size() < ENTRIES_MAX) {
                List<DirEntry> batch = fs.readdir(handle, offset, 256);
                if (batch.isEmpty()) {
                    break;
                }
                all.addAll(batch);
                offset = batch.get(batch.size() - 1).nextOffset();
            }
            return all;
        } finally {
            fs.releasedir(handle);
        }
    }

    private static long digest(Filesystem fs, long handle, long sizeBytes)
            throws KeelException {
        Digest d = new Digest();
        ByteBuffer buf = ByteBuffer.allocate(READ_CHUNK_BYTES);
        for (long off = 0; off < sizeBytes; ) {
            buf.clear();
            buf.limit((int) Math.min(READ_CHUNK_BYTES, sizeBytes - off));
            int n = fs.read(handle, off, buf);
            if (n <= 0) {
                throw new IllegalStateException("short read at " + off + " of " + sizeBytes);
            }
            d.update(buf.array(), 0, n);
            off += n;
        }
        return d.value();
    }

    static long digest(byte[] bytes) {
        Digest d = new Digest();
        d.update(bytes, 0, bytes.length);
        return d.value();
    }

    /** A 64-bit FNV-1a over the bytes, plus the length: cheap and order-sensitive. */
    static final class Digest {
        private long h = 0xcbf29ce484222325L;
        private long length;

        void update(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                h = (h ^ (b[i] & 0xff)) * 0x100000001b3L;
            }
            length += len;
        }

        long value() {
            return h ^ (length * 0x9E3779B97F4A7C15L);
        }
    }

    static byte[] copy(byte[] b, int length) {
        return Arrays.copyOf(b, length);
    }
}
