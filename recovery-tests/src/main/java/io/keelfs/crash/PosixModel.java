package io.keelfs.crash;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The expected namespace and contents: paths to shared nodes (hard links share one), kept in
 * step with a workload and rendered by {@link FsSnapshot#render} exactly as a real filesystem's
 * walk is.
 *
 * <p>Only valid operations are applied: the workload asks the model what exists before it
 * picks an operation, so the model never has to decide an errno.
 */
public final class PosixModel {
    /** One inode. */
    static final class Node {
        final String type;
        byte[] data = new byte[0];
        String target;
        final TreeMap<String, byte[]> xattrs = new TreeMap<>();

        Node(String type) {
            this.type = type;
        }
    }

    private final TreeMap<String, Node> paths = new TreeMap<>();

    public boolean exists(String path) {
        return path.equals("/") || paths.containsKey(path);
    }

    Node node(String path) {
        return paths.get(path);
    }

    public boolean isDir(String path) {
        return path.equals("/") || (paths.containsKey(path) && paths.get(path).type.equals("dir"));
    }

    public boolean isFile(String path) {
        Node n = paths.get(path);
        return n != null && n.type.equals("file");
    }

    public List<String> paths() {
        return new ArrayList<>(paths.keySet());
    }

    public List<String> dirs() {
        List<String> out = new ArrayList<>(List.of("/"));
        paths.forEach((p, n) -> {
            if (n.type.equals("dir")) {
                out.add(p);
            }
        });
        return out;
    }

    public boolean isEmptyDir(String path) {
        return isDir(path) && under(path).isEmpty();
    }

    /** Every path strictly inside directory {@code dir}: the keys in [dir + "/", dir + "0"). */
    private Map<String, Node> under(String dir) {
        return paths.subMap(dir + "/", dir + "0");
    }

    public void mkdir(String path) {
        paths.put(path, new Node("dir"));
    }

    public void create(String path) {
        paths.put(path, new Node("file"));
    }

    public void symlink(String target, String path) {
        Node n = new Node("symlink");
        n.target = target;
        paths.put(path, n);
    }

    public void write(String path, long offset, byte[] data) {
        Node n = paths.get(path);
        int end = (int) offset + data.length;
        if (end > n.data.length) {
            n.data = Arrays.copyOf(n.data, end);
        }
        System.arraycopy(data, 0, n.data, (int) offset, data.length);
    }

    public void truncate(String path, long size) {
        Node n = paths.get(path);
        n.data = Arrays.copyOf(n.data, (int) size);
    }

    public long size(String path) {
        return paths.get(path).data.length;
    }

    public void link(String existing, String path) {
        paths.put(path, paths.get(existing));
    }

    public void unlink(String path) {
        paths.remove(path);
    }

    /** Renames a file, symlink or a directory with everything under it; overwrites the target. */
    public void rename(String from, String to) {
        Map<String, Node> moved = new TreeMap<>(under(from));
        moved.put(from, paths.get(from));
        paths.keySet().removeAll(moved.keySet());
        paths.remove(to);
        moved.forEach((p, n) -> paths.put(to + p.substring(from.length()), n));
    }

    public void setxattr(String path, String name, byte[] value) {
        paths.get(path).xattrs.put(name, value.clone());
    }

    public void removexattr(String path, String name) {
        paths.get(path).xattrs.remove(name);
    }

    public boolean hasXattr(String path, String name) {
        return paths.get(path).xattrs.containsKey(name);
    }

    public String snapshot() {
        TreeMap<String, FsSnapshot.Entry> entries = new TreeMap<>();
        Map<String, Object> inodeOfPath = new HashMap<>();
        Map<Node, Integer> ids = new IdentityHashMap<>();
        paths.forEach((p, n) -> {
            inodeOfPath.put(p, ids.computeIfAbsent(n, k -> ids.size()));
            Map<String, Long> x = new TreeMap<>();
            n.xattrs.forEach((k, v) -> x.put(k, FsSnapshot.digest(v)));
            entries.put(p, new FsSnapshot.Entry(n.type, n.data.length,
                    n.type.equals("file") ? FsSnapshot.digest(n.data) : 0, n.target, x));
        });
        return FsSnapshot.render(entries, inodeOfPath);
    }
}
