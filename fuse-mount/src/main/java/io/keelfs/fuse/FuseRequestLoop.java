package io.keelfs.fuse;

import com.kenai.jffi.MemoryIO;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import jnr.ffi.annotations.IgnoreError;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.byref.PointerByReference;
import ru.serce.jnrfuse.struct.FuseOperations;

/**
 * libfuse2's request loop, run on Java threads: libfuse mounts and parses ({@code fuse_setup}),
 * then {@code threads} JVM platform threads each receive a request from /dev/fuse into a
 * buffer of their own and hand it to libfuse ({@code fuse_session_receive_buf}, {@code
 * fuse_session_process_buf}), which calls the adapter's operations on that same thread.
 *
 * <p>Why: libfuse's own loop ({@code fuse_loop_mt}, what jnr-fuse's {@code fuse_main_real}
 * runs) serves on native threads it starts and stops as load changes; every callback from such
 * a thread into Java attaches it to the JVM (a new java.lang.Thread each time), which was
 * measured at more than one thread start per request. Threads the JVM owns pay nothing.
 *
 * <p>Semantics copied from libfuse 2.9's lib/fuse_loop_mt.c ({@code fuse_do_work}): each
 * worker loops while the session has not exited; the buffer is reset before every receive
 * (receive overwrites its size); {@code -EINTR} (and {@code -EAGAIN}) is retried; 0 means the
 * kernel ended the connection ({@code ENODEV}: unmounted; libfuse has already marked the
 * session exited), which every blocked worker sees, so all end; any other error exits the
 * session, and since Java cannot {@code pthread_cancel} the workers still blocked in read, the
 * {@code wake} action (an unmount) ends the connection so they see ENODEV too. The serving
 * thread joins every worker before {@link #teardown} frees what they use.
 *
 * <p>Replies: INIT and the requests whose replies carry attributes are processed with a {@link
 * ReplyChannel} of their own ({@link InitReply}: requests of up to {@link
 * MountOptions#IO_SIZE_MAX_BYTES}; {@link DirectoryAttrReplies}: directories' attributes
 * cached), every other request with libfuse's channel. Each worker's buffer holds the largest
 * request, {@link MountOptions#IO_SIZE_MAX_BYTES} plus libfuse's header page.
 *
 * <p>Lifecycle: {@link #setup} (mounted, nothing served; null if libfuse refused, having
 * printed why) → {@link #serve} (blocks until every worker has ended) → {@link #teardown}
 * (unmounts if still mounted, calls destroy, frees libfuse's state). Exactly once each, in
 * this order, from one thread.
 *
 * <p>Thread-safety: {@link #serve} and {@link #teardown} from the thread that called setup;
 * {@link #workers} from any thread.
 */
final class FuseRequestLoop {
    private static final Logger LOG = Logger.getLogger(FuseRequestLoop.class.getName());
    /** More workers than this only wait in read(2); the kernel queues requests anyway. */
    static final int THREADS_MAX = 256;
    static final String THREAD_NAME_PREFIX = "keelfs-fuse-";
    /** struct fuse_buf (libfuse 2.9, LP64): size_t size; int flags; void *mem; int fd; off_t. */
    static final int BUF_SIZE_OFFSET = 0;
    static final int BUF_FLAGS_OFFSET = 8;
    static final int BUF_MEM_OFFSET = 16;
    static final int BUF_FD_OFFSET = 24;
    static final int BUF_POS_OFFSET = 32;
    static final int BUF_STRUCT_BYTES = 40;
    /** Per worker: the struct fuse_buf, then the struct fuse_chan* that receive may replace. */
    static final int WORKER_HEADER_BYTES = BUF_STRUCT_BYTES + 8;
    /** enum fuse_buf_flags: the data is in buf.fd (a pipe), not in buf.mem. */
    static final int FUSE_BUF_IS_FD = 1 << 1;
    /** What libfuse keeps free in a request buffer besides the data (FUSE_BUFFER_HEADER_SIZE). */
    static final int HEADER_PAGE_BYTES = 0x1000;
    /** sizeof(struct fuse_in_header): u32 len, u32 opcode, u64 unique, nodeid, ... */
    static final int IN_HEADER_BYTES = 40;
    static final int IN_OPCODE_OFFSET = 4;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;

    static {
        if (BUF_POS_OFFSET + 8 != BUF_STRUCT_BYTES || BUF_MEM_OFFSET % 8 != 0) {
            throw new ExceptionInInitializerError("struct fuse_buf layout constants disagree");
        }
    }

    /** The part of libfuse 2.9 (FUSE_2.6 and later symbols) a loop of one's own needs. */
    public interface Libfuse {
        Pointer fuse_setup(int argc, String[] argv, FuseOperations op, long opSizeBytes,
                PointerByReference mountpoint, IntByReference multithreaded, Pointer userData);

