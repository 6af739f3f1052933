package io.keelfs.alloc;

import static io.keelfs.alloc.AllocTestSupport.FIRST;
import static io.keelfs.alloc.AllocTestSupport.allocateAndClaim;
import static io.keelfs.alloc.AllocTestSupport.allocator;
import static io.keelfs.alloc.AllocTestSupport.flushJournal;
import static io.keelfs.alloc.AllocTestSupport.free;
import static io.keelfs.alloc.AllocTestSupport.freespaceBuckets;
import static io.keelfs.alloc.AllocTestSupport.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.error.Errno;
import io.keelfs.error.NoSpaceException;
import io.keelfs.format.Geometry;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Single-threaded allocator behaviour: initialisation, distinct allocations, ENOSPC and
 * recovery from it, the journal-durability rule for freed buckets, and the engine's commit
 * seq reporting the allocator relies on. Races: BucketAllocatorRaceTest; many threads:
 * BucketAllocatorStressTest.
 */
class BucketAllocatorTest {
    @Test
    void initialiseTypesEveryBucketAndFreespaceHoldsExactlyTheFreeOnes() throws Exception {
        try (Engine engine = AllocTestSupport.formatAndOpen(AllocTestSupport.device())) {
            Geometry g = engine.superblock().geometry();
            long free = AllocInit.initialise(engine, g, 0, g.bucketCount(), Durability.FLUSH);
            assertEquals(g.bucketCount() - 2 - g.journalBucketCount(), free);
            assertEquals(DataType.SUPERBLOCK, record(engine, 0).dataType());
            assertEquals(DataType.SUPERBLOCK, record(engine, g.bucketCount() - 1).dataType());
            assertEquals(DataType.JOURNAL, record(engine, 1).dataType());
            TreeSet<Long> fs = freespaceBuckets(engine);
            assertEquals(free, fs.size());
            assertEquals(g.firstNodeBucket(), fs.first());
            assertEquals(g.bucketCount() - 2, fs.last());
        }
    }

    @Test
    void allocatesDistinctBucketsThenEnospcThenFreeingMakesSpace() throws Exception {
        try (Engine engine = AllocTestSupport.formatAndOpen(AllocTestSupport.device())) {
            BucketAllocator alloc = allocator(engine, 20, AllocHooks.NONE);
            Set<Long> got = new HashSet<>();
            for (int i = 0; i < 20; i++) {
                OpenBucket ob = allocateAndClaim(engine, alloc, 4096);
                assertTrue(got.add(ob.bucket()), "bucket handed out twice: " + ob);
                assertEquals(DataType.USER, record(engine, ob.bucket()).dataType());
            }
            assertEquals(0, freespaceBuckets(engine).size());
            NoSpaceException e = assertThrows(NoSpaceException.class,
                    () -> alloc.allocate(DataType.USER));
            assertEquals(Errno.ENOSPC, e.errno());
            assertTrue(e.getMessage().contains("0 open"), e.getMessage());
            assertEquals(1, alloc.count(AllocCounter.NO_SPACE));
            free(engine, alloc, FIRST + 5, Durability.FLUSH);
            OpenBucket again = alloc.allocate(DataType.USER);
            assertEquals(FIRST + 5, again.bucket());
            assertEquals(1, again.generation(), "freeing bumps the generation");
            assertEquals(1, alloc.count(AllocCounter.PROMOTED));
        }
    }

