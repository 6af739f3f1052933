package io.keelfs.journal;

import io.keelfs.format.Bkey;
import io.keelfs.format.BtreeId;
import io.keelfs.format.NodePointer;
import java.util.Objects;

/**
 * One record of a journal entry: a key update or a btree root. Encodings are in
 * {@link JournalEntryCodec}.
 */
public sealed interface JournalRecord {
    /** The btree the record is about. */
    BtreeId btree();

    /** Bytes this record takes in an entry: type u8, btree id u8, body. */
    int encodedBytes();

    /**
     * A key update: the key replaces whatever is at its position; a {@link Bkey#isDeleted()}
     * key is a deletion. Replaying an update twice has the effect of replaying it once.
     */
    record KeyUpdate(BtreeId btree, Bkey key) implements JournalRecord {
        public KeyUpdate {
            Objects.requireNonNull(btree, "btree");
            Objects.requireNonNull(key, "key");
        }

        @Override
        public int encodedBytes() {
            return JournalEntryCodec.RECORD_HEADER_BYTES + key.encodedBytes();
        }
    }

    /** The root of a btree as of the latest completed checkpoint. */
    record Root(BtreeId btree, NodePointer pointer) implements JournalRecord {
        public Root {
            Objects.requireNonNull(btree, "btree");
            Objects.requireNonNull(pointer, "pointer");
        }

        @Override
        public int encodedBytes() {
            return JournalEntryCodec.ROOT_RECORD_BYTES;
        }
    }
}
