package io.keelfs.cli;

import io.keelfs.fuse.FilesystemOpener;
import io.keelfs.fuse.MountDaemon;
import io.keelfs.fuse.MountFailure;
import io.keelfs.fuse.MountOptions;
import io.keelfs.fuse.MountSession;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.jar.JarFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code keelfs mount IMAGE MOUNTPOINT [-f] [-o OPTIONS]}: mounts an image through FUSE.
 *
 * <p>Steps: parse the options (usage error, exit 2); check IMAGE is a keelfs image and the
 * mountpoint, /dev/fuse and libfuse2 (each failure one line, exit 1, nothing mounted). With
 * {@code -f} this process mounts and serves until unmounted ({@code umount}, {@code fusermount
 * -u}, SIGTERM or SIGINT), then closes the filesystem and exits 0. Without it, a child JVM runs
 * the same command with {@code -f} in a session of its own ({@link MountDaemon}), and this
 * process exits 0 once the mount is ready, or 1 with the child's reason.
 *
 * <p>Thread-safety: one invocation per instance (picocli).
 */
@Command(
        name = "mount",
        mixinStandardHelpOptions = true,
        description = {
            "Mount a keelfs image through FUSE.",
            "",
            "Returns once the mount is ready and serves in the background, unless -f.",
            "Unmount with 'umount MOUNTPOINT' or 'fusermount -u MOUNTPOINT'.",
            "",
            "Options keelfs consumes: ro, rw, cache_size=SIZE (K/M/G), debug_log=FILE,",
            "threads=N (Java threads serving FUSE requests; default 2 per core, at least 4),",
            "dir_attr_timeout=SECONDS (how long the kernel may cache a directory's",
            "attributes; default 1, 0 = not cached; the kernel drops them on every change).",
            "Dropped (mount(8) only): defaults, auto, noauto, user, nouser, users, owner,",
            "group, _netdev, nofail, x-*, comment=*; also relatime, lazytime, nolazytime",
            "(libfuse2 rejects them; they change nothing). Everything else goes to libfuse, e.g.",
            "fsname=NAME (default: the image's path), allow_other, dev, suid, nonempty.",
            "Always on: default_permissions, use_ino, atomic_o_trunc,",
            "attr_timeout=0 for all but directories (hard links stay coherent;",
            "-o attr_timeout=1 to cache), big_writes,",
            "max_write and max_read of 1 MiB (keelfs's INIT reply lifts the kernel's",
            "128 KiB request limit for libfuse2).",
        },
        sortOptions = false)
final class MountCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "The keelfs image file.")
    private Path image;

    @Parameters(index = "1", paramLabel = "MOUNTPOINT", description = "An empty directory.")
    private Path mountpoint;

    @Option(names = "-f", description = "Stay in the foreground (serve until unmounted).")
    private boolean foreground;

    @Option(names = "-o", paramLabel = "OPTIONS", description = "Comma-separated mount"
            + " options; may be repeated.")
    private List<String> optionLists = new ArrayList<>();

    /** Set by the background launcher on its child: where to say "ready". */
    @Option(names = "--ready-file", hidden = true)
    private Path readyFile;

    /** The seam to the filesystem implementation (see {@link MountFilesystems}). */
    FilesystemOpener opener = MountFilesystems.opener();

    @Override
    public Integer call() throws Exception {
        MountOptions options;
        try {
            options = MountOptions.parse(optionLists);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Path imagePath = image.toAbsolutePath().normalize();
        Path mountPath = mountpoint.toAbsolutePath().normalize();
        checkImage(imagePath);
        try {
            if (foreground) {
                MountSession.runForeground(imagePath, mountPath, options, opener, readyFile);
            } else {
                MountSession.preflight(mountPath, options);
                Path ready = Files.createTempFile("keelfs-ready-", "");
                MountDaemon.start(childCommand(imagePath, mountPath, ready), ready,
                        MountDaemon.READY_TIMEOUT);
            }
        } catch (MountFailure e) {
            throw new CommandFailure(e.getMessage(), e);
        }
        return 0;
    }

    /** IMAGE must be a file holding a keelfs superblock. */
    private static void checkImage(Path imagePath) throws CommandFailure, IOException {
        if (!Files.exists(imagePath)) {
            throw new CommandFailure("image " + imagePath + " does not exist");
        }
        if (!Files.isRegularFile(imagePath)) {
            throw new CommandFailure("image " + imagePath + " is not a regular file");
        }
        if (ImageFiles.findKeelfs(imagePath, Files.size(imagePath)).isEmpty()) {
            throw new CommandFailure(imagePath + " is not a keelfs image (no valid"
                    + " superblock); create one with 'keelfs mkfs'");
        }
    }

    /** This JVM again (same java, same JVM options), running this command with -f. */
    private List<String> childCommand(Path imagePath, Path mountPath, Path ready) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        String classPath = absoluteClassPath();
        if (isKeelfsJar(classPath)) {
            command.addAll(List.of("-jar", classPath));
        } else {
            command.addAll(List.of("-cp", classPath, KeelfsCommand.class.getName()));
        }
        command.addAll(List.of("mount", imagePath.toString(), mountPath.toString(), "-f",
                "--ready-file", ready.toString()));
        for (String list : optionLists) {
            command.addAll(List.of("-o", list));
        }
        return command;
    }

    /** The daemon runs in "/" (so it pins no directory): class path entries made absolute. */
    private static String absoluteClassPath() {
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                entries.add(Path.of(entry).toAbsolutePath().toString());
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    /** The runnable jar (java -jar keelfs.jar): its manifest's JVM options apply with -jar. */
    private static boolean isKeelfsJar(String classPath) {
        if (classPath.contains(File.pathSeparator) || !classPath.endsWith(".jar")) {
            return false;
        }
        try (JarFile jar = new JarFile(classPath)) {
            var manifest = jar.getManifest();
            return manifest != null && KeelfsCommand.class.getName().equals(
                    manifest.getMainAttributes().getValue("Main-Class"));
        } catch (IOException e) {
            return false;
        }
    }
}
