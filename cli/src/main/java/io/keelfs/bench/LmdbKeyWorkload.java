package io.keelfs.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.Txn;

/**
 * The peer side of {@code keelfs bench engine}: the same keys and batches in LMDB (lmdbjava,
 * zero-copy direct buffers), compared like for like (DESIGN.md section 8): synced per
 * transaction (LMDB's default) against keelfs's flushed commits, {@code MDB_NOSYNC} against
 * unflushed ones. Keys are the 16 bytes inode, offset big-endian, so LMDB's memcmp order is
 * keelfs's key order.
 *
 * <p>Lookups and the scan mirror the keelfs side: one read transaction per lookup slice, one
 * cursor for the scan.
 *
 * <p>Not thread-safe: the key and value buffers are shared, and LMDB serialises writers anyway.
 */
final class LmdbKeyWorkload implements KeyWorkload {
    private static final String DB_NAME = "bench";

    private final Path dir;
    private final long mapSizeBytes;
    private final boolean syncPerTxn;
    private final ByteBuffer key = ByteBuffer.allocateDirect(BenchKeys.KEY_BYTES);
    private final ByteBuffer value = ByteBuffer.allocateDirect(BenchKeys.VALUE_BYTES);
    private Env<ByteBuffer> env;
    private Dbi<ByteBuffer> db;

    /**
     * @param dir a directory that does not exist yet; LMDB puts data.mdb and lock.mdb in it
     * @param mapSizeBytes the most the database may grow to
     * @param syncPerTxn true: every commit is durable (fdatasync); false: MDB_NOSYNC
     */
    LmdbKeyWorkload(Path dir, long mapSizeBytes, boolean syncPerTxn) {
        this.dir = dir;
        this.mapSizeBytes = mapSizeBytes;
        this.syncPerTxn = syncPerTxn;
    }

    @Override
    public String name() {
        return syncPerTxn ? "lmdb synced" : "lmdb MDB_NOSYNC";
    }

    @Override
    public boolean concurrentInserts() {
        return false;
    }

    @Override
    public void open() throws IOException {
        Files.createDirectory(dir);
        Env.Builder<ByteBuffer> builder;
        try {
            builder = Env.create().setMapSize(mapSizeBytes).setMaxDbs(1);
        } catch (ExceptionInInitializerError | NoClassDefFoundError e) {
            // lmdbjava's zero-copy ByteBuffer proxy reads java.nio.Buffer.address reflectively.
            throw new IllegalStateException("LMDB cannot start in this JVM (" + e + "): run"
                    + " through bin/keelfs (the jar's manifest opens java.nio), or add --add-opens"
                    + " java.base/java.nio=ALL-UNNAMED --add-opens"
                    + " java.base/sun.nio.ch=ALL-UNNAMED", e);
        }
        env = syncPerTxn
                ? builder.open(dir.toFile())
                : builder.open(dir.toFile(), EnvFlags.MDB_NOSYNC);
        db = env.openDbi(DB_NAME, DbiFlags.MDB_CREATE);
    }

    @Override
    public void insertBatch(BenchKeys keys, int from, int to) {
        try (Txn<ByteBuffer> txn = env.txnWrite()) {
            for (int i = from; i < to; i++) {
                keys.keyInto(i, key);
                keys.valueInto(i, value);
                db.put(txn, key, value);
            }
            txn.commit();
        }
    }

    @Override
    public long lookup(BenchKeys keys, int[] order, int from, int to) {
        long found = 0;
        try (Txn<ByteBuffer> txn = env.txnRead()) {
            for (int n = from; n < to; n++) {
                int i = order[n];
                keys.keyInto(i, key);
                ByteBuffer stored = db.get(txn, key);
                if (stored != null && keys.isValueOf(i, stored)) {
                    found++;
                }
            }
        }
        return found;
    }

    @Override
    public long scanAll() {
        long count = 0;
        try (Txn<ByteBuffer> txn = env.txnRead(); Cursor<ByteBuffer> cursor = db.openCursor(txn)) {
            boolean more = cursor.first();
            while (more) {
                count++;
                more = cursor.next();
            }
        }
        return count;
    }

    @Override
    public void close() {
        if (env != null) {
            env.close();
            env = null;
        }
    }
}
