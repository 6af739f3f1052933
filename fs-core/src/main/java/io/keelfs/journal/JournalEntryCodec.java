package io.keelfs.journal;

import io.keelfs.format.Bkey;
import io.keelfs.format.BtreeId;
import io.keelfs.format.Crc32c;
import io.keelfs.format.NodePointer;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The on-disk form of a {@link JournalEntry}. Entry points: {@link #encode}, {@link #decode}.
 *
 * <p>File format (big-endian, offsets in bytes from the entry start, which is block-aligned):
 * <pre>
 *   0  magic        u64  {@link #MAGIC}
 *   8  crc32c       u32  CRC32C of bytes [0, 8) and [12, totalBytes): the whole padded
 *                        entry except this field
 *  12  seq          u64  entry sequence number, >= 1, strictly increasing, never reused
 *  20  prevSeq      u64  seq of the entry the writer wrote just before this one (0: none)
 *  28  lastSeq      u64  oldest seq still needed for replay, in [1, seq]
 *  36  flags        u32  bit 0 FLUSH (see JournalEntry.FLAG_FLUSH); other bits must be 0
 *  40  totalBytes   u32  whole entry including padding: a multiple of the block size,
 *                        at most the bucket size
 *  44  recordCount  u32  number of records that follow
 *  48  records, then zero padding up to totalBytes
 * </pre>
 * Record (type u8, btree id u8, body):
 * <pre>
 *   type 1 key update: btree id u8, then the Bkey encoding (pos 20, type u8, value length u16,
 *          value); a DELETED key is a deletion
 *   type 2 root:       btree id u8, then the NodePointer encoding (64 bytes)
 * </pre>
 * The writer puts the roots first (one per btree, in id order), then the key updates in
 * commit order; the decoder accepts any order but at most one root per btree.
 *
 * <p>Decoding never throws on any input: every failure is a {@link Decoded} value.
 * Thread-safety: stateless.
 */
final class JournalEntryCodec {
    /** "keelJNL1". */
    static final long MAGIC = 0x6b65656c4a4e4c31L;
    static final int CRC_OFFSET = 8;
    static final int CRC_BYTES = 4;
    static final int TOTAL_BYTES_OFFSET = 40;
    static final int HEADER_BYTES = 48;
    static final int RECORD_HEADER_BYTES = 2;
    static final int RECORD_KEY_UPDATE = 1;
    static final int RECORD_ROOT = 2;
    static final int ROOT_RECORD_BYTES = RECORD_HEADER_BYTES + NodePointer.ENCODED_BYTES;
    /** Room every entry keeps for roots: one per possible btree, 16 * 66 = 1056 bytes. */
    static final int ROOTS_BYTES_MAX = BtreeId.COUNT_MAX * ROOT_RECORD_BYTES;
    /** The smallest record is a key update with an empty value: 2 + 23 bytes. */
    static final int RECORD_BYTES_MIN = RECORD_HEADER_BYTES + Bkey.HEADER_BYTES;

    static {
        if (ROOT_RECORD_BYTES < RECORD_BYTES_MIN || HEADER_BYTES % 8 != 0) {
            throw new ExceptionInInitializerError("journal record sizes inconsistent");
        }
    }

    private JournalEntryCodec() {}

    /** What {@link #decode} found at an offset. */
    sealed interface Decoded {
        /** A valid entry of {@code sizeBytes} (padded) bytes. */
        record Valid(JournalEntry entry, int sizeBytes) implements Decoded {}

        /** No journal entry starts here (the magic does not match): end of data, or zeros. */
        record NotEntry() implements Decoded {}

        /**
         * The magic matched but the entry is not valid: torn, rotted, or truncated.
         *
         * @param headerSeq the seq field as found, unverified; -1 if unreadable
         */
        record Damaged(long headerSeq, String reason) implements Decoded {}
    }

    /** The padded size of an entry at this block size. */
    static int encodedBytes(JournalEntry entry, int blockSizeBytes) {
        int unpadded = entry.unpaddedBytes();
        return Math.floorDiv(unpadded + blockSizeBytes - 1, blockSizeBytes) * blockSizeBytes;
    }

    /** Encodes and pads an entry, computing its checksum. */
    static byte[] encode(JournalEntry entry, int blockSizeBytes) {
        int totalBytes = encodedBytes(entry, blockSizeBytes);
        byte[] bytes = new byte[totalBytes];
        ByteBuffer out = ByteBuffer.wrap(bytes);
        out.putLong(MAGIC).putInt(0).putLong(entry.seq()).putLong(entry.prevSeq())
                .putLong(entry.lastSeq()).putInt(entry.flags()).putInt(totalBytes)
                .putInt(entry.roots().size() + entry.updates().size());
        for (Map.Entry<BtreeId, NodePointer> root : entry.roots().entrySet()) {
            out.put((byte) RECORD_ROOT).put((byte) root.getKey().id);
            root.getValue().encodeTo(out);
        }
        for (JournalRecord.KeyUpdate update : entry.updates()) {
            out.put((byte) RECORD_KEY_UPDATE).put((byte) update.btree().id);
            update.key().encodeTo(out);
        }
        int crc = Crc32c.ofSkipping(bytes, 0, totalBytes, CRC_OFFSET, CRC_BYTES);
        ByteBuffer.wrap(bytes).putInt(CRC_OFFSET, crc);
        return bytes;
    }

    /**
     * Decodes the entry starting at {@code offset} of {@code bytes}, which must not extend past
     * {@code limit} (the end of the bucket).
     */
    static Decoded decode(byte[] bytes, int offset, int limit, int blockSizeBytes) {
        if (offset < 0 || limit > bytes.length || limit - offset < HEADER_BYTES) {
            return new Decoded.NotEntry();
        }
        ByteBuffer in = ByteBuffer.wrap(bytes, offset, limit - offset).slice();
        if (in.getLong(0) != MAGIC) {
            return new Decoded.NotEntry();
        }
        long headerSeq = in.getLong(12);
        long totalBytes = in.getInt(TOTAL_BYTES_OFFSET) & 0xffffffffL;
        if (totalBytes < HEADER_BYTES || totalBytes % blockSizeBytes != 0
                || totalBytes > limit - offset) {
            return new Decoded.Damaged(headerSeq, String.format(
                    "length %d bytes is not a whole number of %d-byte blocks in [%d, %d]",
                    totalBytes, blockSizeBytes, HEADER_BYTES, limit - offset));
        }
        int stored = in.getInt(CRC_OFFSET);
        int computed = Crc32c.ofSkipping(
                bytes, offset, (int) totalBytes, offset + CRC_OFFSET, CRC_BYTES);
        if (stored != computed) {
            return new Decoded.Damaged(headerSeq, String.format(
                    "checksum mismatch: stored %08x, computed %08x over %d bytes",
                    stored, computed, totalBytes));
        }
        return decodeChecked(in.slice(0, (int) totalBytes), headerSeq);
    }

    /** Decodes the fields of an entry whose checksum matched: a writer bug or forgery if bad. */
    private static Decoded decodeChecked(ByteBuffer in, long headerSeq) {
        long seq = in.getLong(12);
        long prevSeq = in.getLong(20);
        long lastSeq = in.getLong(28);
        int flags = in.getInt(36);
        long recordCount = in.getInt(44) & 0xffffffffL;
        String bad = checkHeaderFields(seq, prevSeq, lastSeq, flags);
        if (bad == null && recordCount > (in.limit() - HEADER_BYTES) / RECORD_BYTES_MIN) {
            bad = "record count " + recordCount + " cannot fit in " + in.limit() + " bytes";
        }
        if (bad != null) {
            return new Decoded.Damaged(headerSeq, "checksum matches but " + bad);
        }
        List<JournalRecord.KeyUpdate> updates = new ArrayList<>();
        Map<BtreeId, NodePointer> roots = new EnumMap<>(BtreeId.class);
        in.position(HEADER_BYTES);
        for (long i = 0; i < recordCount; i++) {
            String recordProblem = decodeRecord(in, updates, roots);
            if (recordProblem != null) {
                return new Decoded.Damaged(headerSeq, String.format(
                        "checksum matches but record %d of %d at byte %d: %s",
                        i, recordCount, in.position(), recordProblem));
            }
        }
        JournalEntry entry = new JournalEntry(seq, prevSeq, lastSeq, flags, updates, roots);
        return new Decoded.Valid(entry, in.limit());
    }

    private static String checkHeaderFields(long seq, long prevSeq, long lastSeq, int flags) {
        if (seq < 1) {
            return "seq " + Long.toUnsignedString(seq) + " is out of range";
        }
        if (prevSeq < 0 || prevSeq >= seq) {
            return "prevSeq " + Long.toUnsignedString(prevSeq) + " is not below seq " + seq;
        }
        if (lastSeq < 1 || lastSeq > seq) {
            return "lastSeq " + Long.toUnsignedString(lastSeq) + " is not in [1, seq " + seq + "]";
        }
        if ((flags & ~JournalEntry.FLAGS_KNOWN) != 0) {
            return String.format("unknown flag bits %08x", flags & ~JournalEntry.FLAGS_KNOWN);
        }
        return null;
    }

    /** Decodes one record into the lists; returns what is wrong, or null. */
    private static String decodeRecord(
            ByteBuffer in, List<JournalRecord.KeyUpdate> updates, Map<BtreeId, NodePointer> roots) {
        try {
            int type = in.get() & 0xff;
            int btreeId = in.get() & 0xff;
            BtreeId btree = BtreeId.byIdOrNull(btreeId);
            if (btree == null) {
                return "unknown btree id " + btreeId;
            }
            if (type == RECORD_KEY_UPDATE) {
                updates.add(new JournalRecord.KeyUpdate(btree, Bkey.decodeFrom(in)));
                return null;
            }
            if (type == RECORD_ROOT) {
                NodePointer pointer = NodePointer.decodeFrom(in);
                if (roots.putIfAbsent(btree, pointer) != null) {
                    return "second root for btree " + btree;
                }
                return null;
            }
            return "unknown record type " + type;
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            return "truncated or invalid: " + e;
        }
    }
}
