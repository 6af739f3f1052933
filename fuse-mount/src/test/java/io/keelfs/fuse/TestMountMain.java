package io.keelfs.fuse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * TEST DAEMON: a foreground mount of the in-memory fake in its own JVM, as the mount command
 * runs one, for FuseDaemonTest. Arguments: IMAGE MOUNTPOINT READY_FILE CLOSED_FILE. It writes
 * "closed" to CLOSED_FILE when the filesystem is closed; a fifth argument is a -o list. An
 * IMAGE whose name contains "refuse" makes the opener fail, to test how a failed start is
 * reported.
 */
public final class TestMountMain {
    private TestMountMain() {}

    public static void main(String[] args) {
        Path image = Path.of(args[0]);
        Path closed = Path.of(args[3]);
        InMemoryFilesystem fs = new InMemoryFilesystem();
        fs.onClose = () -> {
            try {
                Files.writeString(closed, "closed");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        FilesystemOpener opener = (i, o) -> {
            if (i.getFileName().toString().contains("refuse")) {
                throw new MountFailure("test opener refuses " + i);
            }
            return fs;
        };
        try {
            MountOptions options = MountOptions.parse(
                    args.length > 4 ? List.of(args[4]) : List.of());
            MountSession.runForeground(image, Path.of(args[1]), options, opener,
                    Path.of(args[2]));
        } catch (MountFailure e) {
            System.err.println("mount: " + e.getMessage());
            System.exit(1);
        }
        System.exit(0);
    }
}
