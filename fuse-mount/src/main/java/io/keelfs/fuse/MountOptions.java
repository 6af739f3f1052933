package io.keelfs.fuse;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The options of one mount: what keelfs consumes from the {@code -o} lists and what goes on to
 * libfuse.
 *
 * <p>Consumed: {@code ro}/{@code rw} (the filesystem opens read-only or not; the option is
 * passed on too, so the kernel refuses writes and mountinfo says ro), {@code cache_size=SIZE}
 * (K/M/G suffixes, powers of 1024; the filesystem's in-memory cache bound, 0 = its default),
 * {@code debug_log=FILE} (the daemon's log at FINE level, appended), {@code threads=N} (how
 * many threads serve FUSE requests, 1 to {@value FuseRequestLoop#THREADS_MAX}; default
 * {@link #defaultThreads}), {@code dir_attr_timeout=SECONDS} (how long the kernel may keep a
 * directory's attributes, a decimal up to {@value #DIR_ATTR_TIMEOUT_MAX_SECONDS}; default
 * {@value #DIR_ATTR_TIMEOUT_DEFAULT_SECONDS}; 0 = as long as attr_timeout; see {@link
 * DirectoryAttrReplies}). Dropped: options only
 * mount(8) and fstab know ({@code defaults, auto, noauto, user, nouser, users, owner, group,
 * _netdev, nofail, x-*, comment=*}) and {@code relatime}, {@code lazytime}, {@code
 * nolazytime} (see {@link #HARMLESS_FLAGS}), which libfuse2 would reject. Everything else
 * (fsname=, allow_other, default_permissions, dev, suid, nonempty, ...) is passed through to
 * libfuse unchanged, and libfuse rejects what it does not know.
 *
 * <p>Always given to libfuse, before the user's options so the user's win where libfuse takes
 * the last value: {@code fsname=IMAGE} (absolute; the mount's source in /proc/self/mountinfo)
 * unless given, {@code subtype=keelfs} unless given (type fuse.keelfs), {@code
 * default_permissions} (the kernel checks modes; see {@link KeelFuse#access}), {@code use_ino}
 * (st_ino is the filesystem's), {@code atomic_o_trunc} (O_TRUNC reaches open), {@code
 * attr_timeout=0}, {@code big_writes}, {@code max_write} and {@code max_read} of {@value
 * #IO_SIZE_MAX_BYTES} bytes (requests that big need {@link InitReply}: libfuse2 alone gets the
 * kernel's 128 KiB).
 *
 * <p>Why {@code attr_timeout=0}: libfuse2's high-level API gives each name of a hard-linked
 * file its own kernel inode, so a cached attribute of one name goes stale when the file changes
 * through another ({@code chmod a; stat b}); {@code -o attr_timeout=1} trades that for fewer
 * GETATTRs. Why not {@code hard_remove}: libfuse2 then answers fstat of an open, unlinked file
 * with ENOENT (the kernel's GETATTR carries no handle, and the name is gone); without it
 * libfuse renames such a file to {@code .fuse_hidden*} until its last close, which keeps fstat,
 * fchmod and friends working at the price of a visible name (and ENOTEMPTY from rmdir of its
 * directory meanwhile). {@code -o hard_remove} chooses the other way.
 *
 * <p>Thread-safety: immutable.
 *
 * <p>Why {@code dir_attr_timeout=1} beside {@code attr_timeout=0}: with {@code
 * default_permissions} the kernel checks every directory of a path it walks, and an uncached
 * directory costs a GETATTR round trip per check (meta.c: 11 GETATTRs per file, 5 with it).
 * Directories have one name each, so their cached attributes cannot go stale the way a hard
 * link's do ({@link DirectoryAttrReplies} says what the kernel keeps current).
 *
 * @param threads FUSE request threads, 0 for {@link #defaultThreads}
 * @param dirAttrValidNs how long the kernel may cache a directory's attributes, 0: not cached
 * @param libfuseOptions the user's options libfuse gets, in the order given
 */
public record MountOptions(boolean readOnly, long cacheSizeBytes, Path debugLog,
        boolean nonempty, String fsname, int threads, long dirAttrValidNs,
        List<String> libfuseOptions) {
    public static final int IO_SIZE_MAX_BYTES = 1 << 20;
    static final int DIR_ATTR_TIMEOUT_DEFAULT_SECONDS = 1;
    /** A day: longer says nothing more (the kernel drops the cache on every change anyway). */
    static final int DIR_ATTR_TIMEOUT_MAX_SECONDS = 86_400;
    static final long NS_PER_SECOND = 1_000_000_000L;
    static final List<String> ALWAYS = List.of("default_permissions", "use_ino",
            "atomic_o_trunc", "attr_timeout=0", "big_writes", "max_write=" + IO_SIZE_MAX_BYTES,
            "max_read=" + IO_SIZE_MAX_BYTES);
    private static final Set<String> MOUNT8_ONLY = Set.of("defaults", "auto", "noauto", "user",
            "nouser", "users", "owner", "group", "_netdev", "nofail");
    /**
     * Flags libfuse2 rejects although fstab lines often carry them, and dropping them changes
     * nothing: relatime is what a FUSE mount gets anyway, and lazytime concerns the kernel's
     * own inode writeback, which a FUSE mount does not have.
     */
    private static final Set<String> HARMLESS_FLAGS = Set.of("relatime", "lazytime",
            "nolazytime");

    public MountOptions {
        if (cacheSizeBytes < 0) {
            throw new IllegalArgumentException("cache_size " + cacheSizeBytes + " < 0");
        }
        if (threads < 0 || threads > FuseRequestLoop.THREADS_MAX) {
            throw new IllegalArgumentException("threads " + threads + " not in 0 (the default)"
                    + " to " + FuseRequestLoop.THREADS_MAX);
        }
        if (dirAttrValidNs < 0 || dirAttrValidNs > DIR_ATTR_TIMEOUT_MAX_SECONDS * NS_PER_SECOND) {
            throw new IllegalArgumentException("dir_attr_timeout " + dirAttrValidNs
                    + " ns not in 0.." + DIR_ATTR_TIMEOUT_MAX_SECONDS + " s");
        }
        libfuseOptions = List.copyOf(libfuseOptions);
    }

    public static MountOptions defaults() {
        return new MountOptions(false, 0, null, false, null, 0,
                DIR_ATTR_TIMEOUT_DEFAULT_SECONDS * NS_PER_SECOND, List.of());
    }

    /**
     * Request threads when not given: two per core (a request often waits on the image or a
     * flush while another computes), at least 4 (fsync and reads of one client must not queue
     * behind another's).
     */
    public static int defaultThreads() {
        return Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    }

    /** The request threads to start: {@link #threads}, or the default. */
    public int threadsOrDefault() {
        return threads != 0 ? threads : defaultThreads();
    }

    /**
     * Parses {@code -o} arguments, each a comma-separated list ({@code \,} is a literal comma,
     * as libfuse reads it). A bad value of a consumed option is an IllegalArgumentException
     * naming it.
     */
    public static MountOptions parse(List<String> optionLists) {
        boolean readOnly = false;
        long cacheSizeBytes = 0;
        Path debugLog = null;
        boolean nonempty = false;
        String fsname = null;
        int threads = 0;
        long dirAttrValidNs = DIR_ATTR_TIMEOUT_DEFAULT_SECONDS * NS_PER_SECOND;
        List<String> pass = new ArrayList<>();
        for (String list : optionLists) {
            for (String option : split(list)) {
                String key = option.contains("=") ? option.substring(0, option.indexOf('='))
                        : option;
                String value = option.substring(Math.min(option.length(), key.length() + 1));
                switch (key) {
                    case "ro" -> {
                        readOnly = true;
                        pass.add(option);
                    }
                    case "rw" -> {
                        readOnly = false;
                        pass.add(option);
                    }
                    case "cache_size" -> cacheSizeBytes = parseSize(option, value);
                    case "threads" -> threads = parseThreads(option, value);
                    case "dir_attr_timeout" -> dirAttrValidNs = parseSeconds(option, value);
                    case "debug_log" -> {
                        if (value.isEmpty()) {
                            throw new IllegalArgumentException("debug_log needs a file:"
                                    + " debug_log=FILE");
                        }
                        debugLog = Path.of(value);
                    }
                    default -> {
                        if (MOUNT8_ONLY.contains(key) || HARMLESS_FLAGS.contains(key)
                                || key.startsWith("x-") || key.equals("comment")) {
                            continue;
                        }
                        nonempty |= key.equals("nonempty");
                        if (key.equals("fsname")) {
                            fsname = value;
                        }
                        pass.add(option);
                    }
                }
            }
        }
        return new MountOptions(readOnly, cacheSizeBytes, debugLog, nonempty, fsname, threads,
                dirAttrValidNs, pass);
    }

    /** Splits at commas not escaped by a backslash; drops empty items. Keeps the escapes. */
    static List<String> split(String list) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < list.length(); i++) {
            char c = list.charAt(i);
            if (c == '\\' && i + 1 < list.length()) {
                current.append(c).append(list.charAt(++i));
            } else if (c == ',') {
                addIfNotEmpty(out, current);
            } else {
                current.append(c);
            }
        }
        addIfNotEmpty(out, current);
        return out;
    }

    private static void addIfNotEmpty(List<String> out, StringBuilder item) {
        String s = item.toString().trim();
        if (!s.isEmpty()) {
            out.add(s);
        }
        item.setLength(0);
    }

    private static long parseSize(String option, String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        int shift = 0;
        if (t.endsWith("K") || t.endsWith("M") || t.endsWith("G")) {
            shift = 10 * (1 + "KMG".indexOf(t.charAt(t.length() - 1)));
            t = t.substring(0, t.length() - 1);
        }
        try {
            long n = Long.parseLong(t);
            if (n < 0 || n > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad size in '" + option
                    + "': a whole number of bytes with an optional K, M or G suffix", e);
        }
    }

    private static int parseThreads(String option, String text) {
        try {
            int n = Integer.parseInt(text.trim());
            if (n >= 1 && n <= FuseRequestLoop.THREADS_MAX) {
                return n;
            }
        } catch (NumberFormatException e) {
            // Reported below, with the range.
        }
        throw new IllegalArgumentException("bad thread count in '" + option + "': a whole number"
                + " from 1 to " + FuseRequestLoop.THREADS_MAX);
    }

    /** A decimal number of seconds (as libfuse's attr_timeout) as whole nanoseconds. */
    private static long parseSeconds(String option, String text) {
        try {
            double seconds = Double.parseDouble(text.trim());
            if (seconds >= 0 && seconds <= DIR_ATTR_TIMEOUT_MAX_SECONDS) {
                return Math.round(seconds * NS_PER_SECOND);
            }
        } catch (NumberFormatException e) {
            // Reported below, with the range.
        }
        throw new IllegalArgumentException("bad time in '" + option + "': seconds from 0 to "
                + DIR_ATTR_TIMEOUT_MAX_SECONDS + ", e.g. 1 or 0.5");
    }

    /** The arguments after the mountpoint for fuse_main: one {@code -o} list. */
    public List<String> libfuseArgs(Path image) {
        List<String> all = new ArrayList<>();
        if (fsname == null) {
            all.add("fsname=" + escape(image.toAbsolutePath().normalize().toString()));
        }
        if (libfuseOptions.stream().noneMatch(o -> o.startsWith("subtype="))) {
            all.add("subtype=keelfs");
        }
        all.addAll(ALWAYS);
        all.addAll(libfuseOptions);
        return List.of("-o", String.join(",", all));
    }

    /** libfuse's option syntax: a backslash escapes commas and backslashes. */
    static String escape(String value) {
        return value.replace("\\", "\\\\").replace(",", "\\,");
    }
}
