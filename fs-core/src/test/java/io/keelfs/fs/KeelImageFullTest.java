package io.keelfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.alloc.AllocRecord;
import io.keelfs.alloc.AllocUpdates;
import io.keelfs.alloc.DataType;
import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import io.keelfs.error.Errno;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Geometry;
import io.keelfs.fs.data.ExtentFileData;
import io.keelfs.txn.TransactionIterator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The full filesystem on the managed stack (KeelImage: btree nodes and file data from one
 * allocator) on a 64 MiB memory device with 256 KiB buckets: fill to ENOSPC through the
 * Filesystem API (a clean ENOSPC, every file intact), then unlink and truncate on the full
 * filesystem (the btree watermark keeps node buckets for their checkpoints), reuse of the
 * freed space, remounts in between; and overwrite at ~90% full so that copygc must run, every
 * file verified against a model. After each phase statfs and the allocator's counts are
 * compared with a recount of the alloc records.
 *
 * <p>Not covered: crashes while full (KeelFilesystemCrashTest), concurrency.
 */
class KeelImageFullTest {
    private static final int BUCKET = 256 << 10;
    private static final int CHUNK = 64 << 10;

    private final MemoryBlockDevice device =
            new MemoryBlockDevice(64L << 20, 4096, "keel-image-full-test");
    private final long seed = Long.getLong("keelfs.seed", System.nanoTime());
    private final Random random = new Random(seed);
    /** File name to contents. */
    private final Map<String, byte[]> model = new LinkedHashMap<>();

    private static KeelImage.Options options() {
        return KeelImage.Options.defaults().withEngine(
                EngineOptions.defaults().withCheckpointIntervalMs(0));
    }

    private KeelFilesystem mount() throws KeelException {
        return KeelImage.open(device, options());
    }

    @Test
    void fillToEnospcThenUnlinkTruncateAndReuseAcrossRemounts() throws Exception {
        KeelImage.format(device, new Mkfs.Options(4096, BUCKET, 16 << 10, "full"));
        int next = 0;
        for (int round = 0; round < 3; round++) {
            try (KeelFilesystem fs = mount()) {
                next = fillToEnospc(fs, next, "round " + round);
                System.out.println("full, round " + round + ": " + model.size() + " files; "
                        + fs.statfs() + "; " + stats(fs));
                checkAccounting(fs, "full, round " + round);
                StatFs full = fs.statfs();
                assertTrue(full.blocksAvail() * 4096 <= 8L * BUCKET, ctx("avail when full "
                        + full));
                // On the full filesystem: truncate one file, unlink every other one.
                String shrink = model.keySet().iterator().next();
                fs.truncate("/" + shrink, CHUNK / 2);
                model.put(shrink, java.util.Arrays.copyOf(model.get(shrink), CHUNK / 2));
                List<String> names = new ArrayList<>(model.keySet());
                for (int i = 1; i < names.size(); i += 2) {
                    fs.unlink("/" + names.get(i));
                    model.remove(names.get(i));
                }
                fs.mkdir("/dir" + round, 0755, Caller.ROOT);
                checkAccounting(fs, "after deleting, round " + round);
                assertTrue(fs.statfs().blocksAvail() > full.blocksAvail() + 1024,
                        ctx("deleting freed nothing: " + fs.statfs()));
                // The freed space is reused at once (the allocator makes the freeing commits
                // durable when it needs their buckets).
                next = writeFile(fs, "reuse" + round, 4 << 20, next);
                verifyAll(fs, "after reuse, round " + round);
            }
            try (KeelFilesystem fs = mount()) {
                verifyAll(fs, "remounted, round " + round);
                checkAccounting(fs, "remounted, round " + round);
            }
        }
    }

    @Test
    void overwriteAtNinetyPercentRunsCopygcAndKeepsEveryFile() throws Exception {
        KeelImage.format(device, new Mkfs.Options(4096, BUCKET, 16 << 10, "gc"));
        long emptied = 0;
        try (KeelFilesystem fs = mount()) {
            long target = fs.statfs().blocksAvail() * 4096 * 9 / 10;
            int files = 8;
            for (int i = 0; i < files; i++) {
                writeFile(fs, "g" + i, (int) (target / files / 4096 * 4096), i);
            }
            checkAccounting(fs, "90% full");
        }
        for (int round = 0; round < 4; round++) {
            try (KeelFilesystem fs = mount()) {
                List<String> names = new ArrayList<>(model.keySet());
                for (int op = 0; op < 400; op++) {
                    String name = names.get(random.nextInt(names.size()));
                    byte[] cur = model.get(name);
                    int len = 4096 * (1 + random.nextInt(random.nextBoolean() ? 2 : 64));
                    int at = random.nextInt((cur.length - len) / 4096 + 1) * 4096;
                    byte[] b = new byte[len];
                    random.nextBytes(b);
                    long h = fs.open("/" + name, OpenFlags.O_RDWR);
                    try {
                        assertEquals(len, fs.write(h, at, ByteBuffer.wrap(b)),
                                ctx(name + " at " + at));
                    } catch (KeelException e) {
                        throw new AssertionError(ctx("round " + round + " op " + op + ": "
                                + stats(fs)), e);
                    } finally {
                        fs.release(h);
                    }
                    System.arraycopy(b, 0, cur, at, len);
                }
                emptied = copygcEmptied(fs);
                System.out.println("overwrite at 90%, round " + round + ": " + stats(fs)
                        + "; " + fs.statfs());
                verifyAll(fs, "round " + round);
                checkAccounting(fs, "round " + round);
            }
        }
        try (KeelFilesystem fs = mount()) {
            verifyAll(fs, "final remount");
        }
        assertTrue(emptied > 0, ctx("copygc never ran"));
    }

