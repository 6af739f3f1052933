package io.keelfs.fs.data;

import io.keelfs.error.InconsistentException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.KeyType;

/**
 * Read access to the EXTENTS and BACKPOINTERS key formats for fsck: decodes both (with the
 * checks mount applies) and builds the backpointer an extent must have. The formats stay
 * owned by {@link Extent} and {@link Backpointer}; this only exposes them.
 *
 * <p>Entry points: {@link #extent}, {@link #backpointer}, {@link #reservation},
 * {@link #reservedTotal}. Thread-safety: stateless.
 */
public final class ExtentKeys {
    /** Where EXTENTS keeps the total of reserved bytes ({@link ReservedSpace}). */
    public static final Bpos RESERVED_TOTAL_POS = ReservedSpace.TOTAL_POS;

    private ExtentKeys() {}

    /** A decoded fallocate reservation: file bytes [startBytes, endBytes) of ino, no data. */
    public record ReservationView(long ino, long startBytes, long endBytes) {
        public long lengthBytes() {
            return endBytes - startBytes;
        }
    }

    /** True for a RESERVATION key (decode it with {@link #reservation}). */
    public static boolean isReservation(Bkey k) {
        return k.type() == KeyType.RESERVATION;
    }

    public static ReservationView reservation(Bkey k, int blockSizeBytes)
            throws InconsistentException {
        ReservedExtent r = ReservedExtent.decode(k, blockSizeBytes);
        return new ReservationView(r.ino(), r.startBytes(), r.endBytes());
    }

    /** The reserved total's value (0 when {@code k} is null). */
    public static long reservedTotal(Bkey k) throws InconsistentException {
        return ReservedSpace.decodeTotal(k);
    }

    /** The reserved total key holding {@code bytes} (fsck's rewrite). */
    public static Bkey reservedTotalKey(long bytes) {
        return ReservedSpace.totalKey(bytes);
    }

    /** A decoded extent key. */
    public static final class ExtentView {
        private final Extent e;

        ExtentView(Extent e) {
            this.e = e;
        }

        public long ino() {
            return e.ino();
        }

        public long startBytes() {
            return e.startBytes();
        }

        public long endBytes() {
            return e.endBytes();
        }

        public long lengthBytes() {
            return e.lengthBytes();
        }

        public long bucket() {
            return e.bucket();
        }

        public long offsetInBucketBytes() {
            return e.offsetInBucketBytes();
        }

        public int generation() {
            return e.generation();
        }

        /** CRC32C of each block, in file order (a copy). */
        public int[] crcs() {
            return e.crcs().clone();
        }

        public Bpos pos() {
            return e.pos();
        }

        /** The backpointer this extent must have, as a key. */
        public Bkey backpointerKey() {
            return Backpointer.of(e).toKey();
        }

        public Bpos backpointerPos() {
            return Backpointer.pos(e.bucket(), e.offsetInBucketBytes());
        }

        /** True when {@code bp} names exactly this extent. */
        public boolean matches(BackpointerView bp) {
            return bp.b.matches(e);
        }

        @Override
        public String toString() {
            return e.toString();
        }
    }

    /** A decoded backpointer key. */
    public static final class BackpointerView {
        private final Backpointer b;

        BackpointerView(Backpointer b) {
            this.b = b;
        }

        public long bucket() {
            return b.bucket();
        }

        public long offsetInBucketBytes() {
            return b.offsetInBucketBytes();
        }

        public long ino() {
            return b.ino();
        }

        public long fileOffsetBytes() {
            return b.fileOffsetBytes();
        }

        public long lengthBytes() {
            return b.lengthBytes();
        }

        /** Where in EXTENTS the extent it names is keyed. */
        public Bpos extentPos() {
            return b.extentPos();
        }

        public Bpos pos() {
            return b.pos();
        }

        @Override
        public String toString() {
            return String.format("backpointer bucket %d +%d -> inode %d [%d, %d)", b.bucket(),
                    b.offsetInBucketBytes(), b.ino(), b.fileOffsetBytes(),
                    b.fileOffsetBytes() + b.lengthBytes());
        }
    }

    public static ExtentView extent(Bkey k, int blockSizeBytes, long bucketSizeBytes)
            throws InconsistentException {
        return new ExtentView(Extent.decode(k, blockSizeBytes, bucketSizeBytes));
    }

    public static BackpointerView backpointer(Bkey k) throws InconsistentException {
        return new BackpointerView(Backpointer.decode(k));
    }

    /** An extent key for tests that damage images (the corruption corpus). */
    public static Bkey extentKey(long ino, long startBytes, long bucket, long offsetInBucketBytes,
            int generation, int blockSizeBytes, int[] crcs) {
        return new Extent(ino, startBytes, bucket, offsetInBucketBytes, generation,
                blockSizeBytes, crcs).toKey();
    }
}
