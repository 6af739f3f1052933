package io.keelfs.fuse;

import io.keelfs.error.KeelException;
import io.keelfs.fs.Filesystem;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Where a mount gets its {@link Filesystem}: the one seam between the mount command and the
 * filesystem implementation. The command uses the build's opener (keelfs's own filesystem once
 * it is wired; {@link #UNAVAILABLE} until then); tests pass an in-memory fake through the
 * same seam.
 *
 * <p>An opener must take the image's write lock (a second mount of the same image fails here
 * with a clear message) and honour {@link MountOptions#readOnly()}.
 */
@FunctionalInterface
public interface FilesystemOpener {
    Filesystem open(Path image, MountOptions options)
            throws KeelException, IOException, MountFailure;

    /** Refuses every mount: no Filesystem implementation is wired into this build yet. */
    FilesystemOpener UNAVAILABLE = (image, options) -> {
        throw new MountFailure("filesystem not available in this build: the keelfs"
                + " Filesystem implementation is not wired to the mount command yet");
    };
}
