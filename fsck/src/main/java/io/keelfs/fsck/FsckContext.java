package io.keelfs.fsck;

import io.keelfs.alloc.ManagedEngine;
import io.keelfs.block.BlockDevice;
import io.keelfs.engine.Durability;
import io.keelfs.engine.Engine;
import io.keelfs.engine.TreeSalvage;
import io.keelfs.error.KeelException;
import io.keelfs.format.BtreeId;
import io.keelfs.format.Superblock;
import io.keelfs.journal.ReplayPlan;
import io.keelfs.txn.Transaction;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What the passes share: the device, the options, the report, and what earlier passes read
 * (the superblock, the journal's replay plan, the buckets holding reachable btree nodes, the
 * engine opened for the filesystem passes). A pass that needs something an earlier pass could
 * not read is skipped with a note.
 *
 * <p>Repairs go through {@link #fix}: each is one engine transaction (journaled, so a crash
 * during fsck leaves either the old or the fixed state), made only with --repair and a yes.
 *
 * <p>Thread-safety: one run, one thread.
 */
final class FsckContext {
    /** One repair: the updates of one transaction. */
    @FunctionalInterface
    interface TxnFix {
        void apply(Transaction txn) throws KeelException;
    }

    final BlockDevice device;
    final FsckOptions options;
    final FsckReport report;
    final Questioner questioner;
    final Progress progress;
    Superblock superblock;
    ReplayPlan plan;
    /** A repair rewrote the journal or the trees: later passes must read again. */
    boolean rewritten;
    /** Keys in the INODES btree as the topology pass counted them (0 if not walked). */
    long inodeKeys;
    /** Buckets holding a node reachable from the roots (topology pass); null if not walked. */
    BitSet nodeBuckets;
    /**
     * The topology pass found damaged nodes it will not rebuild: the filesystem passes cannot
     * trust a scan.
     */
    boolean topologyDamaged;
    /** Clean nodes the topology pass read, for the engine of the filesystem passes. */
    io.keelfs.btree.NodeCache nodeCache;
    /** Btrees with damaged nodes, to be rebuilt from their readable leaves at open. */
    final Map<BtreeId, TreeSalvage> salvaged =
            new EnumMap<>(BtreeId.class);
    /** The damaged nodes of the salvaged btrees, reported at the end of the run. */
    final List<TopologyPass.Damaged> damagedNodes = new ArrayList<>();
    /** The salvaged btrees were rebuilt and written by a checkpoint. */
    boolean topologyRepaired;
    /** The engine of the filesystem passes; null until opened (or when it could not be). */
    ManagedEngine managed;
    /** Inodes with nlink 0 waiting in the orphans btree (finished by a writable mount). */
    long orphansPending;
    /** Backpointers the alloc pass rewrote for their extent: not extra. */
    final java.util.Set<io.keelfs.format.Bpos> backpointersRewritten = new java.util.HashSet<>();
    /** The alloc pass matched every backpointer to its extent by digest, with no findings. */
    boolean backpointersVerified;
    /**
     * The overlapping backpointers the alloc pass's digest scan met (it read them all in key
     * order), for the backpointer pass to report; null if that scan did not finish.
     */
    List<BackpointerPass.Overlap> backpointerOverlaps;
    /**
     * The inode index the alloc pass built while it scanned (inodes, orphans, extents
     * counted; see {@link SharedIndex}), for the namespace pass to complete with the dirents
     * instead of scanning INODES and EXTENTS again; null when not built or already taken.
     */
    SharedIndex sharedIndex;
    /** Set by a namespace repair: counts read before it are stale. */
    boolean namespaceChanged;

    /**
     * An {@link InodeIndex} read by one pass for a later one, with the namespace findings its
     * reading made (bad inodes, the inode counter, symlink targets, dangling orphan keys), and
     * the report's fixed count when it was read: a repair since (a different count) makes it
     * stale, and the later pass reads afresh. The taker closes the index.
     */
    record SharedIndex(InodeIndex index, Findings findings, long fixedCount) {}

    FsckContext(BlockDevice device, FsckOptions options, FsckReport report,
            Questioner questioner, Progress progress) {
        this.device = device;
        this.options = options;
        this.report = report;
        this.questioner = questioner;
        this.progress = progress;
    }

    Engine engine() {
        return managed.engine();
    }

    boolean writable() {
        return managed != null && !managed.engine().isReadOnly();
    }

    /**
     * Reports one problem and, with --repair on a writable engine and a yes (from -y or the
     * questioner), fixes it in one flushed-later transaction. Returns whether it was fixed.
     * {@code fix} null: not repairable.
     */
    boolean fix(String pass, String kind, String place, String text, TxnFix fix) {
        if (fix == null || !options.repair() || !writable()) {
            report.problem(pass, kind, place, text);
            return false;
        }
        if (!options.assumeYes() && !questioner.ask(pass + ": " + kind + " at " + place + ": "
                + text + ". Fix?")) {
            report.problem(pass, kind, place, text + " (not fixed: answered no)");
            return false;
        }
        try {
            engine().update(txn -> {
                fix.apply(txn);
                return null;
            }, Durability.NO_FLUSH);
        } catch (KeelException | RuntimeException e) {
            report.problem(pass, kind, place, text + " (repair failed: " + e.getMessage() + ")");
            return false;
        }
        report.fixedProblem(pass, kind, place, text);
        return true;
    }
}
