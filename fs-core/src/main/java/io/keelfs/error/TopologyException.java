package io.keelfs.error;

/**
 * A btree node's header does not match the pointer that led to it (wrong btree, level, key
 * range or sequence): a node written to the wrong place or a stale node. The message names the
 * btree, level and position; fsck's topology pass repairs these.
 */
public final class TopologyException extends CorruptException {
    public TopologyException(String message, long offsetBytes) {
        super(message, offsetBytes);
    }
}
