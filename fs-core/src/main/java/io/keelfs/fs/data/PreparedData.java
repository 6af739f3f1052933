package io.keelfs.fs.data;

import java.util.List;

/**
 * A prepared write: block-aligned file bytes {@code [alignedStartBytes, +alignedLengthBytes)}
 * of {@code ino}, already on the device in {@code reservations} (file order), with one CRC32C
 * per block. Holds a pin on each reserved bucket until {@link ExtentFileData#finish}.
 *
 * <p>Thread-safety: handed from prepare to commit to finish by the caller; finish is guarded.
 */
final class PreparedData implements FileData.PreparedWrite {
    final long ino;
    final long offsetBytes;
    final long lengthBytes;
    final long alignedStartBytes;
    final long alignedLengthBytes;
    final int[] crcs;
    final List<Reservation> reservations;
    private boolean finished;

    PreparedData(long ino, long offsetBytes, long lengthBytes, long alignedStartBytes,
            long alignedLengthBytes, int[] crcs, List<Reservation> reservations) {
        this.ino = ino;
        this.offsetBytes = offsetBytes;
        this.lengthBytes = lengthBytes;
        this.alignedStartBytes = alignedStartBytes;
        this.alignedLengthBytes = alignedLengthBytes;
        this.crcs = crcs;
        this.reservations = reservations;
    }

    @Override
    public long ino() {
        return ino;
    }

    @Override
    public long offsetBytes() {
        return offsetBytes;
    }

    @Override
    public long lengthBytes() {
        return lengthBytes;
    }

    synchronized boolean isFinished() {
        return finished;
    }

    /** True the first time: the caller then gives the reservations back. */
    synchronized boolean markFinished() {
        boolean first = !finished;
        finished = true;
        return first;
    }
}
