package io.keelfs.alloc;

import io.keelfs.error.InconsistentException;
import java.nio.ByteBuffer;

/**
 * The alloc record of one bucket: the value of its ALLOC btree key, at
 * {@code Bpos(0, bucketIndex)} with key type {@link io.keelfs.format.KeyType#ALLOC} (a reduced
 * bcachefs {@code bch_alloc_v4}).
 *
 * <p>On-disk format, {@link #ENCODED_BYTES} bytes, big-endian:
 * <pre>
 * offset size field             unit / meaning
 *  0     u8   version           {@link #VERSION}; anything else is refused
 *  1     u8   generation        bumped when the bucket is emptied; wraps at 256. A pointer made
 *                               against another generation points at nothing.
 *  2     u8   dataType          {@link DataType#code}
 *  3     u8   reserved          0
 *  4     u32  dirtyBytes        bytes of live (dirty) data in the bucket, at most bucket size
 *  8     u32  cachedBytes       bytes of cached (clean, droppable) data, at most bucket size
 * 12     u64  changeSeq         bumped by 1 on every change of the record; the allocator
 *                               revalidates a pick by comparing it
 * 20     u64  journalSeqEmpty   journal seq of the commit that emptied the bucket (0: never);
 *                               a FREE bucket is allocatable only once this seq is durable
 * </pre>
 *
 * <p>Thread-safety: immutable.
 */
public record AllocRecord(int generation, DataType dataType, long dirtyBytes, long cachedBytes,
        long changeSeq, long journalSeqEmpty) {
    public static final int VERSION = 1;
    public static final int ENCODED_BYTES = 28;
    public static final int GENERATION_MAX = 255;
    /** dirtyBytes and cachedBytes are u32: buckets are at most 64 MiB. */
    public static final long BYTES_MAX = 0xffff_ffffL;

    public AllocRecord {
        if (generation < 0 || generation > GENERATION_MAX) {
            throw new IllegalArgumentException("generation " + generation + " not in [0, 255]");
        }
        if (dataType == null) {
            throw new IllegalArgumentException("null data type");
        }
        if (dirtyBytes < 0 || dirtyBytes > BYTES_MAX || cachedBytes < 0
                || cachedBytes > BYTES_MAX) {
            throw new IllegalArgumentException(String.format(
                    "dirty %d / cached %d bytes not in [0, %d]", dirtyBytes, cachedBytes,
                    BYTES_MAX));
        }
    }

    /** A FREE bucket at generation 0 that was never used. */
    public static AllocRecord free() {
        return new AllocRecord(0, DataType.FREE, 0, 0, 0, 0);
    }

    /** The 4-bit generation class in FREESPACE keys (bcachefs alloc_freespace_genbits). */
    public int genbits() {
        return generation >>> 4;
    }

    public boolean isFree() {
        return dataType == DataType.FREE;
    }

    /** This record with a new data type and byte counts; changeSeq bumped, generation kept. */
    public AllocRecord withData(DataType type, long dirty, long cached) {
        return new AllocRecord(generation, type, dirty, cached, changeSeq + 1, journalSeqEmpty);
    }

    /** Emptied: generation bumped (wrapping), no data, the given type; changeSeq bumped. */
    public AllocRecord emptied(DataType type, long seqEmpty) {
        return new AllocRecord((generation + 1) & GENERATION_MAX, type, 0, 0, changeSeq + 1,
                seqEmpty);
    }

    public byte[] encode() {
        ByteBuffer out = ByteBuffer.allocate(ENCODED_BYTES);
        out.put((byte) VERSION).put((byte) generation).put((byte) dataType.code).put((byte) 0);
        out.putInt((int) dirtyBytes).putInt((int) cachedBytes);
        out.putLong(changeSeq).putLong(journalSeqEmpty);
        return out.array();
    }

    /**
     * Decodes the value of the ALLOC key of {@code bucket}; a wrong length, version or type is
     * an {@link InconsistentException} naming the bucket and the bytes found.
     */
    public static AllocRecord decode(long bucket, byte[] value) throws InconsistentException {
        if (value.length != ENCODED_BYTES) {
            throw bad(bucket, String.format("%d bytes, expected %d", value.length,
                    ENCODED_BYTES));
        }
        ByteBuffer in = ByteBuffer.wrap(value);
        int version = in.get() & 0xff;
        if (version != VERSION) {
            throw bad(bucket, "version " + version + ", expected " + VERSION);
        }
        int generation = in.get() & 0xff;
        int code = in.get() & 0xff;
        DataType type = DataType.byCodeOrNull(code);
        if (type == null) {
            throw bad(bucket, "unknown data type " + code);
        }
        in.get();
        long dirty = in.getInt() & 0xffff_ffffL;
        long cached = in.getInt() & 0xffff_ffffL;
        return new AllocRecord(generation, type, dirty, cached, in.getLong(), in.getLong());
    }

    private static InconsistentException bad(long bucket, String what) {
        return new InconsistentException("alloc record of bucket " + bucket + " is invalid: "
                + what + "; run keelfs fsck");
    }

    public void appendTo(StringBuilder sb) {
        sb.append("gen ").append(generation).append(' ').append(dataType)
                .append(" dirty ").append(dirtyBytes).append(" B cached ").append(cachedBytes)
                .append(" B changeSeq ").append(changeSeq)
                .append(" journalSeqEmpty ").append(journalSeqEmpty);
    }
}
