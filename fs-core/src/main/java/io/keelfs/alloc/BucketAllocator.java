package io.keelfs.alloc;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.error.InconsistentException;
import io.keelfs.error.KeelException;
import io.keelfs.error.NoSpaceException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.BtreeId;
import io.keelfs.txn.Transaction;
import io.keelfs.txn.TransactionIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bucket allocator over buckets {@code [firstBucket, endBucket)} (bcachefs
 * {@code alloc_foreground.c}): hands each FREE bucket to at most one writer at a time.
 *
 * <p>Entry points: {@link #open}, {@link #allocate}, {@link #claim}, {@link #release},
 * {@link #free}, {@link #promoteDurable}, {@link #count}.
 *
 * <p>Allocation: a walk reads FREESPACE (read transaction) from a cursor that advances past
 * each bucket handed out and wraps once, skipping open buckets and stale keys. Each candidate
 * is then revalidated under the allocator lock: the committed alloc record (re-read through
 * the key cache) must still be FREE, with the walk's genbits and changeSeq, its emptying
 * commit durable, and the bucket not open; only then is it marked open. This is what makes
 * the generic/113 race (bcachefs 09676639c) impossible: a pick that another writer allocated,
 * claimed and released meanwhile fails the changeSeq check.
 *
 * <p>Freeing: {@link #free} turns a bucket NEED_DISCARD (gen+1) in the caller's transaction
 * and learns that commit's journal seq; {@link #promoteDurable} (run by allocate when the walk
 * finds nothing) turns it FREE, recording that seq as journalSeqEmpty, once it is durable.
 * So a bucket is never reused before the commit that emptied it is durable.
 *
 * <p>Accounting: the allocator sees every change of a record's data type in its range (claim,
 * free, promote are the only ones once it is open), so it keeps the number of buckets of each
 * type, counted at open and then moved by those commits' callbacks (commits are serialised by
 * the engine, so the counts follow the committed records), and the set of buckets open but not
 * yet claimed. {@link #availableBuckets} (FREE and NEED_DISCARD, not handed out) is what
 * statfs, the data reserve and copygc read, whoever took or gave back buckets: file data and
 * btree nodes share it.
 *
 * <p>Watermarks (bcachefs {@code bch_watermark}): an allocation for {@link Watermark#NORMAL}
 * fails while at most {@link #reserves} normal buckets are available, {@link Watermark#COPYGC}
 * while at most the copygc reserve are, {@link Watermark#BTREE} only when nothing is left. So
 * file data stops first, copygc (which frees space) next, and btree nodes, which every freeing
 * transaction's checkpoint needs, may use the last buckets.
 *
 * <p>Lock order: allocator lock, then the engine's shared lock. Never call {@link #allocate}
 * or {@link #promoteDurable} inside a transaction body (the engine lock would come first).
 *
 * <p>Thread-safety: safe for many threads.
 */
public final class BucketAllocator {
    /** Buckets open at once; bcachefs OPEN_BUCKETS_COUNT is 1024. */
    static final int OPEN_BUCKETS_MAX = 1024;
    /** FREESPACE keys one walk read transaction visits, to keep the shared lock short. */
    static final int KEYS_PER_READ_MAX = 256;
    /** Candidates one walk read transaction collects for revalidation. */
    static final int CANDIDATES_PER_READ_MAX = 16;
    /** FREESPACE keys one allocate() visits in all (a bound; one wrapped walk is the aim). */
    static final long CANDIDATES_SCANNED_MAX = 1L << 22;
    /** NEED_DISCARD buckets promoted per transaction: 3 updates each, ~100 bytes. */
    static final int PROMOTE_PER_TRANSACTION_MAX = 64;
    /** Promotion transactions one promoteDurable() runs. */
    static final int PROMOTE_TRANSACTIONS_MAX = 64;
    /** ALLOC records one read transaction counts at open. */
    static final int COUNT_PER_READ_MAX = 4096;

    static {
        if (CANDIDATES_PER_READ_MAX > KEYS_PER_READ_MAX) {
            throw new ExceptionInInitializerError("a read yields more candidates than keys");
        }
    }

    private record Candidate(long bucket, int genbits, long changeSeq) {}

    private final Engine engine;
    private final long firstBucket;
    private final long endBucket;
    private final AllocHooks hooks;
    private final ReentrantLock lock = new ReentrantLock();
    private final ReentrantLock promoteLock = new ReentrantLock();
    /** Open buckets; entries are added only under {@link #lock}, removed by release. */
    private final ConcurrentHashMap<Long, OpenBucket> open = new ConcurrentHashMap<>();
    /** NEED_DISCARD buckets and the journal seq of the commit that emptied each. */
    private final ConcurrentHashMap<Long, Long> emptiedSeq = new ConcurrentHashMap<>();
    private final AtomicLongArray counters = new AtomicLongArray(AllocCounter.values().length);
    /** Buckets in range per {@link DataType} (by ordinal), as the committed records say. */
    private final AtomicLongArray typeCounts = new AtomicLongArray(DataType.values().length);
    /** Open buckets whose claim has not committed: FREE on disk, but handed out. */
    private final Set<Long> unclaimed = ConcurrentHashMap.newKeySet();
    /** Available buckets NORMAL allocations leave alone (see the class comment). */
    private volatile long normalReserveBuckets;
    /** Available buckets COPYGC allocations leave alone; at most the normal reserve. */
    private volatile long copygcReserveBuckets;
    /** Set when btree node buckets come from this allocator ({@link AllocNodeBuckets}). */
    private volatile boolean servesNodeBuckets;
    /** Where the next walk starts; written under {@link #lock}, read without it. */
    private volatile Bpos cursor = Bpos.MIN;
    /** Numbers allocations for {@link OpenBucket#openSeq}. */
    @GuardedBy("lock")
    private long openSeq;
    /** FREESPACE keys the last failed walk visited, for the ENOSPC message. */
    private volatile long lastFailedWalkKeys;

    private BucketAllocator(Engine engine, long firstBucket, long endBucket, AllocHooks hooks) {
        this.engine = engine;
        this.firstBucket = firstBucket;
        this.endBucket = endBucket;
        this.hooks = hooks;
    }

    /**
     * An allocator over initialised buckets {@code [firstBucket, endBucket)} of an open engine.
     * NEED_DISCARD buckets found are from commits made before this open, all durable now (open
     * checkpoints), so they are recorded as emptied at the current durable seq.
     */
    public static BucketAllocator open(Engine engine, long firstBucket, long endBucket,
            AllocHooks hooks) throws KeelException {
        if (firstBucket < 0 || firstBucket >= endBucket
                || endBucket > AllocUpdates.BUCKET_INDEX_MAX) {
            throw new IllegalArgumentException(String.format(
                    "bucket range [%d, %d) is empty or out of bounds", firstBucket, endBucket));
        }
        BucketAllocator a = new BucketAllocator(engine, firstBucket, endBucket, hooks);
        long durable = engine.durableJournalSeq();
        engine.read(txn -> {
            TransactionIterator it = txn.iterator(BtreeId.NEED_DISCARD, Bpos.of(0, firstBucket));
            for (Bkey k = it.next(); k != null && k.pos().offset() < endBucket; k = it.next()) {
                a.emptiedSeq.put(k.pos().offset(), durable);
            }
            return null;
        });
        for (long start = firstBucket; start < endBucket; start += COUNT_PER_READ_MAX) {
            long from = start;
            long to = Math.min(endBucket, start + COUNT_PER_READ_MAX);
            engine.read(txn -> {
                TransactionIterator it = txn.iterator(BtreeId.ALLOC, AllocUpdates.allocPos(from));
                for (Bkey k = it.next(); k != null && k.pos().offset() < to; k = it.next()) {
                    DataType t = AllocRecord.decode(k.pos().offset(), k.value()).dataType();
                    a.typeCounts.incrementAndGet(t.ordinal());
                }
                return null;
            });
        }
        return a;
    }

    /**
     * Hands out one FREE bucket for {@code type}, open until {@link #release}. Promotes durable
     * NEED_DISCARD buckets and walks once more before failing with ENOSPC.
     */
    public OpenBucket allocate(DataType type) throws KeelException {
        return allocate(type, Watermark.NORMAL);
    }

    /**
     * {@link #allocate} at a watermark: fails with ENOSPC while no more than that watermark's
     * reserve is available. When the walk finds nothing but buckets wait for their emptying
     * commit to be durable, flushes the journal (no checkpoint) and promotes them first.
     */
    public OpenBucket allocate(DataType type, Watermark watermark) throws KeelException {
        if (type == DataType.FREE || type == DataType.NEED_DISCARD) {
            throw new IllegalArgumentException("cannot allocate a bucket for " + type);
        }
        long reserve = reserveBuckets(watermark);
        if (reserve > 0 && availableBuckets() <= reserve) {
            counters.incrementAndGet(AllocCounter.NO_SPACE_WATERMARK.ordinal());
            throw new NoSpaceException(String.format("no bucket for %s at watermark %s: %d"
                    + " available in [%d, %d), %d reserved below it", type, watermark,
                    availableBuckets(), firstBucket, endBucket, reserve));
        }
        OpenBucket ob = walk();
        if (ob == null) {
            // Waits for a promotion another thread runs: it may be making buckets FREE.
            promoteDurable(true);
            ob = walk();
        }
        if (ob == null && !emptiedSeq.isEmpty()) {
            // Buckets emptied by commits not yet durable: make them durable, then promote.
            counters.incrementAndGet(AllocCounter.JOURNAL_FLUSHES.ordinal());
            engine.flushJournal();
            promoteDurable(true);
            ob = walk();
        }
        if (ob == null) {
            counters.incrementAndGet(AllocCounter.NO_SPACE.ordinal());
            throw noSpace(type);
        }
        counters.incrementAndGet(AllocCounter.ALLOCATED.ordinal());
        return ob;
    }

    /** Where one walk is: the next FREESPACE position to read, and whether it wrapped. */
    private static final class Walk {
        final Bpos start;
        Bpos pos;
        boolean wrapped;
        boolean done;
        long scanned;

        Walk(Bpos start) {
            this.start = start;
            this.pos = start;
        }
    }

    /** One walk from the cursor to the end and from the start back to it, or null. */
    private OpenBucket walk() throws KeelException {
        Walk w = new Walk(cursor);
        while (!w.done && w.scanned < CANDIDATES_SCANNED_MAX) {
            List<Candidate> batch = engine.read(txn -> readCandidates(txn, w));
            for (Candidate c : batch) {
                hooks.afterCandidatePicked(c.bucket);
                OpenBucket ob = tryOpen(c);
                if (ob != null) {
                    return ob;
                }
            }
        }
        lastFailedWalkKeys = w.scanned;
        return null;
    }

    /** Reads FREESPACE keys from the walk's position: candidates not open, with their record. */
    private List<Candidate> readCandidates(Transaction txn, Walk w) throws KeelException {
        List<Candidate> out = new ArrayList<>();
        TransactionIterator it = txn.iterator(BtreeId.FREESPACE, w.pos);
        for (int keys = 0; keys < KEYS_PER_READ_MAX && out.size() < CANDIDATES_PER_READ_MAX;
                keys++) {
            Bkey k = it.next();
            if (k == null || (w.wrapped && k.pos().compareTo(w.start) >= 0)) {
                if (w.wrapped || w.start.equals(Bpos.MIN)) {
                    w.done = true;
                    return out;
                }
                w.wrapped = true;
                w.pos = Bpos.MIN;
                counters.incrementAndGet(AllocCounter.WRAPS.ordinal());
                return out;
            }
            w.scanned++;
            w.done = k.pos().isMax();
            w.pos = w.done ? w.pos : k.pos().successor();
            Candidate c = candidate(txn, k.pos());
            if (c != null) {
                out.add(c);
            }
            if (w.done) {
                return out;
            }
        }
        return out;
    }

    private Candidate candidate(Transaction txn, Bpos freespace) throws KeelException {
        long bucket = AllocUpdates.bucketOfFreespace(freespace);
        int genbits = AllocUpdates.genbitsOfFreespace(freespace);
        if (bucket < firstBucket || bucket >= endBucket) {
            counters.incrementAndGet(AllocCounter.SKIP_OUT_OF_RANGE.ordinal());
            return null;
        }
        if (open.containsKey(bucket)) {
            counters.incrementAndGet(AllocCounter.SKIP_OPEN.ordinal());
            return null;
        }
        AllocRecord r = AllocUpdates.get(txn, bucket);
        if (r == null || !r.isFree() || r.genbits() != genbits) {
            // A FREESPACE key without a matching FREE record: fsck rebuilds FREESPACE.
            counters.incrementAndGet(AllocCounter.SKIP_STALE_FREESPACE.ordinal());
            return null;
        }
        return new Candidate(bucket, genbits, r.changeSeq());
    }

    /** Revalidates a candidate under the allocator lock and marks it open, or returns null. */
    private OpenBucket tryOpen(Candidate c) throws KeelException {
        lock.lock();
        try {
            // Recheck under lock, BEFORE reading the record: not open. An owner releases only
            // after its claim committed, and no one opens without this lock, so a bucket not
            // open now is read below with every claim made on it. Checked the other way round,
            // an owner could claim and release between the read and the check, and the stale
            // FREE record would hand the bucket out twice (seen in BucketAllocatorStressTest).
            if (open.containsKey(c.bucket)) {
                counters.incrementAndGet(AllocCounter.SKIP_OPEN_LOCKED.ordinal());
                return null;
            }
            // Recheck under lock: the committed record, read through the key cache, and
            // whether anything lives in the bucket by the backpointers.
            Bkey[] live = new Bkey[1];
            AllocRecord now = engine.read(txn -> {
                live[0] = BucketUse.firstBackpointer(txn, c.bucket);
                return AllocUpdates.get(txn, c.bucket);
            });
            hooks.afterRecordReread(c.bucket);
            AllocCounter skip = revalidate(c, now);
            if (skip != null) {
                counters.incrementAndGet(skip.ordinal());
                return null;
            }
            if (live[0] != null) {
                throw liveData(c.bucket, now, live[0]);
            }
            if (open.size() >= OPEN_BUCKETS_MAX) {
                throw new NoSpaceException(String.format("all %d open buckets are in use",
                        OPEN_BUCKETS_MAX));
            }
            OpenBucket ob = new OpenBucket(c.bucket, now.generation(), now.changeSeq(),
                    ++openSeq);
            unclaimed.add(c.bucket);
            // Openers hold the lock, so nothing can have opened it since the check above.
            if (open.putIfAbsent(c.bucket, ob) != null) {
                throw new IllegalStateException("bucket " + c.bucket
                        + " opened by another writer while the allocator lock was held");
            }
            cursor = AllocUpdates.freespacePos(c.bucket, c.genbits).successor();
            hooks.afterBucketOpened(c.bucket);
            return ob;
        } finally {
            lock.unlock();
        }
    }

    /** Why the committed record {@code now} no longer backs the candidate, or null if it does. */
    private AllocCounter revalidate(Candidate c, AllocRecord now) {
        if (now == null || !now.isFree()) {
            return AllocCounter.SKIP_NOT_FREE;
        }
        if (now.genbits() != c.genbits) {
            return AllocCounter.SKIP_GENBITS;
        }
        if (now.changeSeq() != c.changeSeq) {
            return AllocCounter.SKIP_CHANGED;
        }
        if (now.journalSeqEmpty() > engine.durableJournalSeq()) {
            return AllocCounter.SKIP_JOURNAL_NOT_DURABLE;
        }
        return null;
    }

    /**
     * A FREE record over a bucket the backpointers say holds live data (STYLE.md tier 2):
     * handing it out would overwrite that data, so the engine goes emergency read-only and the
     * caller gets the error naming fsck, as bcachefs's try_alloc_bucket does.
     */
    private InconsistentException liveData(long bucket, AllocRecord record, Bkey backpointer) {
        counters.incrementAndGet(AllocCounter.INCONSISTENT_LIVE_DATA.ordinal());
        StringBuilder sb = new StringBuilder("allocator: bucket ").append(bucket)
                .append(" has a free alloc record (");
        record.appendTo(sb);
        sb.append(") but holds live data: backpointer at ").append(backpointer.pos())
                .append("; not handing it out; the filesystem is now read-only;"
                        + " run keelfs fsck --repair");
        String message = sb.toString();
        engine.inconsistent(message);
        return new InconsistentException(message);
    }

    private NoSpaceException noSpace(DataType type) {
        return new NoSpaceException(String.format(
                "no bucket for %s in [%d, %d): %d FREESPACE keys visited, none allocatable; "
                        + "%d open, %d emptied waiting for the journal (durable seq %d); "
                        + "counts so far: %s", type, firstBucket, endBucket, lastFailedWalkKeys,
                open.size(), emptiedSeq.size(), engine.durableJournalSeq(), countersText()));
    }

    /**
     * In the caller's transaction, gives the open bucket its data: type and dirty bytes, same
     * generation, changeSeq + 1. The record must still be the FREE one the bucket was opened on.
     */
    public void claim(Transaction txn, OpenBucket ob, long dirtyBytes, DataType type)
            throws KeelException {
        if (open.get(ob.bucket()) != ob) {
            throw new IllegalStateException("bucket " + ob.bucket() + " is not open by " + ob);
        }
        if (type == DataType.FREE || type == DataType.NEED_DISCARD) {
            throw new IllegalArgumentException("cannot claim bucket " + ob.bucket() + " as "
                    + type);
        }
        AllocRecord r = AllocUpdates.get(txn, ob.bucket());
        if (r == null || !r.isFree() || r.generation() != ob.generation()
                || r.changeSeq() != ob.changeSeq()) {
            StringBuilder sb = new StringBuilder("open bucket " + ob.bucket()
                    + " changed under its owner: opened at gen " + ob.generation() + " changeSeq "
                    + ob.changeSeq() + ", record now ");
            if (r == null) {
                sb.append("missing");
            } else {
                r.appendTo(sb);
            }
            throw new InconsistentException(sb.toString());
        }
        AllocUpdates.set(txn, ob.bucket(), r.withData(type, dirtyBytes, 0));
        txn.onCommit(seq -> {
            moveCount(DataType.FREE, type);
            unclaimed.remove(ob.bucket());
        });
    }

    /** Ends the writer's ownership. Call only after the claiming transaction returned. */
    public void release(OpenBucket ob) {
        if (!open.remove(ob.bucket(), ob)) {
            throw new IllegalStateException("bucket " + ob.bucket() + " is not open by " + ob);
        }
        unclaimed.remove(ob.bucket());
    }

    /**
     * In the caller's transaction, empties a used bucket: generation + 1, NEED_DISCARD. The
     * commit's journal seq is remembered; the bucket becomes FREE only once it is durable.
     */
    public void free(Transaction txn, long bucket) throws KeelException {
        if (open.containsKey(bucket)) {
            throw new IllegalStateException("bucket " + bucket + " is open; release it first");
        }
        AllocRecord r = AllocUpdates.get(txn, bucket);
        if (r == null || r.isFree() || r.dataType() == DataType.NEED_DISCARD
                || r.dataType() == DataType.SUPERBLOCK || r.dataType() == DataType.JOURNAL) {
            StringBuilder sb = new StringBuilder("cannot free bucket " + bucket + ": record ");
            if (r == null) {
                sb.append("missing");
            } else {
                r.appendTo(sb);
            }
            throw new InconsistentException(sb.toString());
        }
        AllocUpdates.set(txn, bucket, r.emptied(DataType.NEED_DISCARD, 0));
        DataType was = r.dataType();
        txn.onCommit(seq -> {
            emptiedSeq.put(bucket, seq);
            moveCount(was, DataType.NEED_DISCARD);
        });
    }

    /**
     * Turns NEED_DISCARD buckets whose emptying commit is durable FREE (journalSeqEmpty = that
     * seq), in bounded NO_FLUSH transactions. Returns how many. One thread at a time; others
     * return 0 at once (allocate's fallback waits instead).
     */
    public long promoteDurable() throws KeelException {
        return promoteDurable(false);
    }

    /** {@link #promoteDurable}; with {@code wait}, after the running promotion if any. */
    private long promoteDurable(boolean wait) throws KeelException {
        if (wait) {
            promoteLock.lock();
        } else if (!promoteLock.tryLock()) {
            return 0;
        }
        try {
            long promoted = 0;
            for (int t = 0; t < PROMOTE_TRANSACTIONS_MAX; t++) {
                List<Long> ready = readyToPromote(engine.durableJournalSeq());
                if (ready.isEmpty()) {
                    break;
                }
                promoted += engine.update(txn -> promote(txn, ready), Durability.NO_FLUSH);
            }
            counters.addAndGet(AllocCounter.PROMOTED.ordinal(), promoted);
            return promoted;
        } finally {
            promoteLock.unlock();
        }
    }

    private List<Long> readyToPromote(long durable) {
        List<Long> ready = new ArrayList<>();
        for (Map.Entry<Long, Long> e : emptiedSeq.entrySet()) {
            if (e.getValue() <= durable) {
                ready.add(e.getKey());
                if (ready.size() >= PROMOTE_PER_TRANSACTION_MAX) {
                    break;
                }
            }
        }
        return ready;
    }

    /** Runs under the engine's exclusive lock, so emptiedSeq is current for these buckets. */
    private long promote(Transaction txn, List<Long> buckets) throws KeelException {
        long durable = engine.durableJournalSeq();
        long n = 0;
        for (long bucket : buckets) {
            Long seq = emptiedSeq.get(bucket);
            AllocRecord r = AllocUpdates.get(txn, bucket);
            if (seq == null || seq > durable || r == null
                    || r.dataType() != DataType.NEED_DISCARD) {
                continue;
            }
            AllocUpdates.set(txn, bucket, new AllocRecord(r.generation(), DataType.FREE, 0, 0,
                    r.changeSeq() + 1, seq));
            txn.onCommit(s -> {
                emptiedSeq.remove(bucket, seq);
                moveCount(DataType.NEED_DISCARD, DataType.FREE);
            });
            n++;
        }
        return n;
    }

    private void moveCount(DataType from, DataType to) {
        typeCounts.decrementAndGet(from.ordinal());
        typeCounts.incrementAndGet(to.ordinal());
    }

    /** Buckets in range whose committed record has {@code type}. */
    public long bucketCount(DataType type) {
        return typeCounts.get(type.ordinal());
    }

    /** Buckets in range: {@code endBucket - firstBucket}. */
    public long rangeBuckets() {
        return endBucket - firstBucket;
    }

    /**
     * Buckets that hold nothing and are not handed out: FREE (not open unclaimed) and
     * NEED_DISCARD (free once their emptying commit is durable).
     */
    public long availableBuckets() {
        return typeCounts.get(DataType.FREE.ordinal())
                + typeCounts.get(DataType.NEED_DISCARD.ordinal()) - unclaimed.size();
    }

    /**
     * Sets the watermarks' reserves, in available buckets: NORMAL allocations leave
     * {@code normalBuckets}, COPYGC ones {@code copygcBuckets}, BTREE ones none.
     */
    public void setReserves(long normalBuckets, long copygcBuckets) {
        if (copygcBuckets < 0 || normalBuckets < copygcBuckets) {
            throw new IllegalArgumentException(String.format("reserves: normal %d must be >="
                    + " copygc %d >= 0", normalBuckets, copygcBuckets));
        }
        copygcReserveBuckets = copygcBuckets;
        normalReserveBuckets = normalBuckets;
    }

    /** The available buckets an allocation at {@code watermark} must leave. */
    public long reserveBuckets(Watermark watermark) {
        return switch (watermark) {
            case NORMAL -> normalReserveBuckets;
            case COPYGC -> copygcReserveBuckets;
            case BTREE -> 0;
        };
    }

    /** Whether btree node buckets come from this allocator (a managed engine's). */
    public boolean servesNodeBuckets() {
        return servesNodeBuckets;
    }

    void markServesNodeBuckets() {
        servesNodeBuckets = true;
    }

    /**
     * Recounts the records in range (a read transaction) and compares with the counters;
     * returns a description of each difference, empty when they agree. For tests and fsck.
     */
    public List<String> verifyCounts() throws KeelException {
        long[] recount = new long[DataType.values().length];
        engine.read(txn -> {
            TransactionIterator it = txn.iterator(BtreeId.ALLOC, AllocUpdates.allocPos(
                    firstBucket));
            for (Bkey k = it.next(); k != null && k.pos().offset() < endBucket; k = it.next()) {
                recount[AllocRecord.decode(k.pos().offset(), k.value()).dataType().ordinal()]++;
            }
            return null;
        });
        List<String> out = new ArrayList<>();
        for (DataType t : DataType.values()) {
            if (recount[t.ordinal()] != typeCounts.get(t.ordinal())) {
                out.add(String.format("%s: counted %d, records %d", t,
                        typeCounts.get(t.ordinal()), recount[t.ordinal()]));
            }
        }
        return out;
    }

    public long count(AllocCounter counter) {
        return counters.get(counter.ordinal());
    }

    public int openCount() {
        return open.size();
    }

    /** Buckets emptied and not yet FREE (their commit not durable, or not yet promoted). */
    public int emptiedCount() {
        return emptiedSeq.size();
    }

    public String countersText() {
        StringBuilder sb = new StringBuilder();
        for (AllocCounter c : AllocCounter.values()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(c.name().toLowerCase())
                    .append(' ').append(counters.get(c.ordinal()));
        }
        return sb.toString();
    }
}
