package io.keelfs.block;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * Which volatile writes survive a crash: the second half of a {@link CrashState}.
 *
 * <p>The volatile writes at a crash point are the non-FUA writes and discards logged after the
 * last flush marker before that point, numbered from 0 in log order: their <em>volatile
 * ordinals</em> (see {@link WriteLog#volatileWrites(int)}). Everything else in the log prefix is
 * durable and always applied. Survivors are applied in log order, so a kept later write to a
 * block overwrites a kept earlier one.
 *
 * <ul>
 *   <li>{@link DropAll}: none survives (the device lost its whole cache).
 *   <li>{@link KeepAll}: all survive (the cache was written back just before the crash).
 *   <li>{@link KeepWrites}: the writes whose ordinals are set survive whole.
 *   <li>{@link KeepBlocks}: torn writes: for each volatile write, the blocks whose indexes
 *       (from 0, relative to the write's offset) are set survive; the others keep what was there.
 * </ul>
 *
 * <p>Values are immutable: bit sets are copied in and out.
 */
public sealed interface Survival {

    /** Shared instances of the two choices that carry no data. */
    DropAll DROP_ALL = new DropAll();
    KeepAll KEEP_ALL = new KeepAll();

    /** For failure messages. */
    String describe();

    /** Every volatile write is lost. */
    record DropAll() implements Survival {
        @Override
        public String describe() {
            return "every volatile write dropped";
        }
    }

    /** Every volatile write survives whole. */
    record KeepAll() implements Survival {
        @Override
        public String describe() {
            return "every volatile write kept";
        }
    }

    /**
     * The volatile writes whose ordinals are set survive whole; the others are lost.
     *
     * @param volatileOrdinals set bits name surviving volatile writes, by volatile ordinal
     */
    record KeepWrites(BitSet volatileOrdinals) implements Survival {
        public KeepWrites {
            volatileOrdinals = (BitSet) Objects.requireNonNull(volatileOrdinals).clone();
        }

        /** The writes with these volatile ordinals survive. */
        public static KeepWrites of(int... volatileOrdinals) {
            BitSet bits = new BitSet();
            for (int ordinal : volatileOrdinals) {
                checkArgument(ordinal >= 0, "volatile ordinal %s is negative", ordinal);
                bits.set(ordinal);
            }
            return new KeepWrites(bits);
        }

        @Override
        public BitSet volatileOrdinals() {
            return (BitSet) volatileOrdinals.clone();
        }

        boolean keeps(int volatileOrdinal) {
            return volatileOrdinals.get(volatileOrdinal);
        }

        int ordinalLimit() {
            return volatileOrdinals.length();
        }

        @Override
        public String describe() {
            return "volatile writes " + volatileOrdinals + " kept, the others dropped";
        }
    }

    /**
     * Torn writes: each block of each volatile write survives or not on its own.
     *
     * @param blocksKeptByWrite one entry per volatile write, by volatile ordinal (the list's size
     *     must equal the number of volatile writes at the crash point); set bits are the indexes
     *     of the write's blocks that survive
     */
    record KeepBlocks(List<BitSet> blocksKeptByWrite) implements Survival {
        public KeepBlocks {
            blocksKeptByWrite = copyOf(Objects.requireNonNull(blocksKeptByWrite));
        }

        @Override
        public List<BitSet> blocksKeptByWrite() {
            return copyOf(blocksKeptByWrite);
        }

        int writeCount() {
            return blocksKeptByWrite.size();
        }

        BitSet blocksKept(int volatileOrdinal) {
            return blocksKeptByWrite.get(volatileOrdinal);
        }

        @Override
        public String describe() {
            StringBuilder sb = new StringBuilder("torn: blocks kept by volatile write:");
            for (int i = 0; i < blocksKeptByWrite.size(); i++) {
                sb.append(i == 0 ? " " : "; ").append(i).append('=')
                        .append(blocksKeptByWrite.get(i));
            }
            return blocksKeptByWrite.isEmpty() ? "torn, but no volatile writes" : sb.toString();
        }

        private static List<BitSet> copyOf(List<BitSet> from) {
            List<BitSet> copy = new ArrayList<>(from.size());
            for (BitSet bits : from) {
                copy.add((BitSet) Objects.requireNonNull(bits, "block bit set").clone());
            }
            return List.copyOf(copy);
        }
    }
}
