package io.keelfs.cli;

import io.keelfs.fuse.FilesystemOpener;

/**
 * The {@link FilesystemOpener} the mount command uses: the one place where keelfs's
 * Filesystem implementation is wired to the mount. Until it is, every mount fails with
 * "filesystem not available in this build" rather than pretending to work.
 *
 * <p>Wiring it: return {@code (image, options) -> KeelFilesystem.open(...)} here, opening the
 * image with its write lock (a second mount of the same image must fail with a clear message)
 * and read-only when {@code options.readOnly()}.
 *
 * <p>Thread-safety: stateless.
 */
final class MountFilesystems {
    private MountFilesystems() {}

    static FilesystemOpener opener() {
        return FilesystemOpener.UNAVAILABLE;
    }
}
