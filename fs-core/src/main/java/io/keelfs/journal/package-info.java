/**
 * The journal: a ring of buckets holding checksummed, seq-ordered entries of key updates and
 * btree roots (DESIGN.md section 4; design-facts.md section 2).
 *
 * <p>Owns: the entry format ({@link io.keelfs.journal.JournalEntryCodec}), seq assignment
 * (strictly increasing, never reused, +{@link io.keelfs.journal.JournalWriter#BLACKLIST_GAP}
 * after a crash), group commit and flushing ({@link io.keelfs.journal.JournalWriter}), journal
 * space and its spare-bucket invariant ({@link io.keelfs.journal.JournalSpace}), and deciding
 * what to replay ({@link io.keelfs.journal.JournalReader} into a
 * {@link io.keelfs.journal.ReplayPlan}). Invariant: every entry acknowledged by
 * {@code awaitDurable} is in the replay plan after any crash, and the plan is a contiguous
 * prevSeq chain of entries as written.
 *
 * <p>May call: {@link io.keelfs.block}, {@link io.keelfs.format}, {@link io.keelfs.error},
 * Guava. Must not call: btree, txn, keycache, alloc, fs, fsck (the engine is reached only
 * through {@link io.keelfs.journal.ReclaimRequest}).
 *
 * <p>Threading: {@link io.keelfs.journal.JournalWriter} is safe for many committer threads
 * and does all its device I/O on one daemon writer thread; the reader and codec are
 * stateless; values (entries, plans, problems) are immutable.
 */
package io.keelfs.journal;
