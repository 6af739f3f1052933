package io.keelfs.engine;

import io.keelfs.btree.NodeCache;
import io.keelfs.journal.ReplayPlan;

/**
 * What a caller already read from the device it opens an engine on, so the open need not read
 * it again: fsck reads the journal and walks every btree node before it opens the engine for
 * its filesystem passes (at 100k files, reading the journal twice and decoding every leaf twice
 * was a third of a cold fsck -n). Nothing may have been written to the device since.
 *
 * @param plan the journal as {@link io.keelfs.journal.JournalReader} read it with the same
 *     truncation option, or null to read it again
 * @param nodeCache clean nodes read from this device by offset (every node is re-checked
 *     against the pointer that leads to it on each cache hit), or null for a new cache
 */
public record PreRead(ReplayPlan plan, NodeCache nodeCache) {}