    @Test
    void openBucketsAreNotHandedOutTwiceAndEnospcCountsThem() throws Exception {
        try (Engine engine = AllocTestSupport.formatAndOpen(AllocTestSupport.device())) {
            BucketAllocator alloc = allocator(engine, 3, AllocHooks.NONE);
            OpenBucket a = alloc.allocate(DataType.USER);
            OpenBucket b = alloc.allocate(DataType.BTREE);
            OpenBucket c = alloc.allocate(DataType.USER);
            assertEquals(3, new HashSet<>(Set.of(a.bucket(), b.bucket(), c.bucket())).size());
            NoSpaceException e = assertThrows(NoSpaceException.class,
                    () -> alloc.allocate(DataType.USER));
            assertTrue(e.getMessage().contains("3 open"), e.getMessage());
            alloc.release(b); // never claimed: the bucket stays FREE and allocatable
            assertEquals(b.bucket(), alloc.allocate(DataType.USER).bucket());
            assertThrows(IllegalStateException.class, () -> alloc.release(b));
        }
    }

    @Test
    void freedBucketIsNotReusedBeforeItsEmptyingCommitIsDurable() throws Exception {
        try (Engine engine = AllocTestSupport.formatAndOpen(AllocTestSupport.device())) {
            BucketAllocator alloc = allocator(engine, 4, AllocHooks.NONE);
            for (int i = 0; i < 4; i++) {
                allocateAndClaim(engine, alloc, 512);
            }
            AtomicLong freeSeq = new AtomicLong();
            engine.update(txn -> {
                alloc.free(txn, FIRST + 2);
                txn.onCommit(freeSeq::set);
                return null;
            }, Durability.NO_FLUSH);
            assertTrue(engine.durableJournalSeq() < freeSeq.get(), "NO_FLUSH is not durable");
            assertEquals(DataType.NEED_DISCARD, record(engine, FIRST + 2).dataType());
            assertEquals(1, alloc.emptiedCount());
            assertEquals(0, alloc.count(AllocCounter.PROMOTED));
            // Nothing else is free: allocate flushes the journal (making the emptying commit
            // durable) before it promotes and hands the bucket out again.
            OpenBucket ob = alloc.allocate(DataType.USER);
            assertTrue(engine.durableJournalSeq() >= freeSeq.get());
            assertEquals(1, alloc.count(AllocCounter.JOURNAL_FLUSHES));
            assertEquals(FIRST + 2, ob.bucket());
            AllocRecord r = record(engine, FIRST + 2);
            assertEquals(DataType.FREE, r.dataType());
            assertEquals(freeSeq.get(), r.journalSeqEmpty(), "exact seq of the emptying commit");
            assertEquals(0, alloc.emptiedCount());
        }
    }

    @Test
    void freeOfAFreeBucketIsInconsistentAndChangesNothing() throws Exception {
        try (Engine engine = AllocTestSupport.formatAndOpen(AllocTestSupport.device())) {
            BucketAllocator alloc = allocator(engine, 4, AllocHooks.NONE);
            AllocRecord before = record(engine, FIRST);
            assertThrows(io.keelfs.error.InconsistentException.class,
                    () -> free(engine, alloc, FIRST, Durability.NO_FLUSH));
            assertEquals(before, record(engine, FIRST));
            assertEquals(4, freespaceBuckets(engine).size());
        }
    }

    @Test
    void reopenTurnsNeedDiscardFromBeforeIntoAllocatable() throws Exception {
        var device = AllocTestSupport.device();
        try (Engine engine = AllocTestSupport.formatAndOpen(device)) {
            BucketAllocator alloc = allocator(engine, 2, AllocHooks.NONE);
            OpenBucket a = allocateAndClaim(engine, alloc, 1);
            allocateAndClaim(engine, alloc, 1);
            free(engine, alloc, a.bucket(), Durability.NO_FLUSH);
        }
        try (Engine engine = Engine.open(device, io.keelfs.engine.EngineOptions.defaults()
                .withCheckpointIntervalMs(0))) {
            BucketAllocator alloc = BucketAllocator.open(engine, FIRST, FIRST + 2,
                    AllocHooks.NONE);
            assertEquals(1, alloc.emptiedCount());
            OpenBucket ob = alloc.allocate(DataType.USER);
            assertEquals(FIRST, ob.bucket());
            assertNotEquals(0, record(engine, FIRST).journalSeqEmpty());
        }
    }
}
