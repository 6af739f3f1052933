package io.keelfs.engine;

import io.keelfs.block.BlockDevice;
import io.keelfs.error.DeviceIoException;
import io.keelfs.error.SuperblockCorruptException;
import io.keelfs.format.Geometry;
import io.keelfs.format.Superblock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the two superblock copies.
 *
 * <p>Write order: copy A, flush, copy B, flush — so a crash at any point leaves at least one
 * valid copy (the old or the new). Read: every place a copy may be, the valid copy with the
 * highest seq wins, and every copy that was not valid is reported (the caller prints it: "had
 * to fall back to copy B").
 *
 * <p>Thread-safety: stateless; callers serialise writes.
 */
public final class SuperblockIo {
    private SuperblockIo() {}

    /** What reading found: the chosen copy and a note for each place that was not valid. */
    public record ReadResult(Superblock superblock, long offsetBytes, List<String> problems) {
        public boolean fellBack() {
            return !problems.isEmpty();
        }
    }

    /** Reads every candidate place: the newest valid copy, or a typed error saying why none is. */
    public static ReadResult read(BlockDevice device)
            throws SuperblockCorruptException, DeviceIoException {
        Map<Long, String> candidates = candidateOffsets(device);
        Superblock best = null;
        long bestOffset = -1;
        List<String> problems = new ArrayList<>();
        for (Map.Entry<Long, String> c : candidates.entrySet()) {
            Superblock.Decoded decoded = readCopy(device, c.getKey());
            if (decoded instanceof Superblock.Valid v) {
                if (best == null || v.superblock().seq() > best.seq()) {
                    best = v.superblock();
                    bestOffset = c.getKey();
                }
            } else if (c.getValue() != null) {
                problems.add(c.getValue() + " at offset " + c.getKey() + ": "
                        + ((Superblock.Invalid) decoded).reason());
            }
        }
        if (best == null) {
            throw new SuperblockCorruptException(device.describe()
                    + " is not a keelfs image: no valid superblock (" + String.join("; ", problems)
                    + ")", candidates.keySet().iterator().next());
        }
        List<String> relevant = new ArrayList<>();
        for (long offset : best.geometry().superblockOffsetsBytes()) {
            Superblock.Decoded d = readCopy(device, offset);
            if (!(d instanceof Superblock.Valid v) || v.superblock().seq() != best.seq()) {
                String why = d instanceof Superblock.Invalid inv ? inv.reason()
                        : "older seq " + ((Superblock.Valid) d).superblock().seq();
                relevant.add("superblock copy at offset " + offset + " not used: " + why);
            }
        }
        return new ReadResult(best, bestOffset, List.copyOf(relevant));
    }

    /** Writes both copies with the given superblock (its seq as given), flushing after each. */
    public static void write(BlockDevice device, Superblock superblock) throws DeviceIoException {
        ByteBuffer image = superblock.encode(device.blockSizeBytes());
        int length = Math.max(device.blockSizeBytes(), Superblock.ENCODED_BYTES_MAX);
        for (long offset : superblock.geometry().superblockOffsetsBytes()) {
            try {
                ByteBuffer copy = image.duplicate();
                copy.limit(length);
                device.write(offset, copy, false);
                device.flush();
            } catch (IOException e) {
                throw new DeviceIoException("writing the superblock copy at offset " + offset, e);
            }
        }
    }

    /**
     * Zeroes every place {@link #read} looks for a copy (copy A's place and copy B's place for
     * every bucket size), then flushes. mkfs calls it first, so that a copy left by an earlier
     * filesystem with another bucket size, whose seq may be higher, can never win over the new
     * superblock, and so that a crash during mkfs leaves no valid copy at all.
     */
    static void eraseAll(BlockDevice device) throws DeviceIoException {
        int length = Math.max(device.blockSizeBytes(), Superblock.ENCODED_BYTES_MAX);
        ByteBuffer zeros = ByteBuffer.allocate(length);
        for (long offset : candidateOffsets(device).keySet()) {
            if (offset + length > device.sizeBytes() || offset % device.blockSizeBytes() != 0) {
                continue;
            }
            try {
                device.write(offset, zeros.clear(), false);
            } catch (IOException e) {
                throw new DeviceIoException("erasing a superblock place at offset " + offset, e);
            }
        }
        try {
            device.flush();
        } catch (IOException e) {
            throw new DeviceIoException("flushing the erased superblock places", e);
        }
    }

    /** Reads one copy at an offset; a copy past the end of the device is invalid, not an error. */
    static Superblock.Decoded readCopy(BlockDevice device, long offsetBytes)
            throws DeviceIoException {
        int length = Math.max(device.blockSizeBytes(), Superblock.ENCODED_BYTES_MAX);
        if (offsetBytes + length > device.sizeBytes()
                || offsetBytes % device.blockSizeBytes() != 0) {
            return new Superblock.Invalid("outside the device");
        }
        ByteBuffer buf = ByteBuffer.allocate(length);
        try {
            device.read(offsetBytes, buf);
        } catch (IOException e) {
            throw new DeviceIoException("reading the superblock copy at offset " + offsetBytes, e);
        }
        buf.flip();
        return Superblock.decode(buf);
    }

    /**
     * Copy A's fixed place, then copy B's place for every bucket size mkfs allows (copy B is at
     * the start of the last bucket; without copy A the bucket size is not known). Only copy A's
     * place is named in problems when nothing at all is found.
     */
    private static Map<Long, String> candidateOffsets(BlockDevice device) {
        Map<Long, String> offsets = new LinkedHashMap<>();
        offsets.put((long) Math.max(4096, device.blockSizeBytes()), "superblock copy A");
        for (int bucket = Geometry.BUCKET_SIZE_BYTES_MIN; bucket <= Geometry.BUCKET_SIZE_BYTES_MAX;
                bucket <<= 1) {
            long buckets = device.sizeBytes() / bucket;
            if (buckets >= Geometry.BUCKET_COUNT_MIN) {
                offsets.putIfAbsent((buckets - 1) * bucket, null);
            }
        }
        return offsets;
    }
}