    /** Writes new files of 1 MiB until ENOSPC; returns the next file number. */
    private int fillToEnospc(KeelFilesystem fs, int next, String what) throws Exception {
        for (int n = 0; n < 10_000; n++) {
            String name = "f" + next++;
            long h = fs.create("/" + name, 0644, OpenFlags.O_RDWR, Caller.ROOT);
            ByteArrayOut out = new ByteArrayOut();
            try {
                for (int at = 0; at < (1 << 20); at += CHUNK) {
                    byte[] b = new byte[CHUNK];
                    random.nextBytes(b);
                    try {
                        fs.write(h, at, ByteBuffer.wrap(b));
                    } catch (KeelException e) {
                        assertEquals(Errno.ENOSPC, e.errno(), ctx(what + ": " + e));
                        model.put(name, out.toArray());
                        assertEquals(out.size(), fs.fgetattr(h).sizeBytes(),
                                ctx("size after ENOSPC"));
                        verifyAll(fs, what + " at ENOSPC");
                        return next;
                    }
                    out.add(b);
                }
            } finally {
                fs.release(h);
            }
            model.put(name, out.toArray());
        }
        throw new AssertionError(ctx("never ran out of space"));
    }

    private int writeFile(KeelFilesystem fs, String name, int bytes, int salt)
            throws KeelException {
        byte[] data = new byte[bytes];
        random.nextBytes(data);
        long h = fs.create("/" + name, 0644, OpenFlags.O_RDWR, Caller.ROOT);
        try {
            for (int at = 0; at < bytes; at += CHUNK) {
                fs.write(h, at, ByteBuffer.wrap(data, at, Math.min(CHUNK, bytes - at)));
            }
        } finally {
            fs.release(h);
        }
        model.put(name, data);
        return salt + 1;
    }

    private void verifyAll(KeelFilesystem fs, String what) throws KeelException {
        for (Map.Entry<String, byte[]> e : model.entrySet()) {
            byte[] want = e.getValue();
            assertEquals(want.length, fs.getattr("/" + e.getKey()).sizeBytes(),
                    ctx(what + ": size of " + e.getKey()));
            long h = fs.open("/" + e.getKey(), OpenFlags.O_RDONLY);
            ByteBuffer got = ByteBuffer.allocate(want.length);
            while (got.hasRemaining()) {
                int n = fs.read(h, got.position(), got);
                if (n <= 0) {
                    break;
                }
            }
            fs.release(h);
            assertArrayEquals(want, got.array(), ctx(what + ": contents of " + e.getKey()));
        }
    }

    /**
     * statfs against a recount of the alloc records: total = the allocator's buckets; used =
     * live bytes of USER buckets + whole BTREE buckets; free = total - used; avail = free
     * minus the reserve; and the allocator's per-type counts equal the records'.
     */
    private void checkAccounting(KeelFilesystem fs, String what) throws Exception {
        fs.sync();
        ExtentFileData data = (ExtentFileData) fs.state().data;
        Geometry g = fs.state().engine.superblock().geometry();
        long[] byType = new long[DataType.values().length];
        long[] liveBytes = {0};
        fs.state().engine.read(txn -> {
            TransactionIterator it = txn.iterator(io.keelfs.format.BtreeId.ALLOC,
                    AllocUpdates.allocPos(g.firstNodeBucket()));
            for (Bkey k = it.next(); k != null && k.pos().offset() < g.endNodeBucket();
                    k = it.next()) {
                AllocRecord r = AllocRecord.decode(k.pos().offset(), k.value());
                byType[r.dataType().ordinal()]++;
                if (r.dataType() == DataType.USER) {
                    liveBytes[0] += r.dirtyBytes();
                }
            }
            return null;
        });
        assertEquals(List.of(), data.verifyAllocatorCounts(), ctx(what + ": allocator counts"));
        long total = (g.endNodeBucket() - g.firstNodeBucket()) * g.bucketSizeBytes();
        long used = liveBytes[0] + byType[DataType.BTREE.ordinal()] * g.bucketSizeBytes();
        StatFs s = fs.statfs();
        assertEquals(total / 4096, s.blocks(), ctx(what + ": blocks " + s));
        assertEquals((total - used) / 4096, s.blocksFree(), ctx(what + ": free " + s));
        long reserve = KeelImage.Options.defaults().data().reserveBuckets() * g.bucketSizeBytes();
        assertEquals(Math.max(0, total - used - reserve) / 4096, s.blocksAvail(),
                ctx(what + ": avail " + s));
    }

    private static long copygcEmptied(KeelFilesystem fs) {
        String s = stats(fs);
        int i = s.indexOf("copygc emptied ");
        return Long.parseLong(s.substring(i + 15, s.indexOf(' ', i + 15)));
    }

    private static String stats(KeelFilesystem fs) {
        return ((ExtentFileData) fs.state().data).statsText();
    }

    private String ctx(String what) {
        return "seed " + seed + ": " + what;
    }

    /** Appends chunks; no copy until the end. */
    private static final class ByteArrayOut {
        private final List<byte[]> chunks = new ArrayList<>();
        private int size;

        void add(byte[] b) {
            chunks.add(b);
            size += b.length;
        }

        int size() {
            return size;
        }

        byte[] toArray() {
            byte[] out = new byte[size];
            int at = 0;
            for (byte[] c : chunks) {
                System.arraycopy(c, 0, out, at, c.length);
                at += c.length;
            }
            return out;
        }
    }
}