        void fuse_teardown(Pointer fuse, Pointer mountpoint);

        Pointer fuse_get_session(Pointer fuse);

        Pointer fuse_session_next_chan(Pointer session, Pointer channel);

        long fuse_chan_bufsize(Pointer channel);

        int fuse_start_cleanup_thread(Pointer fuse);

        void fuse_stop_cleanup_thread(Pointer fuse);

        @IgnoreError
        int fuse_session_receive_buf(Pointer session, Pointer buf, Pointer channelRef);

        @IgnoreError
        void fuse_session_process_buf(Pointer session, Pointer buf, Pointer channel);

        @IgnoreError
        int fuse_session_exited(Pointer session);

        void fuse_session_exit(Pointer session);

        Pointer fuse_chan_new(Pointer ops, int fd, long bufsizeBytes, Pointer data);

        int fuse_chan_fd(Pointer channel);

        @IgnoreError
        int fuse_chan_send(Pointer channel, Pointer iov, long count);

        void fuse_chan_destroy(Pointer channel);
    }

    /**
     * Test hooks (STYLE.md section 7) at the loop's two failure points: every libfuse call
     * (a test wraps the binding to make a receive fail) and the start of each worker (a test
     * makes one fail as when no native thread is left). {@link #NONE} in production.
     */
    interface Hooks {
        Hooks NONE = new Hooks() { };

        default Libfuse wrap(Libfuse lib) {
            return lib;
        }

        default Thread newWorker(Runnable body, String name) {
            return new Thread(body, name);
        }
    }

    private final Libfuse lib;
    private final Hooks hooks;
    private final Pointer fuse;
    private final Pointer mountpoint;
    private final Pointer session;
    private final Pointer channel;
    private final long bufsizeBytes;
    private final boolean multithreaded;
    private final List<Thread> workers = new ArrayList<>();
    /** The first receive error (negative errno) of any worker, or 0. */
    private final AtomicInteger error = new AtomicInteger();
    /** Set by {@link #serve} before any worker starts; null: every reply as libfuse made it. */
    private DirectoryAttrReplies replies;
    /** Likewise, for the INIT request ({@link InitReply}). */
    private ReplyChannel initReplies;

    private FuseRequestLoop(Libfuse lib, Hooks hooks, Pointer fuse, Pointer mountpoint,
            boolean multithreaded) {
        this.lib = lib;
        this.hooks = hooks;
        this.fuse = fuse;
        this.mountpoint = mountpoint;
        this.multithreaded = multithreaded;
        this.session = lib.fuse_get_session(fuse);
        this.channel = lib.fuse_session_next_chan(session, null);
        this.bufsizeBytes = Math.max(lib.fuse_chan_bufsize(channel),
                MountOptions.IO_SIZE_MAX_BYTES + HEADER_PAGE_BYTES);
    }

    /**
     * Mounts with libfuse's argument parsing ({@code argv[0]} a program name, then the
     * mountpoint, {@code -f} and {@code -o} lists, as for fuse_main). Returns null if libfuse
     * refused (it printed its reason on stderr); nothing is mounted then.
     */
    static FuseRequestLoop setup(FuseOperations operations, String[] argv, Hooks hooks) {
        Libfuse lib = hooks.wrap(
                LibraryLoader.create(Libfuse.class).failImmediately().load("libfuse.so.2"));
        PointerByReference mountpoint = new PointerByReference();
        IntByReference multithreaded = new IntByReference();
        Pointer fuse = lib.fuse_setup(argv.length, argv, operations, Struct.size(operations),
                mountpoint, multithreaded, null);
        if (fuse == null) {
            return null;
        }
        return new FuseRequestLoop(lib, hooks, fuse, mountpoint.getValue(),
                multithreaded.intValue() != 0);
    }

