package io.keelfs.block;

import java.nio.ByteBuffer;
import java.util.BitSet;

/**
 * Materialises crash images: a copy-on-write snapshot of the base image, the durable part of
 * the log prefix, then the surviving volatile writes. Entry point: {@link #materialise}.
 *
 * <p>Cost: the durable part of a crash point (every entry before its epoch starts) is replayed
 * once into a cached prefix image and shared by snapshot; each state then replays only its own
 * epoch. Exploring states point by point in log order therefore replays the log about once,
 * plus one epoch per state. Going back to an earlier epoch rebuilds the prefix from the base.
 *
 * <p>Thread-safety: safe for concurrent use. The prefix cache is guarded by this object's
 * monitor; the cached prefix image is written only under it and never handed out, only its
 * snapshots are. The base is never written.
 */
final class CrashImages {
    private final MemoryBlockDevice base;
    // @GuardedBy("this")
    private MemoryBlockDevice prefixImage;
    /** Number of log entries replayed into prefixImage. */
    // @GuardedBy("this")
    private int prefixLength;

    CrashImages(MemoryBlockDevice base) {
        this.base = base;
    }

    /** The image a crash in {@code state} leaves; the caller checked the crash point. */
    MemoryBlockDevice materialise(LogStore store, CrashState state) {
        int crashPoint = state.logLength();
        int epochStart = store.epochStartAt(crashPoint);
        int volatileCount = store.volatileCountAt(crashPoint);
        checkSurvival(state, volatileCount);
        MemoryBlockDevice image = durablePrefix(store, epochStart);
        for (int i = epochStart; i < crashPoint; i++) {
            LogStore.Logged logged = store.get(i);
            LogEntry entry = logged.entry();
            if (!entry.isVolatileWrite()) {
                applyWhole(image, logged);
                continue;
            }
            Survival survival = state.survival();
            int ordinal = logged.volatileOrdinal();
            if (survival instanceof Survival.KeepAll) {
                applyWhole(image, logged);
            } else if (survival instanceof Survival.KeepWrites keep && keep.keeps(ordinal)) {
                applyWhole(image, logged);
            } else if (survival instanceof Survival.KeepBlocks torn) {
                applyBlocks(image, logged, torn.blocksKept(ordinal), state);
            }
        }
        return image;
    }

    private static void checkSurvival(CrashState state, int volatileCount) {
        if (state.survival() instanceof Survival.KeepWrites keep
                && keep.ordinalLimit() > volatileCount) {
            throw new IllegalArgumentException(String.format(
                    "%s keeps volatile write %d, but there are only %d volatile writes there",
                    state.describe(), keep.ordinalLimit() - 1, volatileCount));
        }
        if (state.survival() instanceof Survival.KeepBlocks torn
                && torn.writeCount() != volatileCount) {
            throw new IllegalArgumentException(String.format(
                    "%s gives blocks for %d volatile writes, but there are %d there",
                    state.describe(), torn.writeCount(), volatileCount));
        }
    }

    /** A private snapshot of base plus entries [0, length), all applied whole. */
    private synchronized MemoryBlockDevice durablePrefix(LogStore store, int length) {
        if (length == 0) {
            return base.snapshot();
        }
        if (prefixImage == null || prefixLength > length) {
            prefixImage = base.snapshot();
            prefixLength = 0;
        }
        for (; prefixLength < length; prefixLength++) {
            applyWhole(prefixImage, store.get(prefixLength));
        }
        return prefixImage.snapshot();
    }

    private static void applyWhole(MemoryBlockDevice image, LogStore.Logged logged) {
        LogEntry entry = logged.entry();
        switch (entry.kind()) {
            case WRITE ->
                    image.write(entry.offsetBytes(), ByteBuffer.wrap(logged.payload()), false);
            case DISCARD -> image.discard(entry.offsetBytes(), entry.lengthBytes());
            case FLUSH -> { }
        }
    }

    /** Applies the runs of kept blocks of one volatile write. */
    private static void applyBlocks(
            MemoryBlockDevice image, LogStore.Logged logged, BitSet kept, CrashState state) {
        LogEntry entry = logged.entry();
        int blockSizeBytes = image.blockSizeBytes();
        int blockCount = entry.blockCount(blockSizeBytes);
        if (kept.length() > blockCount) {
            throw new IllegalArgumentException(String.format(
                    "%s keeps block %d of volatile write %d (%s), which has %d blocks",
                    state.describe(), kept.length() - 1, logged.volatileOrdinal(),
                    entry.describe(), blockCount));
        }
        for (int first = kept.nextSetBit(0); first >= 0; first = kept.nextSetBit(first)) {
            int end = kept.nextClearBit(first);
            long offsetBytes = entry.offsetBytes() + (long) first * blockSizeBytes;
            long lengthBytes = (long) (end - first) * blockSizeBytes;
            if (entry.kind() == LogEntry.Kind.DISCARD) {
                image.discard(offsetBytes, lengthBytes);
            } else {
                // A write's payload is one array, so its offsets and lengths fit in an int.
                ByteBuffer run = ByteBuffer.wrap(logged.payload(), first * blockSizeBytes,
                        Math.toIntExact(lengthBytes));
                image.write(offsetBytes, run, false);
            }
            first = end;
        }
    }
}
