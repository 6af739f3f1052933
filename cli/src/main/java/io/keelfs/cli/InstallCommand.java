package io.keelfs.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code keelfs install}: writes the mount(8) helper {@code /sbin/mount.fuse.keelfs}, so that
 * {@code mount -t fuse.keelfs IMAGE MOUNTPOINT -o OPTIONS} (and fstab entries of type
 * fuse.keelfs) work. mount(8) runs it as {@code mount.fuse.keelfs IMAGE MOUNTPOINT [-o OPTS]
 * [-n] [-s] [-v] [-f]}; the helper turns that into {@code keelfs mount IMAGE MOUNTPOINT -o
 * OPTS}, ignores -n, -s and -v, and does nothing for -f (mount(8)'s "fake").
 *
 * <p>Thread-safety: one invocation per instance (picocli).
 */
@Command(
        name = "install",
        mixinStandardHelpOptions = true,
        description = {
            "Install the mount(8) helper mount.fuse.keelfs (needs root for /sbin).",
            "",
            "Afterwards: mount -t fuse.keelfs IMAGE MOUNTPOINT [-o OPTIONS].",
        },
        sortOptions = false)
final class InstallCommand implements Callable<Integer> {
    static final String HELPER_NAME = "mount.fuse.keelfs";

    @Spec
    private CommandSpec spec;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "/sbin",
            description = "Where to write the helper (default: ${DEFAULT-VALUE}).")
    private Path dir;

    @Option(names = "--launcher", paramLabel = "PATH", description = "The keelfs launcher"
            + " the helper runs (default: the bin/keelfs that started this command).")
    private Path launcher;

    @Override
    public Integer call() throws Exception {
        Path launcherPath = launcher != null ? launcher : launcherFromEnvironment();
        if (!Files.isExecutable(launcherPath)) {
            throw new CommandFailure("launcher " + launcherPath + " is not an executable file");
        }
        Path helper = dir.resolve(HELPER_NAME);
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, HELPER_NAME, ".tmp");
            Files.writeString(tmp, helperScript(launcherPath.toAbsolutePath()),
                    StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(tmp, helper, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new CommandFailure("cannot write " + helper + ": " + e.getMessage(), e);
        }
        spec.commandLine().getOut().printf("installed %s (runs %s mount); now: mount -t"
                + " fuse.keelfs IMAGE MOUNTPOINT [-o OPTIONS]%n", helper, launcherPath);
        return 0;
    }

    /** bin/keelfs exports KEELFS_LAUNCHER with its own absolute path. */
    private static Path launcherFromEnvironment() throws CommandFailure {
        String fromEnv = System.getenv("KEELFS_LAUNCHER");
        if (fromEnv == null || fromEnv.isEmpty()) {
            throw new CommandFailure("cannot tell where the keelfs launcher is (KEELFS_LAUNCHER"
                    + " is unset; run through bin/keelfs or give --launcher PATH)");
        }
        return Path.of(fromEnv);
    }

    static String helperScript(Path launcher) {
        String quoted = "'" + launcher.toString().replace("'", "'\\''") + "'";
        return """
                #!/bin/sh
                # mount(8) helper for keelfs, written by 'keelfs install'.
                # mount -t fuse.keelfs IMAGE MOUNTPOINT -o OPTS runs:
                #   mount.fuse.keelfs IMAGE MOUNTPOINT [-o OPTS] [-n] [-s] [-v] [-f]
                set -eu
                if [ $# -lt 2 ]; then
                    echo "usage: mount.fuse.keelfs IMAGE MOUNTPOINT [-o OPTIONS]" >&2
                    exit 1
                fi
                image=$1
                mountpoint=$2
                shift 2
                options=
                while [ $# -gt 0 ]; do
                    case "$1" in
                        -o)
                            if [ $# -lt 2 ]; then
                                echo "mount.fuse.keelfs: -o needs a value" >&2
                                exit 1
                            fi
                            options="${options:+$options,}$2"
                            shift 2 ;;
                        -o*) options="${options:+$options,}${1#-o}"; shift ;;
                        -f) exit 0 ;;  # mount(8) --fake: do everything but mount
                        -n|-s|-v) shift ;;
                        *) echo "mount.fuse.keelfs: unknown argument: $1" >&2; exit 1 ;;
                    esac
                done
                if [ -n "$options" ]; then
                    exec LAUNCHER mount "$image" "$mountpoint" -o "$options"
                fi
                exec LAUNCHER mount "$image" "$mountpoint"
                """.replace("LAUNCHER", quoted);
    }
}
