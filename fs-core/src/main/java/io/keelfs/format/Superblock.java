package io.keelfs.format;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.Arrays;
import java.util.UUID;

/**
 * The superblock: what a keelfs device is and where its journal lives. Two copies are kept
 * ({@link Geometry#superblockOffsetsBytes()}); the valid copy with the highest {@link #seq} wins.
 *
 * <p>On-disk format (one block, big-endian, zero-padded):
 * <pre>
 * offset size  field
 *      0    8  magic                {@link #MAGIC}
 *      8    4  crc32c               over bytes [12, encodedBytes)
 *     12    4  formatVersion        {@link #FORMAT_VERSION}
 *     16    4  encodedBytes         bytes covered by the checksum
 *     20   16  uuid
 *     36    8  seq                  bumped on every superblock write
 *     44    4  blockSizeBytes
 *     48    4  bucketSizeBytes
 *     52    4  nodeSizeBytes
 *     56    8  bucketCount
 *     64    8  deviceSizeBytes      the device size at mkfs
 *     72    8  features             bit set; unknown bits refuse the mount. Bit 0
 *                                  ALLOC_RECORDS: every bucket has an alloc record and btree
 *                                  nodes live only in BTREE buckets (managed mode)
 *     80    8  flags                bit 0 CLEAN: unmounted cleanly, journal fully checkpointed
 *     88    8  createdEpochSeconds
 *     96   32  label                UTF-8, zero-padded
 *    128    4  journalBucketCount
 *    132  8*n  journal bucket indexes (u64 each)
 * </pre>
 */
