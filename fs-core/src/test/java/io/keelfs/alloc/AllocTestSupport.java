package io.keelfs.alloc;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.txn.TransactionIterator;
import java.util.TreeSet;

/** Small in-memory images with an initialised allocator range, for allocator tests. */
final class AllocTestSupport {
    static final int BUCKET = 64 << 10;
    /** The allocator's range in tests: after the journal (512 buckets of 64 KiB, 8 journal). */
    static final long FIRST = 16;

    private AllocTestSupport() {}

    static Engine formatAndOpen(MemoryBlockDevice device) throws KeelException {
        Mkfs.format(device, new Mkfs.Options(4096, BUCKET, 8 << 10, "alloc-test"));
        return Engine.open(device, EngineOptions.defaults().withCheckpointIntervalMs(0)
                .withNodeCacheBytesMax(4 << 20));
    }

    static MemoryBlockDevice device() {
        return new MemoryBlockDevice(32L << 20, 4096, "alloc-test");
    }

    /** Formats, opens, initialises [FIRST, FIRST + count) FREE and opens an allocator. */
    static BucketAllocator allocator(Engine engine, long count, AllocHooks hooks)
            throws KeelException {
        AllocInit.initialise(engine, engine.superblock().geometry(), FIRST, FIRST + count,
                Durability.FLUSH);
        return BucketAllocator.open(engine, FIRST, FIRST + count, hooks);
    }

    static AllocRecord record(Engine engine, long bucket) throws KeelException {
        return engine.read(txn -> AllocUpdates.get(txn, bucket));
    }

    /** The buckets with a FREESPACE key, checking each key's genbits against its record. */
    static TreeSet<Long> freespaceBuckets(Engine engine) throws KeelException {
        return engine.read(txn -> {
            TreeSet<Long> out = new TreeSet<>();
            TransactionIterator it = txn.iterator(BtreeId.FREESPACE, Bpos.MIN);
            for (Bkey k = it.next(); k != null; k = it.next()) {
                long bucket = AllocUpdates.bucketOfFreespace(k.pos());
                AllocRecord r = AllocUpdates.get(txn, bucket);
                if (r == null || r.genbits() != AllocUpdates.genbitsOfFreespace(k.pos())
                        || k.type() != KeyType.SET || !out.add(bucket)) {
                    throw new AssertionError("bad FREESPACE key " + k + " for record " + r);
                }
            }
            return out;
        });
    }

    /** Commits one unrelated key with FLUSH: everything committed before is then durable. */
    static void flushJournal(Engine engine) throws KeelException {
        engine.update(txn -> {
            txn.put(BtreeId.TEST0, new Bkey(Bpos.of(1, 1), KeyType.BLOB, new byte[] {1}));
            return null;
        }, Durability.FLUSH);
    }

    /** Allocates, claims (committed with the given durability) and releases one bucket. */
    static OpenBucket allocateAndClaim(Engine engine, BucketAllocator alloc, long bytes)
            throws KeelException {
        OpenBucket ob = alloc.allocate(DataType.USER);
        engine.update(txn -> {
            alloc.claim(txn, ob, bytes, DataType.USER);
            return null;
        }, Durability.NO_FLUSH);
        alloc.release(ob);
        return ob;
    }

    static void free(Engine engine, BucketAllocator alloc, long bucket, Durability d)
            throws KeelException {
        engine.update(txn -> {
            alloc.free(txn, bucket);
            return null;
        }, d);
    }
}
