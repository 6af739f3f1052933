package io.keelfs.fuse;

import io.keelfs.error.KeelException;
import io.keelfs.fs.Filesystem;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.FileHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import jnr.ffi.LibraryLoader;

/**
 * One mount of one image, from the checks to the close.
 *
 * <p>Lifecycle: (1) {@link #open} checks the mountpoint (exists, a directory, empty unless
 * {@code nonempty}), /dev/fuse and libfuse2, each failure a {@link MountFailure} of one line,
 * then opens the filesystem through the {@link FilesystemOpener}; nothing is mounted yet.
 * (2) {@link #serve} mounts through libfuse in the calling thread and serves (on {@link
 * FuseRequestLoop}'s Java threads, {@code -o threads=N}) until the mount goes away, then
 * closes the filesystem (flushing it and releasing the image) and returns; the ready callback
 * runs once the kernel has answered INIT. (3)
 * {@link #unmount} (also on SIGTERM/SIGINT, from a shutdown hook) detaches the mount with
 * {@code fusermount -u -z}, which ends step 2. A failure after (1) closes the filesystem
 * before it is reported, so nothing is left half-open; a close that fails after a good mount
 * is a MountFailure too (the foreground command then exits 1).
 *
 * <p>Loops: by default {@link FuseRequestLoop}; the system property {@value #LOOP_PROPERTY}{@code
 * =libfuse} selects libfuse's own multithreaded loop (jnr-fuse's fuse_main_real, whose native
 * threads attach to the JVM per request), kept for A/B measurements.
 *
 * <p>After {@link #serve} returns no thread of this session is left: the request threads end
 * with the loop (libfuse's with its loop), the shutdown hook is removed, and nothing else was
 * started, so the JVM of a foreground mount exits at once.
 *
 * <p>Thread-safety: {@link #unmount}, {@link #awaitReady} and {@link #awaitEnded} may be
 * called from any thread; {@link #serve} once, from one thread.
 */
public final class MountSession {
    private static final Logger LOG = Logger.getLogger(MountSession.class.getName());
    /** How long unmount-on-exit waits for the filesystem to close before the JVM goes on. */
    public static final Duration CLOSE_WAIT = Duration.ofSeconds(20);
    /** How long one fusermount/umount run may take. */
    static final Duration UNMOUNT_COMMAND_WAIT = Duration.ofSeconds(10);
    static final Path DEV_FUSE = Path.of("/dev/fuse");
    /** "libfuse" selects libfuse's own loop instead of {@link FuseRequestLoop} (class doc). */
    public static final String LOOP_PROPERTY = "keelfs.fuse.loop";
    /** Names shown when a mountpoint is not empty. */
    private static final int NAMES_SHOWN_MAX = 3;

    /** The smallest binding of libfuse2 to prove it loads. */
    public interface LibfuseProbe {
        int fuse_version();
    }

    private final Path image;
    private final Path mountpoint;
    private final MountOptions options;
    private final Filesystem fs;
    private final KeelFuse fuse;
    private final CountDownLatch ready = new CountDownLatch(1);
    private final CountDownLatch ended = new CountDownLatch(1);
    private final AtomicBoolean serving = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Closes an opened filesystem at JVM exit even if it was never served. */
    private final Thread exitHook = new Thread(this::unmountAndWait, "keelfs-unmount-on-exit");
    private volatile Runnable onReady = () -> { };
    private volatile FuseRequestLoop loop;
    /** Tests force the loop's failures through these (set before {@link #serve}). */
    private volatile FuseRequestLoop.Hooks loopHooks = FuseRequestLoop.Hooks.NONE;

    private MountSession(Path image, Path mountpoint, MountOptions options, Filesystem fs) {
        this.image = image;
        this.mountpoint = mountpoint.toAbsolutePath().normalize();
        this.options = options;
        this.fs = fs;
        this.fuse = new KeelFuse(fs, null, this::markReady);
        fuse.setUnmounter(this::unmountAndWait);
        Runtime.getRuntime().addShutdownHook(exitHook);
    }

    /** Step (1): every check, then the filesystem opened; nothing mounted. */
    public static MountSession open(Path image, Path mountpoint, MountOptions options,
            FilesystemOpener opener) throws MountFailure {
        preflight(mountpoint, options);
        configureDebugLog(options);
        Filesystem fs;
        try {
            fs = opener.open(image, options);
        } catch (KeelException | IOException e) {
            throw new MountFailure(image + ": " + e.getMessage(), e);
        }
        try {
            return new MountSession(image, mountpoint, options, fs);
        } catch (RuntimeException | Error e) {
            closeQuietly(fs, e);
            throw new MountFailure("cannot set up the FUSE adapter: " + e, e);
        }
    }

