package io.keelfs.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.fs.Filesystem;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real mounts, in this JVM, of the in-memory fake through {@link MountSession}: ordinary file
 * operations through java.nio.file and a few tools (setfattr/getfattr and dd when installed),
 * unmount with fusermount, then the session has ended, closed the filesystem once and left no
 * thread behind. Also the mount failures: each is one line, and nothing is opened or mounted.
 *
 * <p>Skipped (assumptions) where /dev/fuse, libfuse2 or fusermount are missing. Not covered:
 * the background daemon and signals (FuseDaemonTest), keelfs's real filesystem.
 */
class FuseMountTest {
    private static final Duration WAIT = Duration.ofSeconds(15);

    @TempDir
    Path tmp;

    /** A mount served by a background thread, as a test sees it. */
    private final class Mounted implements AutoCloseable {
        final InMemoryFilesystem fs = new InMemoryFilesystem();
        final Path mnt = tmp.resolve("mnt");
        final Path image = tmp.resolve("test image,1.img");
        final MountSession session;
        final Thread server;
        final AtomicReference<Throwable> serveFailure = new AtomicReference<>();

        Mounted(List<String> options) throws Exception {
            Files.createDirectories(mnt);
            session = MountSession.open(image, mnt, MountOptions.parse(options), (i, o) -> fs);
            server = new Thread(() -> {
                try {
                    session.serve(() -> { });
                } catch (Throwable t) {
                    serveFailure.set(t);
                }
            }, "test-fuse-serve");
            server.start();
            assertTrue(session.awaitReady(WAIT), "mount not ready: " + serveFailure.get());
        }

        void unmountWithFusermount() throws Exception {
            assertEquals(0, run("fusermount", "-u", mnt.toString()), "fusermount -u");
            assertTrue(session.awaitEnded(WAIT), "session did not end after fusermount -u");
            server.join(WAIT.toMillis());
            assertFalse(server.isAlive());
            assertEquals(null, serveFailure.get());
        }

        @Override
        public void close() throws IOException {
            if (!session.hasEnded()) {
                session.unmount();
                try {
                    session.awaitEnded(WAIT);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
        return p.waitFor();
    }

    private static String output(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    private static String mountinfoLine(Path mnt) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f.length > 4 && f[4].equals(mnt.toString())) {
                return line;
            }
        }
        return null;
    }