public record Superblock(
        UUID uuid, long seq, Geometry geometry, long deviceSizeBytes, long features, long flags,
        long createdEpochSeconds, String label, long[] journalBuckets) {
    public static final long MAGIC = 0x4b45454c46535342L; // "KEELFSSB"
    public static final int FORMAT_VERSION = 1;
    public static final int ENCODED_BYTES_MAX = 4096;
    public static final int LABEL_BYTES_MAX = 32;
    public static final long FLAG_CLEAN = 1L;
    /**
     * The image was formatted with alloc records (io.keelfs.alloc.AllocFormat): btree nodes
     * may only be written by an engine in managed mode, which takes node buckets from the
     * allocator; an engine using every bucket for nodes would overwrite file data.
     */
    public static final long FEATURE_ALLOC_RECORDS = 1L;
    /** Feature bits this build understands; others refuse the open. */
    public static final long FEATURES_KNOWN = FEATURE_ALLOC_RECORDS;
    private static final int FIXED_BYTES = 132;

    public Superblock {
        if (journalBuckets.length != geometry.journalBucketCount()) {
            throw new IllegalArgumentException(String.format(
                    "%d journal buckets listed, geometry says %d",
                    journalBuckets.length, geometry.journalBucketCount()));
        }
        if (label.getBytes(StandardCharsets.UTF_8).length > LABEL_BYTES_MAX) {
            throw new IllegalArgumentException(
                    "label longer than " + LABEL_BYTES_MAX + " bytes: " + label);
        }
        journalBuckets = journalBuckets.clone();
    }

    public boolean isClean() {
        return (flags & FLAG_CLEAN) != 0;
    }

    public Superblock withSeqAndFlags(long newSeq, long newFlags) {
        return new Superblock(uuid, newSeq, geometry, deviceSizeBytes, features, newFlags,
                createdEpochSeconds, label, journalBuckets);
    }

    @Override
    public long[] journalBuckets() {
        return journalBuckets.clone();
    }

    public int encodedBytes() {
        return FIXED_BYTES + 8 * journalBuckets.length;
    }

    /** Encodes into a zeroed buffer of {@code blockSizeBytes}. */
    public ByteBuffer encode(int blockSizeBytes) {
        ByteBuffer out = ByteBuffer.allocate(Math.max(blockSizeBytes, ENCODED_BYTES_MAX));
        out.putLong(MAGIC).putInt(0).putInt(FORMAT_VERSION).putInt(encodedBytes());
        out.putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
        out.putLong(seq);
        out.putInt(geometry.blockSizeBytes()).putInt(geometry.bucketSizeBytes())
                .putInt(geometry.nodeSizeBytes()).putLong(geometry.bucketCount());
        out.putLong(deviceSizeBytes).putLong(features).putLong(flags).putLong(createdEpochSeconds);
        out.put(Arrays.copyOf(label.getBytes(StandardCharsets.UTF_8), LABEL_BYTES_MAX));
        out.putInt(journalBuckets.length);
        for (long bucket : journalBuckets) {
            out.putLong(bucket);
        }
        out.putInt(8, Crc32c.ofRange(out, 12, encodedBytes()));
        out.clear();
        return out;
    }

    /** Outcome of decoding a copy: the superblock, or why this copy is not one. */
    public sealed interface Decoded permits Valid, Invalid {}

    public record Valid(Superblock superblock) implements Decoded {}

    public record Invalid(String reason) implements Decoded {}

    /** Decodes one copy; never throws on any bytes. */
    public static Decoded decode(ByteBuffer in) {
        try {
            return decodeChecked(in.duplicate());
        } catch (RuntimeException e) {
            return new Invalid("undecodable fields: " + e.getMessage());
        }
    }

    private static Decoded decodeChecked(ByteBuffer in) {
        if (in.remaining() < FIXED_BYTES) {
            return new Invalid("only " + in.remaining() + " bytes");
        }
        int base = in.position();
        long magic = in.getLong(base);
        if (magic != MAGIC) {
            return new Invalid(String.format("bad magic %016x", magic));
        }
        int crc = in.getInt(base + 8);
        int version = in.getInt(base + 12);
        int encoded = in.getInt(base + 16);
        if (encoded < FIXED_BYTES || encoded > ENCODED_BYTES_MAX || encoded > in.remaining()) {
            return new Invalid("bad encoded length " + encoded);
        }
        int actual = Crc32c.ofRange(in, base + 12, base + encoded);
        if (actual != crc) {
            return new Invalid(String.format(
                    "checksum mismatch: stored %08x, computed %08x", crc, actual));
        }
        if (version != FORMAT_VERSION) {
            return new Invalid(
                    "format version " + version + ", this build reads " + FORMAT_VERSION);
        }
        in.position(base + 20);
        UUID uuid = new UUID(in.getLong(), in.getLong());
        long seq = in.getLong();
        int block = in.getInt();
        int bucket = in.getInt();
        int node = in.getInt();
        long buckets = in.getLong();
        long deviceSize = in.getLong();
        long features = in.getLong();
        long flags = in.getLong();
        long created = in.getLong();
        byte[] labelBytes = new byte[LABEL_BYTES_MAX];
        in.get(labelBytes);
        int journalCount = in.getInt();
        if (journalCount < 0 || FIXED_BYTES + 8L * journalCount != encoded) {
            return new Invalid("journal bucket count " + journalCount
                    + " disagrees with length " + encoded);
        }
        long[] journal = new long[journalCount];
        for (int i = 0; i < journalCount; i++) {
            journal[i] = in.getLong();
            if (journal[i] <= 0 || journal[i] >= buckets - 1) {
                return new Invalid(
                        "journal bucket " + journal[i] + " outside [1, " + (buckets - 1) + ")");
            }
        }
        Geometry geometry = new Geometry(block, bucket, node, buckets, journalCount);
        String label = new String(labelBytes, StandardCharsets.UTF_8).replace("\0", "");
        return new Valid(new Superblock(uuid, seq, geometry, deviceSize, features, flags, created,
                label, journal));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Superblock s && uuid.equals(s.uuid) && seq == s.seq
                && geometry.equals(s.geometry) && deviceSizeBytes == s.deviceSizeBytes
                && features == s.features && flags == s.flags
                && createdEpochSeconds == s.createdEpochSeconds && label.equals(s.label)
                && Arrays.equals(journalBuckets, s.journalBuckets);
    }

    @Override
    public int hashCode() {
        return uuid.hashCode() * 31 + Long.hashCode(seq);
    }

    /**
     * When mkfs ran, ISO-8601 in UTC ("2024-05-01T12:00:00Z"); a value no date can hold is
     * printed as the raw number, since a checksummed field may still be nonsense.
     */
    public String createdText() {
        try {
            return Instant.ofEpochSecond(createdEpochSeconds).toString();
        } catch (DateTimeException e) {
            return createdEpochSeconds + " (epoch seconds, not a valid date)";
        }
    }

    /** The fields as show-super prints them, one per line. */
    public void appendTo(StringBuilder out) {
        line(out, "uuid", uuid);
        line(out, "label", label);
        line(out, "format version", FORMAT_VERSION);
        line(out, "superblock seq", seq);
        line(out, "state", isClean() ? "clean" : "not clean");
        line(out, "features", Long.toHexString(features));
        line(out, "created", createdText());
        line(out, "device size", deviceSizeBytes + " bytes");
        line(out, "block size", geometry.blockSizeBytes() + " bytes");
        line(out, "bucket size", geometry.bucketSizeBytes() + " bytes");
        line(out, "btree node size", geometry.nodeSizeBytes() + " bytes");
        line(out, "buckets", geometry.bucketCount());
        line(out, "journal buckets", journalBuckets.length + " (" + journalBuckets[0] + ".."
                + journalBuckets[journalBuckets.length - 1] + ")");
    }

    private static void line(StringBuilder out, String name, Object value) {
        out.append(String.format("%-22s%s", name + ":", value)).append('\n');
    }

}
