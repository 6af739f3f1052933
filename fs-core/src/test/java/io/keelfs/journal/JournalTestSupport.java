package io.keelfs.journal;

import io.keelfs.block.BlockDevice;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.format.NodePointer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Shared helpers: small layouts, key updates, fake roots, writers on fresh journals. */
final class JournalTestSupport {
    static final int BLOCK = 512;

    private JournalTestSupport() {}

    /** {@code buckets} buckets of {@code bucketBytes} after a 4 KiB gap, on a device to fit. */
    static JournalLayout layout(int buckets, int bucketBytes) {
        return JournalLayout.contiguous(4096, buckets, bucketBytes, BLOCK);
    }

    static long deviceBytes(JournalLayout layout) {
        long end = 0;
        for (long offset : layout.bucketOffsetsBytes()) {
            end = Math.max(end, offset + layout.bucketSizeBytes());
        }
        return end + 4096;
    }

    static JournalRecord.KeyUpdate update(long inode, long offset, int valueBytes, Random r) {
        byte[] value = new byte[valueBytes];
        r.nextBytes(value);
        return new JournalRecord.KeyUpdate(
                BtreeId.TEST0, new Bkey(Bpos.of(inode, offset), KeyType.BLOB, value));
    }

    static JournalRecord.KeyUpdate deletion(long inode, long offset) {
        return new JournalRecord.KeyUpdate(BtreeId.TEST1, Bkey.deleted(Bpos.of(inode, offset)));
    }

    /** A transaction of 1..maxUpdates updates with values of up to maxValue bytes. */
    static List<JournalRecord.KeyUpdate> txn(Random r, int maxUpdates, int maxValue) {
        int n = 1 + r.nextInt(maxUpdates);
        List<JournalRecord.KeyUpdate> updates = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            if (r.nextInt(8) == 0) {
                updates.add(deletion(r.nextInt(100), r.nextInt(1000)));
            } else {
                updates.add(update(r.nextInt(100), r.nextInt(1000), r.nextInt(maxValue + 1), r));
            }
        }
        return updates;
    }

    static NodePointer pointer(long seq) {
        return new NodePointer(
                Bpos.MIN, Bpos.MAX, (1L << 20) + (seq % 1000) * 4096, seq, (int) seq * 31, 1);
    }

    /** Roots as a checkpoint numbered {@code n} would leave them. */
    static Map<BtreeId, NodePointer> roots(long n) {
        Map<BtreeId, NodePointer> roots = new EnumMap<>(BtreeId.class);
        roots.put(BtreeId.TEST0, pointer(n));
        if (n % 2 == 0) {
            roots.put(BtreeId.TEST1, pointer(n + 1000));
        }
        return roots;
    }

    /** Formats, reads and resumes: a writer on a fresh journal. */
    static JournalWriter fresh(BlockDevice device, JournalLayout layout,
            JournalWriter.Options options, ReclaimRequest reclaim) throws KeelException {
        JournalWriter.format(device, layout);
        ReplayPlan plan = JournalReader.read(device, layout);
        return JournalWriter.resume(device, layout, plan, true, options, reclaim);
    }

    /** Options with a long delay, so entries close only when awaited or full. */
    static JournalWriter.Options lazy() {
        return new JournalWriter.Options(10_000, 1 << 20, 2_000);
    }

    /** All valid entries on the device, located. */
    static List<JournalScan.Located> scan(BlockDevice device, JournalLayout layout)
            throws KeelException {
        return JournalScan.scan(device, layout, false).valid();
    }

    static JournalScan.Located locate(BlockDevice device, JournalLayout layout, long seq)
            throws KeelException {
        for (JournalScan.Located l : scan(device, layout)) {
            if (l.entry().seq() == seq) {
                return l;
            }
        }
        throw new AssertionError("entry " + seq + " not found");
    }

    /** Overwrites bytes on a device at any (unaligned) offset by read-modify-write. */
    static void poke(BlockDevice device, long offsetBytes, byte[] data) throws Exception {
        int block = device.blockSizeBytes();
        long start = offsetBytes / block * block;
        long end = (offsetBytes + data.length + block - 1) / block * block;
        ByteBuffer buf = ByteBuffer.allocate((int) (end - start));
        device.read(start, buf);
        System.arraycopy(data, 0, buf.array(), (int) (offsetBytes - start), data.length);
        device.write(start, ByteBuffer.wrap(buf.array()), false);
    }

    /** Rewrites an entry in place (re-encoded, valid checksum). */
    static void rewrite(BlockDevice device, JournalScan.Located at, JournalEntry entry)
            throws Exception {
        byte[] bytes = JournalEntryCodec.encode(entry, BLOCK);
        if (bytes.length != at.sizeBytes()) {
            throw new AssertionError(
                    "rewrite changes size " + at.sizeBytes() + " -> " + bytes.length);
        }
        device.write(at.deviceOffsetBytes(), ByteBuffer.wrap(bytes), false);
    }
}