    private static Set<Thread> nonDaemonThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !t.isDaemon() && t.isAlive()).collect(Collectors.toSet());
    }

    @Test
    void ordinaryFileOperationsThroughARealMount() throws Exception {
        FuseTestSupport.assumeCanMount();
        Set<Thread> threadsBefore = nonDaemonThreads();
        Mounted m = new Mounted(List.of());
        try (m) {
            String info = mountinfoLine(m.mnt);
            assertTrue(info != null, "not in mountinfo");
            assertTrue(info.contains(" - fuse.keelfs "), info);
            assertTrue(info.contains(m.image.toString().replace(" ", "\\040")), info);
            Path mnt = m.mnt;

            Files.writeString(mnt.resolve("a.txt"), "hello, keelfs");
            assertEquals("hello, keelfs", Files.readString(mnt.resolve("a.txt")));
            Files.createDirectory(mnt.resolve("d"));
            Files.move(mnt.resolve("a.txt"), mnt.resolve("d/b.txt"));
            assertFalse(Files.exists(mnt.resolve("a.txt")));
            try (Stream<Path> list = Files.list(mnt.resolve("d"))) {
                assertEquals(List.of("b.txt"), list.map(p -> p.getFileName().toString())
                        .collect(Collectors.toList()));
            }
            Files.createSymbolicLink(mnt.resolve("link"), Path.of("d/b.txt"));
            assertEquals(Path.of("d/b.txt"), Files.readSymbolicLink(mnt.resolve("link")));
            assertEquals("hello, keelfs", Files.readString(mnt.resolve("link")));
            Files.createLink(mnt.resolve("hard"), mnt.resolve("d/b.txt"));
            assertEquals(2, Files.getAttribute(mnt.resolve("hard"), "unix:nlink"));
            assertEquals(Files.getAttribute(mnt.resolve("hard"), "unix:ino"),
                    Files.getAttribute(mnt.resolve("d/b.txt"), "unix:ino"), "use_ino");

            byte[] big = new byte[5 << 20];
            new Random(42).nextBytes(big);
            Files.write(mnt.resolve("big"), big);
            assertArrayEquals(big, Files.readAllBytes(mnt.resolve("big")));
            assertEquals(big.length, Files.size(mnt.resolve("big")));

            unlinkedOpenFileStaysUsable(m);
            manyEntriesListCompletely(mnt);
            xattrsThroughTheMount(mnt);
            directIoThroughTheMount(mnt);

            // A bug in the filesystem is EIO for the caller, and the mount lives on.
            m.fs.failNextWith("mkdir", new IllegalStateException("injected"));
            FileSystemException e = assertThrows(FileSystemException.class,
                    () -> Files.createDirectory(mnt.resolve("boom")));
            assertTrue(String.valueOf(e.getReason()).contains("Input/output error"),
                    e.toString());
            assertEquals(1, m.session.adapter().internalErrorCount());
            Files.delete(mnt.resolve("big"));
            assertFalse(Files.exists(mnt.resolve("big")));

            m.unmountWithFusermount();
            assertEquals(1, m.fs.closeCount.get(), "closed once after unmount");
            assertEquals(null, mountinfoLine(m.mnt), "still mounted");
        }
        assertNoNewThreads(threadsBefore);
    }

    /**
     * An open, unlinked file stays fully usable (write, read, fstat, fsync) while libfuse keeps
     * it as .fuse_hidden*, which goes away with the last close.
     */
    private static void unlinkedOpenFileStaysUsable(Mounted m) throws Exception {
        Path f = m.mnt.resolve("doomed");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Files.delete(f);
            assertFalse(Files.exists(f));
            ch.write(ByteBuffer.wrap("still here".getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(true);
            ByteBuffer back = ByteBuffer.allocate(10);
            assertEquals(10, ch.read(back, 0));
            assertEquals("still here", new String(back.array(), StandardCharsets.UTF_8));
            assertEquals(10, ch.size());
        }
        // RELEASE reaches the filesystem after close(2) returns; wait for libfuse's unlink.
        assertTrue(m.fs.awaitRootHasNoNameStartingWith(".fuse_hidden", WAIT),
                "hidden file left after the last close");
        try (Stream<Path> list = Files.list(m.mnt)) {
            assertTrue(list.noneMatch(p -> p.getFileName().toString()
                    .startsWith(".fuse_hidden")), "hidden file still listed by the mount");
        }
    }

    private static void manyEntriesListCompletely(Path mnt) throws IOException {
        Path dir = Files.createDirectory(mnt.resolve("many"));
        for (int i = 0; i < 1000; i++) {
            Files.createFile(dir.resolve("entry-with-a-longish-name-" + i));
        }
        try (Stream<Path> list = Files.list(dir)) {
            assertEquals(1000, list.count());
        }
    }

    private static void xattrsThroughTheMount(Path mnt) throws Exception {
        Path f = mnt.resolve("d/b.txt");
        UserDefinedFileAttributeView view =
                Files.getFileAttributeView(f, UserDefinedFileAttributeView.class);
        view.write("color", StandardCharsets.UTF_8.encode("blue"));
        assertEquals(List.of("color"), view.list());
        ByteBuffer value = ByteBuffer.allocate(view.size("color"));
        view.read("color", value);
        assertEquals("blue", new String(value.array(), StandardCharsets.UTF_8));
        if (FuseTestSupport.onPath("setfattr") && FuseTestSupport.onPath("getfattr")) {
            assertEquals(0, run("setfattr", "-n", "user.shape", "-v", "round", f.toString()));
            assertEquals("round", output("getfattr", "--only-values", "-n", "user.shape",
                    f.toString()));
            assertEquals(0, run("setfattr", "-x", "user.shape", f.toString()));
        }
        view.delete("color");
        assertEquals(List.of(), view.list());
    }

    private static void directIoThroughTheMount(Path mnt) throws Exception {
        if (!FuseTestSupport.onPath("dd")) {
            return;
        }
        Path f = mnt.resolve("direct");
        assertEquals(0, run("dd", "if=/dev/zero", "of=" + f, "bs=64k", "count=16",
                "oflag=direct", "status=none"));
        assertEquals(1 << 20, Files.size(f));
        assertEquals(0, run("dd", "if=" + f, "of=/dev/null", "bs=64k", "iflag=direct",
                "status=none"));
    }

    private static void assertNoNewThreads(Set<Thread> before) throws InterruptedException {
        Set<Thread> extra = null;
        for (int i = 0; i < 100; i++) {
            extra = nonDaemonThreads();
            extra.removeAll(before);
            if (extra.isEmpty()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("threads left after unmount: " + extra);
    }

    /**
     * Requests run on the request loop's own Java threads: a few hundred requests from several
     * client threads at once all reach the filesystem on threads the loop started (no
     * per-request thread: the JVM's started-thread count barely moves), at most {@code
     * threads=N} of them, and none is left after the unmount.
     */
    @Test
    void requestsRunOnTheLoopsOwnJavaThreads() throws Exception {
        FuseTestSupport.assumeCanMount();
        int threads = 3;
        int clients = 4;
        int statsPerClient = 100;
        Set<Thread> seen = ConcurrentHashMap.newKeySet();
        AtomicInteger calls = new AtomicInteger();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (Mounted m = new Mounted(List.of("threads=" + threads))) {
            Files.writeString(m.mnt.resolve("f"), "x");
            m.fs.onCall = op -> {
                seen.add(Thread.currentThread());
                calls.incrementAndGet();
            };
            long startedBefore = mx.getTotalStartedThreadCount();
            List<Thread> clientThreads = new ArrayList<>();
            AtomicReference<Throwable> clientFailure = new AtomicReference<>();
            for (int c = 0; c < clients; c++) {
                Thread t = new Thread(() -> {
                    try {
                        for (int i = 0; i < statsPerClient; i++) {
                            Files.readAttributes(m.mnt.resolve("f"), "unix:ino,size");
                        }
                    } catch (Throwable e) {
                        clientFailure.set(e);
                    }
                }, "test-fuse-client-" + c);
                clientThreads.add(t);
                t.start();
            }
            for (Thread t : clientThreads) {
                t.join(WAIT.toMillis());
            }
            long startedDuring = mx.getTotalStartedThreadCount() - startedBefore;
            assertEquals(null, clientFailure.get());
            assertTrue(calls.get() >= clients * statsPerClient, "calls " + calls.get());
            List<Thread> loopThreads = m.session.requestThreads();
            assertEquals(threads, loopThreads.size(), loopThreads.toString());
            Set<Thread> foreign = new HashSet<>(seen);
            loopThreads.forEach(foreign::remove);
            assertEquals(Set.of(), foreign, "requests served by threads the loop did not start");
            assertTrue(seen.size() <= threads, seen.toString());
            assertTrue(startedDuring <= clients + 2, calls.get() + " requests started "
                    + startedDuring + " threads");
            for (Thread t : loopThreads) {
                assertTrue(t.getName().startsWith(FuseRequestLoop.THREAD_NAME_PREFIX), t.getName());
            }
            m.unmountWithFusermount();
            for (Thread t : loopThreads) {
                t.join(WAIT.toMillis());
                assertFalse(t.isAlive(), t + " still alive after the unmount");
            }
        }
    }

    /**
     * Directories' attributes are cached by the kernel ({@code dir_attr_timeout}, here 60 s so
     * a loaded machine cannot expire them between two stats), yet every change through the
     * mount shows at once: mkdir and rmdir inside (nlink), chmod, rename, a file created inside
     * (mtime). A file's attributes are not cached, so a chmod through one hard link shows through
     * the other. With {@code dir_attr_timeout=0} every stat of a directory reaches the
     * filesystem.
     */
    @Test
    void directoryAttributesAreCachedAndStayCurrent() throws Exception {
        FuseTestSupport.assumeCanMount();
        try (Mounted m = new Mounted(List.of("dir_attr_timeout=60"))) {
            Path d = Files.createDirectory(m.mnt.resolve("d"));
            assertEquals(2, Files.getAttribute(d, "unix:nlink"));
            int before = m.fs.getattrCount.get();
            for (int i = 0; i < 5; i++) {
                assertEquals(2, Files.getAttribute(d, "unix:nlink"));
            }
            assertEquals(before, m.fs.getattrCount.get(), "stats of a cached directory");

            Files.createDirectory(d.resolve("sub"));
            assertEquals(3, Files.getAttribute(d, "unix:nlink"), "after mkdir inside");
            Files.delete(d.resolve("sub"));
            assertEquals(2, Files.getAttribute(d, "unix:nlink"), "after rmdir inside");
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
            assertEquals(0700, (int) Files.getAttribute(d, "unix:mode") & 0777, "after chmod");
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path e = Files.move(d, m.mnt.resolve("e"));
            assertEquals(0755, (int) Files.getAttribute(e, "unix:mode") & 0777, "after rename");
            m.fs.setMtimeForTest("/e", 0);
            Files.writeString(e.resolve("f"), "x");
            assertTrue(Files.getLastModifiedTime(e).toMillis() > 0, "mtime after a create");

            Path f = e.resolve("f");
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
            Path g = Files.createLink(m.mnt.resolve("g"), f);
            assertEquals(0644, (int) Files.getAttribute(g, "unix:mode") & 0777);
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
            assertEquals(0600, (int) Files.getAttribute(g, "unix:mode") & 0777,
                    "a hard link's other name after chmod");
        }
        try (Mounted m = new Mounted(List.of("dir_attr_timeout=0"))) {
            Path d = Files.createDirectory(m.mnt.resolve("d"));
            Files.getAttribute(d, "unix:nlink");
            int before = m.fs.getattrCount.get();
            for (int i = 0; i < 5; i++) {
                Files.getAttribute(d, "unix:nlink");
            }
            assertTrue(m.fs.getattrCount.get() >= before + 5, "uncached directory: "
                    + (m.fs.getattrCount.get() - before) + " getattrs for 5 stats");
        }
    }

    /** The owner of what a create makes is the calling process's uid and gid (getContext). */
    @Test
    void createdFilesBelongToTheCallingProcess() throws Exception {
        FuseTestSupport.assumeCanMount();
        org.junit.jupiter.api.Assumptions.assumeTrue(FuseTestSupport.onPath("setpriv"));
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions
                .fromString("rwxr-xr-x"));
        try (Mounted m = new Mounted(List.of("allow_other"))) {
            Path pub = Files.createDirectory(m.mnt.resolve("pub"));
            Files.setPosixFilePermissions(pub, java.nio.file.attribute.PosixFilePermissions
                    .fromString("rwxrwxrwx"));
            assertEquals(0, run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "mkdir", pub.resolve("nobodys").toString()));
            assertEquals(65534, m.fs.getattr("/pub/nobodys").uid());
            assertEquals(65534, m.fs.getattr("/pub/nobodys").gid());
            assertEquals(0, m.fs.getattr("/pub").uid());
            // default_permissions: the kernel refuses what the mode forbids.
            assertTrue(run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "touch", m.mnt.resolve("not-writable").toString()) != 0);
            m.unmountWithFusermount();
        }
    }

    @Test
    void missingMountpointIsOneLineAndOpensNothing() {
        AtomicInteger opened = new AtomicInteger();
        FilesystemOpener opener = (i, o) -> {
            opened.incrementAndGet();
            return new InMemoryFilesystem();
        };
        MountFailure f = assertThrows(MountFailure.class, () -> MountSession.open(
                tmp.resolve("img"), tmp.resolve("nope"), MountOptions.defaults(), opener));
        assertEquals("mountpoint " + tmp.resolve("nope") + " does not exist", f.getMessage());
        assertEquals(0, opened.get());
    }

    @Test
    void nonEmptyMountpointIsOneLine() throws Exception {
        Path mnt = Files.createDirectory(tmp.resolve("full"));
        Files.createFile(mnt.resolve("x"));
        MountFailure f = assertThrows(MountFailure.class, () -> MountSession.open(
                tmp.resolve("img"), mnt, MountOptions.defaults(), (i, o) -> {
                    throw new AssertionError("must not open");
                }));
        assertEquals("mountpoint " + mnt + " is not empty (holds x); use an empty directory"
                + " or -o nonempty", f.getMessage());
        assertFalse(f.getMessage().contains("\n"));
    }

    @Test
    void mountpointThatIsAFileIsOneLine() throws Exception {
        Path file = Files.createFile(tmp.resolve("file"));
        MountFailure f = assertThrows(MountFailure.class, () -> MountSession.preflight(file,
                MountOptions.defaults()));
        assertEquals("mountpoint " + file + " is not a directory", f.getMessage());
    }

    @Test
    void unavailableFilesystemIsOneLine() throws Exception {
        FuseTestSupport.assumeCanMount();
        Path mnt = Files.createDirectory(tmp.resolve("mnt"));
        MountFailure f = assertThrows(MountFailure.class, () -> MountSession.open(
                tmp.resolve("img"), mnt, MountOptions.defaults(), FilesystemOpener.UNAVAILABLE));
        assertTrue(f.getMessage().startsWith("filesystem not available in this build"),
                f.getMessage());
    }

    @Test
    void optionLibfuseRejectsFailsTheMountAndClosesTheFilesystem() throws Exception {
        FuseTestSupport.assumeCanMount();
        Path mnt = Files.createDirectory(tmp.resolve("mnt"));
        InMemoryFilesystem fs = new InMemoryFilesystem();
        MountSession session = MountSession.open(tmp.resolve("img"), mnt,
                MountOptions.parse(List.of("no_such_fuse_option")), (i, o) -> fs);
        MountFailure f = assertThrows(MountFailure.class, () -> session.serve(() -> { }));
        assertTrue(f.getMessage().startsWith("libfuse could not mount"), f.getMessage());
        assertEquals(1, fs.closeCount.get());
        assertEquals(null, mountinfoLine(mnt.toAbsolutePath()));
        assertTrue(session.hasEnded());
    }

    @Test
    void aCloseThatFailsAfterUnmountIsReported() throws Exception {
        FuseTestSupport.assumeCanMount();
        Path mnt = Files.createDirectory(tmp.resolve("mnt"));
        InMemoryFilesystem fs = new InMemoryFilesystem();
        MountSession session = MountSession.open(tmp.resolve("img"), mnt,
                MountOptions.defaults(), (i, o) -> fs);
        fs.failNextWith("close", new IllegalStateException("flush failed"));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread server = new Thread(() -> {
            try {
                session.serve(() -> { });
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        server.start();
        assertTrue(session.awaitReady(WAIT));
        session.unmount();
        server.join(WAIT.toMillis());
        assertTrue(failure.get() instanceof MountFailure, String.valueOf(failure.get()));
        assertTrue(failure.get().getMessage().endsWith("failed: flush failed"),
                failure.get().getMessage());
    }

    @Test
    void readOnlyOptionReachesTheOpenerAndTheKernel() throws Exception {
        FuseTestSupport.assumeCanMount();
        AtomicReference<MountOptions> seen = new AtomicReference<>();
        Path mnt = Files.createDirectory(tmp.resolve("mnt"));
        InMemoryFilesystem fs = new InMemoryFilesystem();
        MountSession session = MountSession.open(tmp.resolve("img"), mnt,
                MountOptions.parse(List.of("ro,cache_size=64M")), (i, o) -> {
                    seen.set(o);
                    return (Filesystem) fs;
                });
        Thread server = new Thread(() -> {
            try {
                session.serve(() -> { });
            } catch (MountFailure e) {
                throw new AssertionError(e);
            }
        });
        server.start();
        try {
            assertTrue(session.awaitReady(WAIT));
            assertTrue(seen.get().readOnly());
            assertEquals(64L << 20, seen.get().cacheSizeBytes());
            String info = mountinfoLine(mnt.toAbsolutePath());
            assertTrue(info.split(" ")[5].startsWith("ro"), info);
            FileSystemException e = assertThrows(FileSystemException.class,
                    () -> Files.createFile(mnt.resolve("x")));
            assertTrue(String.valueOf(e.getReason()).contains("Read-only"), e.toString());
        } finally {
            session.unmount();
            assertTrue(session.awaitEnded(WAIT));
            server.join(WAIT.toMillis());
        }
    }
}