    /** The checks of step (1), also run by a launcher before it starts a daemon. */
    public static void preflight(Path mountpoint, MountOptions options) throws MountFailure {
        checkMountpoint(mountpoint, options.nonempty());
        if (!Files.exists(DEV_FUSE)) {
            throw new MountFailure(DEV_FUSE + " does not exist: load the fuse module"
                    + " (modprobe fuse) or give the container the device");
        }
        checkLibfuse();
    }

    static void checkMountpoint(Path mountpoint, boolean nonemptyAllowed) throws MountFailure {
        if (!Files.exists(mountpoint)) {
            throw new MountFailure("mountpoint " + mountpoint + " does not exist");
        }
        if (!Files.isDirectory(mountpoint)) {
            throw new MountFailure("mountpoint " + mountpoint + " is not a directory");
        }
        if (nonemptyAllowed) {
            return;
        }
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(mountpoint)) {
            for (Path entry : entries) {
                names.add(entry.getFileName().toString());
                if (names.size() > NAMES_SHOWN_MAX) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new MountFailure("cannot list mountpoint " + mountpoint + ": " + e, e);
        }
        if (!names.isEmpty()) {
            String shown = String.join(", ", names.subList(0,
                    Math.min(names.size(), NAMES_SHOWN_MAX)));
            throw new MountFailure("mountpoint " + mountpoint + " is not empty (holds " + shown
                    + (names.size() > NAMES_SHOWN_MAX ? ", ..." : "")
                    + "); use an empty directory or -o nonempty");
        }
    }

    /** libfuse.so.2 loads and is at least FUSE 2.6 (what jnr-fuse binds). */
    static void checkLibfuse() throws MountFailure {
        int version;
        try {
            version = LibraryLoader.create(LibfuseProbe.class).failImmediately()
                    .load("libfuse.so.2").fuse_version();
        } catch (Throwable t) {
            throw new MountFailure("libfuse2 (libfuse.so.2) cannot be loaded: install it"
                    + " (scripts/install-deps.sh installs libfuse2 and fuse): " + t.getMessage(),
                    t);
        }
        if (version < 26) {
            throw new MountFailure("libfuse.so.2 reports FUSE version " + version
                    + "; keelfs needs 2.6 or later");
        }
    }

    private static void configureDebugLog(MountOptions options) throws MountFailure {
        if (options.debugLog() == null) {
            return;
        }
        try {
            FileHandler handler = new FileHandler(options.debugLog().toString(), true);
            handler.setFormatter(new SimpleFormatter());
            handler.setLevel(Level.FINE);
            Logger keelfs = Logger.getLogger("io.keelfs");
            keelfs.addHandler(handler);
            keelfs.setLevel(Level.FINE);
        } catch (IOException | RuntimeException e) {
            throw new MountFailure("cannot open debug_log " + options.debugLog() + ": " + e, e);
        }
    }

    /**
     * A whole foreground mount: checks, open, mount, serve until unmounted, close. With a
     * {@code readyFile} (a {@link MountDaemon} child) it signals readiness there and detaches
     * its stdio.
     */
    public static void runForeground(Path image, Path mountpoint, MountOptions options,
            FilesystemOpener opener, Path readyFile) throws MountFailure {
        MountSession session = open(image, mountpoint, options, opener);
        session.serve(() -> {
            if (readyFile != null) {
                try {
                    MountDaemon.signalReady(readyFile);
                } catch (IOException e) {
                    LOG.log(Level.SEVERE, "cannot write the ready file " + readyFile
                            + "; unmounting", e);
                    session.unmount();
                }
            }
        });
    }

    /** The adapter, for tests that count its internal errors. */
    public KeelFuse adapter() {
        return fuse;
    }

    public Path mountpoint() {
        return mountpoint;
    }

