package io.keelfs.cli;

import io.keelfs.block.FileBlockDevice;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.SuperblockIo;
import io.keelfs.error.KeelException;
import io.keelfs.fs.Filesystem;
import io.keelfs.fs.KeelImage;
import io.keelfs.fuse.FilesystemOpener;
import io.keelfs.fuse.MountFailure;
import io.keelfs.fuse.MountOptions;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The {@link FilesystemOpener} the mount command uses: the one place where keelfs's
 * Filesystem implementation is wired to the mount. Opens the image with its write lock (a
 * second mount of the same image fails with the lock's message) or read-only for {@code ro},
 * with the image's own block size, and the node cache bound from {@code cache_size=}.
 *
 * <p>Thread-safety: stateless.
 */
final class MountFilesystems {
    private MountFilesystems() {}

    static FilesystemOpener opener() {
        return MountFilesystems::open;
    }

    private static Filesystem open(Path image, MountOptions options)
            throws KeelException, IOException, MountFailure {
        int blockSize;
        try (FileBlockDevice probe = ImageFiles.openReadOnly(image)) {
            blockSize = SuperblockIo.read(probe).superblock().geometry().blockSizeBytes();
        }
        FileBlockDevice device = FileBlockDevice.open(image, blockSize, options.readOnly());
        try {
            EngineOptions engine = EngineOptions.defaults().withReadOnly(options.readOnly());
            if (options.cacheSizeBytes() > 0) {
                engine = engine.withNodeCacheBytesMax(options.cacheSizeBytes());
            }
            return KeelImage.open(device, KeelImage.Options.defaults().withEngine(engine))
                    .closingDevice(device);
        } catch (KeelException | RuntimeException e) {
            device.close();
            throw e;
        }
    }
}
