package io.keelfs.alloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.block.BlockDevice;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.ImageReport;
import io.keelfs.engine.Mkfs;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/** Managed-mode images for tests: 64 KiB buckets of 16 nodes of 4 KiB, so trees grow fast. */
final class ManagedTestSupport {
    static final int BUCKET = 64 << 10;
    static final int NODE = 4 << 10;

    private ManagedTestSupport() {}

    static Mkfs.Options mkfs() {
        return new Mkfs.Options(4096, BUCKET, NODE, "managed-test");
    }

    static EngineOptions options() {
        return EngineOptions.defaults().withCheckpointIntervalMs(0)
                .withNodeCacheBytesMax(4 << 20);
    }

    static Bkey blob(long offset, long value, int valueBytes) {
        ByteBuffer v = ByteBuffer.allocate(valueBytes);
        v.putLong(0, value);
        return new Bkey(Bpos.of(1, offset), KeyType.BLOB, v.array());
    }

    /** Inserts keys [from, to) into TEST0 in batches, NO_FLUSH. */
    static void insert(Engine engine, long from, long to, int valueBytes) throws KeelException {
        for (long start = from; start < to; start += 64) {
            long s = start;
            long end = Math.min(to, start + 64);
            engine.update(txn -> {
                for (long k = s; k < end; k++) {
                    txn.put(BtreeId.TEST0, blob(k, k, valueBytes));
                }
                return null;
            }, Durability.NO_FLUSH);
        }
    }

    static long countKeys(Engine engine, BtreeId tree) throws KeelException {
        return engine.read(txn -> {
            long n = 0;
            var it = txn.iterator(tree, Bpos.MIN);
            for (Bkey k = it.next(); k != null; k = it.next()) {
                n++;
            }
            return n;
        });
    }

    static SortedSet<Long> bucketsOfType(Engine engine, DataType type) throws KeelException {
        return engine.read(txn -> new TreeSet<>(AllocNodeBuckets.bucketsOfType(txn, type)));
    }

    static Map<DataType, Long> countsByType(Engine engine) throws KeelException {
        return engine.read(txn -> {
            EnumMap<DataType, Long> out = new EnumMap<>(DataType.class);
            var it = txn.iterator(BtreeId.ALLOC, Bpos.MIN);
            for (Bkey k = it.next(); k != null; k = it.next()) {
                out.merge(AllocRecord.decode(k.pos().offset(), k.value()).dataType(), 1L,
                        Long::sum);
            }
            return out;
        });
    }

    /**
     * After a checkpoint: the engine's node buckets are exactly the BTREE records, and every
     * reachable node on disk lies in one.
     */
    static void checkNodeBucketsAgree(Engine engine, BlockDevice device) throws KeelException {
        engine.checkpoint();
        SortedSet<Long> btree = bucketsOfType(engine, DataType.BTREE);
        assertEquals(btree, new TreeSet<>(engine.managedNodeStore().ownedBuckets()),
                "owned node buckets vs BTREE records");
        SortedSet<Long> reachable = ImageReport.reachableNodeBuckets(device);
        assertTrue(btree.containsAll(reachable), "reachable node buckets " + reachable
                + " not all BTREE: " + btree);
        engine.managedNodeStore().verify();
    }

    static List<Long> list(SortedSet<Long> s) {
        return List.copyOf(s);
    }
}