    /**
     * Serves on {@code threads} new threads (1 if libfuse was told {@code -s}) until the session
     * exits, and returns once every one has ended. Directories' attributes are valid for {@code
     * dirAttrValidNs} in the kernel ({@link DirectoryAttrReplies}; 0: not cached). {@code wake}
     * runs (on a worker) if a worker failed and the others must be woken from read(2). Returns
     * the first error (a negative errno from receive, -1 for anything else; logged), or 0 when
     * the kernel ended the mount.
     */
    int serve(int threads, long dirAttrValidNs, Runnable wake) {
        if (threads < 1 || threads > THREADS_MAX) {
            throw new IllegalArgumentException("threads " + threads + " not in 1.." + THREADS_MAX);
        }
        int count = multithreaded ? threads : 1;
        if (lib.fuse_start_cleanup_thread(fuse) != 0) {
            throw new IllegalStateException("libfuse could not start its cache cleanup thread");
        }
        replies = DirectoryAttrReplies.create(lib, channel, bufsizeBytes, dirAttrValidNs);
        initReplies = ReplyChannel.open(lib, channel, bufsizeBytes, InitReply.maxPages(
                MountOptions.IO_SIZE_MAX_BYTES / InitReply.PAGE_BYTES));
        try {
            synchronized (workers) {
                for (int i = 0; i < count; i++) {
                    Thread t = hooks.newWorker(() -> work(wake), THREAD_NAME_PREFIX + i);
                    t.setDaemon(true);
                    workers.add(t);
                }
            }
            int started = 0;
            try {
                for (Thread t : workers) {
                    t.start();
                    started++;
                }
            } catch (Throwable t) { // No native thread left: end what started, as on an error.
                fail(-1, t, wake);
            }
            for (Thread t : workers.subList(0, started)) {
                joinUninterruptibly(t);
            }
        } finally {
            lib.fuse_stop_cleanup_thread(fuse);
            if (replies != null) {
                replies.close();
            }
            if (initReplies != null) {
                initReplies.close();
            }
        }
        return error.get();
    }

    /** Teardown frees what a worker uses, so an interrupt must not cut the wait short. */
    private static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The threads {@link #serve} started (alive or ended), for tests and diagnostics. */
    List<Thread> workers() {
        synchronized (workers) {
            return List.copyOf(workers);
        }
    }

    /** fuse_do_work: one worker's receive-process loop over a buffer of its own. */
    private void work(Runnable wake) {
        MemoryIO io = MemoryIO.getInstance();
        long headerAddress = io.allocateMemory(WORKER_HEADER_BYTES, true);
        long dataAddress = io.allocateMemory(bufsizeBytes, false);
        try {
            if (headerAddress == 0 || dataAddress == 0) {
                throw new OutOfMemoryError("no native memory for a FUSE request buffer of "
                        + bufsizeBytes + " bytes");
            }
            Runtime runtime = Runtime.getSystemRuntime();
            Pointer buf = Pointer.wrap(runtime, headerAddress);
            Pointer channelRef = Pointer.wrap(runtime, headerAddress + BUF_STRUCT_BYTES);
            while (lib.fuse_session_exited(session) == 0) {
                buf.putLong(BUF_SIZE_OFFSET, bufsizeBytes);
                buf.putInt(BUF_FLAGS_OFFSET, 0);
                buf.putAddress(BUF_MEM_OFFSET, dataAddress);
                buf.putInt(BUF_FD_OFFSET, 0);
                buf.putLong(BUF_POS_OFFSET, 0);
                channelRef.putPointer(0, channel);
                int res = lib.fuse_session_receive_buf(session, buf, channelRef);
                if (res == -EINTR || res == -EAGAIN) {
                    continue;
                }
                if (res <= 0) {
                    if (res < 0) {
                        fail(res, null, wake);
                    }
                    break;
                }
                lib.fuse_session_process_buf(session, buf, replyChannel(io, buf,
                        dataAddress, channelRef.getPointer(0)));
            }
        } catch (Throwable t) {
            fail(-1, t, wake);
        } finally {
            io.freeMemory(dataAddress);
            io.freeMemory(headerAddress);
        }
    }

    /**
     * The channel to process a received request with: {@link InitReply}'s for INIT, {@link
     * DirectoryAttrReplies}'s for the opcodes whose replies it rewrites, else the one receive
     * returned. A request left in a
     * pipe (-o splice_read) is not in the buffer and keeps receive's channel.
     */
    private Pointer replyChannel(MemoryIO io, Pointer buf, long dataAddress, Pointer received) {
        if ((buf.getInt(BUF_FLAGS_OFFSET) & FUSE_BUF_IS_FD) != 0
                || buf.getLong(BUF_SIZE_OFFSET) < IN_HEADER_BYTES) {
            return received;
        }
        int opcode = io.getInt(dataAddress + IN_OPCODE_OFFSET);
        if (opcode == InitReply.OP_INIT) {
            return initReplies != null ? initReplies.pointer() : received;
        }
        return replies != null ? replies.channelFor(opcode) : received;
    }

    private void fail(int res, Throwable t, Runnable wake) {
        LOG.log(Level.SEVERE, "FUSE request loop of " + Thread.currentThread().getName()
                + " failed" + (t == null ? ": receive returned " + res : ""), t);
        lib.fuse_session_exit(session);
        if (error.compareAndSet(0, res)) {
            try {
                wake.run();
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "cannot wake the other FUSE workers", e);
            }
        }
    }

    /** fuse_teardown: unmounts if still mounted, runs destroy, frees libfuse's state. */
    void teardown() {
        lib.fuse_teardown(fuse, mountpoint);
    }
}
