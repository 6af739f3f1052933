package io.keelfs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.cli.FuseKeelfsSupport.ServedMount;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a background mount daemon (a child JVM started as {@code keelfs mount} starts
 * it) in the middle of a write workload: files written and fsynced through the mount (new
 * files, an in-place overwrite, an append log fsynced after every record, a rename made
 * durable by fsync of its directory) are recorded; more writes keep going, unsynced, from
 * several threads while the daemon is killed. Then {@code fusermount -u -z} of the dead
 * mount, fsck of the crashed image, a remount (journal replay): every fsynced byte is there,
 * exactly; unmount and fsck clean. The seed is printed; {@code -Dkeelfs.seed=N} replays the
 * data (not the timing). Not covered: what unsynced data survives (anything may).
 */
class FuseKeelfsKillTest {
    private static final int FILES = 24;
    private static final int WRITERS = 3;

    @TempDir
    Path tmp;
    private Path mnt;
    private long pid = -1;

    @AfterEach
    void tearDown() throws Exception {
        if (pid > 0) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        FuseKeelfsSupport.forceUnmount(mnt);
    }

    private static void writeFsynced(Path file, long offset, byte[] data, boolean truncate)
            throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            if (truncate) {
                ch.truncate(0);
            }
            ByteBuffer b = ByteBuffer.wrap(data);
            long at = offset;
            while (b.hasRemaining()) {
                at += ch.write(b, at);
            }
            ch.force(true);
        }
    }

    private static void fsyncDir(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    @Test
    void fsyncedDataSurvivesKill9OfTheDaemon() throws Exception {
        FuseKeelfsSupport.assumeCanMount(tmp);
        long seed = Long.getLong("keelfs.seed", System.nanoTime());
        System.out.println("FuseKeelfsKillTest seed " + seed);
        Random random = new Random(seed);
        Path image = FuseKeelfsSupport.mkfs(tmp.resolve("img"), "256M");
        mnt = tmp.resolve("mnt");
        pid = FuseKeelfsSupport.mountDaemon(image, mnt, tmp);

        Path dir = Files.createDirectory(mnt.resolve("d"));
        fsyncDir(mnt);
        Map<String, byte[]> durable = new LinkedHashMap<>();
        for (int i = 0; i < FILES; i++) {
            byte[] data = new byte[1 + random.nextInt(600_000)];
            random.nextBytes(data);
            writeFsynced(dir.resolve("f" + i), 0, data, false);
            durable.put("d/f" + i, data);
        }
        fsyncDir(dir);
        // An in-place overwrite across block boundaries, fsynced.
        byte[] over = durable.get("d/f0").clone();
        byte[] patch = new byte[Math.min(over.length, 70_001)];
        random.nextBytes(patch);
        int at = (over.length - patch.length) / 2;
        writeFsynced(dir.resolve("f0"), at, patch, false);
        System.arraycopy(patch, 0, over, at, patch.length);
        durable.put("d/f0", over);
        // A rename made durable by fsync of the directory.
        Files.move(dir.resolve("f1"), dir.resolve("renamed"));
        fsyncDir(dir);
        durable.put("d/renamed", durable.remove("d/f1"));
        // An append log, fsync after every record.
        Path log = dir.resolve("log");
        ByteBuffer logBytes = ByteBuffer.allocate(4 << 20);
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND)) {
            for (int r = 0; r < 200; r++) {
                byte[] rec = new byte[1 + random.nextInt(9000)];
                random.nextBytes(rec);
                ch.write(ByteBuffer.wrap(rec));
                ch.force(false);
                logBytes.put(rec);
            }
        }
        durable.put("d/log", Arrays.copyOf(logBytes.array(), logBytes.position()));

        // Unsynced writers keep going while the daemon dies.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong unsyncedBytes = new AtomicLong();
        Thread[] writers = new Thread[WRITERS];
        for (int w = 0; w < WRITERS; w++) {
            int id = w;
            writers[w] = new Thread(() -> {
                byte[] chunk = new byte[128 << 10];
                new Random(seed + id).nextBytes(chunk);
                for (int n = 0; !stop.get(); n++) {
                    try {
                        Files.write(dir.resolve("u" + id + "-" + (n % 16)), chunk);
                        unsyncedBytes.addAndGet(chunk.length);
                    } catch (IOException e) {
                        return; // the mount is gone
                    }
                }
            });
            writers[w].start();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (unsyncedBytes.get() < (8L << 20) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
        Process kill = new ProcessBuilder("kill", "-9", Long.toString(pid)).start();
        assertEquals(0, kill.waitFor());
        daemon.onExit().get(10, TimeUnit.SECONDS);
        stop.set(true);
        Process lazy = new ProcessBuilder("fusermount", "-u", "-z", mnt.toString())
                .inheritIO().start();
        assertEquals(0, lazy.waitFor());
        for (Thread t : writers) {
            t.join(TimeUnit.SECONDS.toMillis(20));
            assertTrue(!t.isAlive(), "a writer hangs on the dead mount");
        }
        pid = -1;

        FuseKeelfsSupport.assertFsckClean(image);
        ServedMount again = FuseKeelfsSupport.mountInThread(image, mnt);
        for (Map.Entry<String, byte[]> e : durable.entrySet()) {
            Path file = mnt.resolve(e.getKey());
            assertTrue(Files.exists(file), e.getKey() + " lost (seed " + seed + ")");
            byte[] got = Files.readAllBytes(file);
            if (e.getKey().equals("d/log")) {
                assertTrue(got.length >= e.getValue().length, "log shorter than fsynced");
                got = Arrays.copyOf(got, e.getValue().length);
            }
            assertArrayEquals(e.getValue(), got, e.getKey() + " differs (seed " + seed + ")");
        }
        again.unmount();
        FuseKeelfsSupport.assertFsckClean(image);
    }
}
