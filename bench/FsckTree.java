import io.keelfs.block.FileBlockDevice;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import io.keelfs.fs.Caller;
import io.keelfs.fs.KeelFilesystem;
import io.keelfs.fs.KeelImage;
import io.keelfs.fs.OpenFlags;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The tree of bench/fsck-peers.sh, made in process (no FUSE): FILES files of BYTES bytes,
 * FILES_PER_DIR to a directory /dNNN (f0, f1, ... numbered across the tree), in a fresh keelfs
 * image (mkfs defaults) and, when TREE is given, the same files under TREE (a mounted ext4
 * image, or a staging directory for {@code mkfs.ext4 -d}), written by a second thread. A source-file program: run it against the shaded jar,
 *
 * <pre>java -cp cli/target/keelfs.jar bench/FsckTree.java IMAGE FILES FILES_PER_DIR BYTES [TREE]</pre>
 */
public final class FsckTree {
    public static void main(String[] args) throws Exception {
        Path image = Path.of(args[0]);
        int files = Integer.parseInt(args[1]);
        int perDir = Integer.parseInt(args[2]);
        byte[] data = new byte[Integer.parseInt(args[3])];
        Path tree = args.length > 4 ? Path.of(args[4]) : null;
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) ('a' + i % 26);
        }
        // Room for one 4 KiB block per file, btree nodes and journal, with slack: sparse.
        long sizeBytes = Math.max(1L << 30, (long) files * 16 * 1024);
        Thread staging = null;
        Throwable[] stagingError = new Throwable[1];
        if (tree != null) {
            // The ext4 side on the other core meanwhile: it waits on the kernel, not the CPU.
            staging = new Thread(() -> {
                try {
                    stage(tree, files, perDir, data);
                } catch (Throwable e) {
                    stagingError[0] = e;
                }
            }, "ext4-tree");
            staging.start();
        }
        populate(image, files, perDir, data);
        if (staging != null) {
            staging.join();
            if (stagingError[0] != null) {
                throw new IllegalStateException("staging the tree under " + tree,
                        stagingError[0]);
            }
        }
    }

    private static void populate(Path image, int files, int perDir, byte[] data)
            throws Exception {
        // Room for one 4 KiB block per file, btree nodes and journal, with slack: sparse.
        long sizeBytes = Math.max(1L << 30, (long) files * 16 * 1024);
        long t0 = System.nanoTime();
        try (FileBlockDevice dev = FileBlockDevice.create(image, sizeBytes, 4096)) {
            KeelImage.format(dev, Mkfs.Options.defaults().withLabel("fsckbench"));
            KeelImage.Options options = KeelImage.Options.defaults().withEngine(
                    EngineOptions.defaults().withCheckpointIntervalMs(0));
            try (KeelFilesystem fs = KeelImage.open(dev, options)) {
                for (int i = 0; i < files; i++) {
                    String d = "/d" + i / perDir;
                    if (i % perDir == 0) {
                        fs.mkdir(d, 0755, Caller.ROOT);
                    }
                    long h = fs.create(d + "/f" + i, 0644, OpenFlags.O_RDWR, Caller.ROOT);
                    fs.write(h, 0, ByteBuffer.wrap(data));
                    fs.release(h);
                    if ((i + 1) % 100_000 == 0) {
                        System.err.printf("fsck-tree: keelfs %d files, %.0f s%n", i + 1,
                                (System.nanoTime() - t0) / 1e9);
                    }
                }
            }
        }
        System.err.printf("fsck-tree: keelfs image of %d files in %.1f s%n", files,
                (System.nanoTime() - t0) / 1e9);
    }

    private static void stage(Path tree, int files, int perDir, byte[] data) throws Exception {
        long t1 = System.nanoTime();
        Files.createDirectories(tree);
        for (int i = 0; i < files; i++) {
            Path d = tree.resolve("d" + i / perDir);
            if (i % perDir == 0) {
                Files.createDirectory(d);
            }
            Files.write(d.resolve("f" + i), data);
        }
        System.err.printf("fsck-tree: tree of %d files under %s in %.1f s%n", files, tree,
                (System.nanoTime() - t1) / 1e9);
    }
}
