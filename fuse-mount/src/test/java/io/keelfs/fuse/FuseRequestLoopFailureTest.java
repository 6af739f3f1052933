package io.keelfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request loop's failure paths, forced through {@link FuseRequestLoop.Hooks}: a receive
 * from /dev/fuse that fails (EIO) on one worker, and a worker thread that cannot start. Either
 * way the loop must log which worker failed and why, end the session (unmounting, so the
 * workers blocked in read(2) see ENODEV), join every worker, close the filesystem once, and
 * leave nothing mounted; nothing may hang.
 *
 * <p>Not covered: a failure inside libfuse's processing of a request (the adapter's errors are
 * errno values, FuseAdapterTest), a kernel that ends the connection (every unmount test).
 */
class FuseRequestLoopFailureTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int EIO = 5;

    @TempDir
    Path tmp;

    private final List<String> loopLog = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            loopLog.add(r.getMessage() + (r.getThrown() == null ? "" : " " + r.getThrown()));
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };
    private final Logger logger = Logger.getLogger(FuseRequestLoop.class.getName());

    @BeforeEach
    void captureLog() {
        logger.addHandler(capture);
    }

    @AfterEach
    void releaseLog() {
        logger.removeHandler(capture);
    }

    /** A session served on a thread of its own, with the given hooks. */
    private final class Served {
        final InMemoryFilesystem fs = new InMemoryFilesystem();
        final Path mnt = tmp.resolve("mnt");
        final MountSession session;
        final Thread server;
        final AtomicReference<Throwable> serveFailure = new AtomicReference<>();

        Served(FuseRequestLoop.Hooks hooks) throws Exception {
            Files.createDirectories(mnt);
            session = MountSession.open(tmp.resolve("img"), mnt,
                    MountOptions.parse(List.of("threads=3")), (i, o) -> fs);
            session.setLoopHooks(hooks);
            server = new Thread(() -> {
                try {
                    session.serve(() -> { });
                } catch (Throwable t) {
                    serveFailure.set(t);
                }
            }, "test-fuse-serve");
            server.start();
        }

        /** The session ended by itself, closed the filesystem once, and left no mount. */
        void assertEndedCleanly() throws Exception {
            assertTrue(session.awaitEnded(WAIT), "session still serving after the failure");
            server.join(WAIT.toMillis());
            assertFalse(server.isAlive(), "serve() did not return");
            for (Thread t : session.requestThreads()) {
                t.join(WAIT.toMillis());
                assertFalse(t.isAlive(), t.getName() + " still running");
            }
            assertEquals(1, fs.closeCount.get(), "filesystem closes");
            assertFalse(mounted(mnt), mnt + " still mounted");
        }
    }

    private static boolean mounted(Path mnt) throws Exception {
        String target = " " + mnt.toRealPath() + " ";
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .anyMatch(line -> line.contains(target));
    }

    /** Wraps the binding so that receive fails with -EIO once {@code fail} is set. */
    private static FuseRequestLoop.Libfuse failingReceive(FuseRequestLoop.Libfuse real,
            AtomicBoolean fail) {
        return (FuseRequestLoop.Libfuse) Proxy.newProxyInstance(
                FuseRequestLoop.Libfuse.class.getClassLoader(),
                new Class<?>[] {FuseRequestLoop.Libfuse.class}, (proxy, method, args) -> {
                    if (method.getName().equals("fuse_session_receive_buf") && fail.get()) {
                        return -EIO;
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void aFailedReceiveEndsTheSessionAndUnmounts() throws Exception {
        FuseTestSupport.assumeCanMount();
        AtomicBoolean fail = new AtomicBoolean();
        Served s = new Served(new FuseRequestLoop.Hooks() {
            @Override
            public FuseRequestLoop.Libfuse wrap(FuseRequestLoop.Libfuse lib) {
                return failingReceive(lib, fail);
            }
        });
        assertTrue(s.session.awaitReady(WAIT), "mount not ready: " + s.serveFailure.get());
        Files.writeString(s.mnt.resolve("f"), "x");
        fail.set(true);
        // The worker that serves this stat fails on its next receive.
        Files.exists(s.mnt.resolve("f"));
        s.assertEndedCleanly();
        assertTrue(loopLog.stream().anyMatch(m -> m.matches(
                "FUSE request loop of keelfs-fuse-\\d+ failed: receive returned -" + EIO)),
                loopLog.toString());
        // Mounted and then failed: logged, not a MountFailure.
        assertEquals(null, s.serveFailure.get());
    }

    @Test
    void aWorkerThatCannotStartEndsTheSession() throws Exception {
        FuseTestSupport.assumeCanMount();
        Served s = new Served(new FuseRequestLoop.Hooks() {
            @Override
            public Thread newWorker(Runnable body, String name) {
                if (!name.endsWith("-1")) {
                    return new Thread(body, name);
                }
                return new Thread(body, name) {
                    @Override
                    public synchronized void start() {
                        throw new OutOfMemoryError("unable to create native thread (injected)");
                    }
                };
            }
        });
        s.assertEndedCleanly();
        assertTrue(loopLog.stream().anyMatch(m -> m.startsWith("FUSE request loop of ")
                && m.contains("failed") && m.contains("unable to create native thread")),
                loopLog.toString());
        // Worker 0 ran and ended; the one that failed and the one after it never ran.
        List<Thread.State> states = s.session.requestThreads().stream().map(Thread::getState)
                .toList();
        assertEquals(List.of(Thread.State.TERMINATED, Thread.State.NEW, Thread.State.NEW),
                states);
    }
}
