package io.keelfs.bench;

import io.keelfs.block.FileBlockDevice;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.EngineStats;
import io.keelfs.engine.Mkfs;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.format.KeyType;
import io.keelfs.journal.JournalWriter;
import io.keelfs.txn.TransactionIterator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The keelfs side of {@code keelfs bench engine}: an {@link Engine} over a new sparse
 * {@link FileBlockDevice} image, formatted by {@link Mkfs#format}, keys in btree
 * {@link BtreeId#TEST0} as {@link KeyType#BLOB} values. Each batch is one
 * {@link Engine#update} with the given {@link Durability}; lookups are {@link Engine#read}
 * calls of many {@code get}s each; the scan is one {@link TransactionIterator}.
 *
 * <p>Thread-safety: {@link #insertBatch} is safe from many threads (the engine is); the rest
 * from one thread.
 */
final class EngineKeyWorkload implements KeyWorkload {
    static final BtreeId TREE = BtreeId.TEST0;
    /** The device's block size: the filesystem block size, so no I/O is split or merged. */
    static final int DEVICE_BLOCK_BYTES = 4096;

    /** The image and how it is formatted and opened. */
    record Setup(Path image, long imageSizeBytes, Mkfs.Options mkfs, EngineOptions engine) {}

    private final Setup setup;
    private final Durability durability;
    private FileBlockDevice device;
    private Engine engine;

    EngineKeyWorkload(Setup setup, Durability durability) {
        this.setup = setup;
        this.durability = durability;
    }

    @Override
    public String name() {
        return "keelfs " + durability;
    }

    @Override
    public boolean concurrentInserts() {
        return true;
    }

    @Override
    public void open() throws IOException, KeelException {
        device = FileBlockDevice.create(setup.image(), setup.imageSizeBytes(), DEVICE_BLOCK_BYTES);
        Mkfs.format(device, setup.mkfs());
        engine = Engine.open(device, setup.engine());
    }

    @Override
    public void insertBatch(BenchKeys keys, int from, int to) throws KeelException {
        engine.update(txn -> {
            for (int i = from; i < to; i++) {
                Bpos pos = Bpos.of(keys.inode(i), keys.offset(i));
                txn.put(TREE, new Bkey(pos, KeyType.BLOB, keys.newValue(i)));
            }
            return null;
        }, durability);
    }

    @Override
    public long lookup(BenchKeys keys, int[] order, int from, int to) throws KeelException {
        return engine.read(txn -> {
            long found = 0;
            for (int n = from; n < to; n++) {
                int i = order[n];
                Bkey key = txn.get(TREE, Bpos.of(keys.inode(i), keys.offset(i)));
                if (key != null && keys.isValueOf(i, ByteBuffer.wrap(key.value()))) {
                    found++;
                }
            }
            return found;
        });
    }

    @Override
    public long scanAll() throws KeelException {
        return engine.read(txn -> {
            TransactionIterator it = txn.iterator(TREE, Bpos.MIN);
            long count = 0;
            while (it.next() != null) {
                count++;
            }
            return count;
        });
    }

    /** Writes everything to btree nodes (what the memory figure is measured after). */
    void checkpoint() throws KeelException {
        engine.checkpoint();
    }

    EngineStats stats() {
        return engine.stats();
    }

    JournalWriter.Stats journalStats() {
        return engine.journalStats();
    }

    @Override
    public void close() throws IOException, KeelException {
        try {
            if (engine != null) {
                engine.close();
            }
        } finally {
            engine = null;
            if (device != null) {
                device.close();
                device = null;
            }
        }
    }
}