    /**
     * Step (2): mounts, runs {@code onReady} once the mount is live, serves until unmounted,
     * then closes the filesystem. Blocks throughout. A mount that never became ready is a
     * MountFailure (libfuse printed its reason on stderr).
     */
    public void serve(Runnable onReady) throws MountFailure {
        if (!serving.compareAndSet(false, true)) {
            throw new IllegalStateException("serve() called twice for " + mountpoint);
        }
        this.onReady = onReady;
        Throwable mountError = null;
        Throwable closeError = null;
        try {
            List<String> args = options.libfuseArgs(image);
            LOG.fine(() -> "mounting " + image + " on " + mountpoint + " with " + args);
            if ("libfuse".equals(System.getProperty(LOOP_PROPERTY))) {
                fuse.mount(mountpoint, true, false, args.toArray(String[]::new));
            } else {
                serveOnJavaThreads(args);
            }
        } catch (Throwable t) {
            mountError = t;
        } finally {
            fuse.markUnmounted();
            closeError = closeFilesystem();
            ended.countDown();
            removeHook(exitHook);
        }
        if (ready.getCount() != 0) {
            throw new MountFailure("libfuse could not mount " + image + " on " + mountpoint
                    + " (its reason is printed above)", mountError);
        }
        if (mountError != null) {
            LOG.log(Level.WARNING, "libfuse ended with an error after mounting " + mountpoint,
                    mountError);
        }
        if (closeError != null) {
            throw new MountFailure("unmounted " + mountpoint + ", but closing " + image
                    + " failed: " + closeError.getMessage(), closeError);
        }
    }

    /** Mounts with fuse_setup, serves on {@link FuseRequestLoop}, tears down. */
    private void serveOnJavaThreads(List<String> libfuseArgs) {
        List<String> argv = new ArrayList<>(List.of(fuse.getFSName(), "-f",
                mountpoint.toString()));
        argv.addAll(libfuseArgs);
        FuseRequestLoop l = FuseRequestLoop.setup(fuse.operations(), argv.toArray(String[]::new),
                loopHooks);
        if (l == null) {
            return; // Never ready: serve() reports it; libfuse printed why.
        }
        loop = l;
        int error;
        try {
            error = l.serve(options.threadsOrDefault(), options.dirAttrValidNs(), this::unmount);
        } finally {
            l.teardown();
        }
        if (error != 0) {
            throw new IllegalStateException("the FUSE request loop failed (" + error
                    + ", logged above) and unmounted " + mountpoint);
        }
    }

    void setLoopHooks(FuseRequestLoop.Hooks hooks) {
        this.loopHooks = hooks;
    }

    /** The threads serving requests (empty with the libfuse loop or before serving). */
    List<Thread> requestThreads() {
        FuseRequestLoop l = loop;
        return l == null ? List.of() : l.workers();
    }

    private void markReady() {
        ready.countDown();
        LOG.fine(() -> image + " mounted on " + mountpoint);
        onReady.run();
    }

    /**
     * Once: after serving, or at exit for a session never served. Returns what the close threw
     * (logged), or null.
     */
    private Throwable closeFilesystem() {
        if (!closed.compareAndSet(false, true)) {
            return null;
        }
        try {
            fs.close();
            return null;
        } catch (Throwable t) {
            LOG.log(Level.SEVERE, "closing " + image + " after unmounting " + mountpoint
                    + " failed", t);
            return t;
        }
    }

    private static void closeQuietly(Filesystem fs, Throwable failure) {
        try {
            fs.close();
        } catch (Throwable t) {
            failure.addSuppressed(t);
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // The hook is running or about to: it finds the session ended and returns.
        }
    }

    public boolean awaitReady(Duration timeout) throws InterruptedException {
        return ready.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean awaitEnded(Duration timeout) throws InterruptedException {
        return ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean hasEnded() {
        return ended.getCount() == 0;
    }

    /**
     * Step (3): detaches the mount (lazily, so a busy mount goes too) if it is being served.
     * Returns at once; {@link #awaitEnded} waits for the close. Idempotent.
     */
    public void unmount() {
        if (!serving.get() || hasEnded()) {
            return;
        }
        if (!runQuietly("fusermount", "-u", "-z", mountpoint.toString())
                && !runQuietly("umount", "-l", mountpoint.toString())) {
            LOG.warning("could not unmount " + mountpoint + " (fusermount and umount failed)");
        }
    }

    /** Shutdown hook and jnr-fuse's umount(): unmount, then let the close finish. */
    private void unmountAndWait() {
        if (!serving.get()) {
            closeFilesystem();
            return;
        }
        unmount();
        try {
            if (serving.get() && !awaitEnded(CLOSE_WAIT)) {
                LOG.severe(image + " did not close within " + CLOSE_WAIT + " of unmounting");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean runQuietly(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(UNMOUNT_COMMAND_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
