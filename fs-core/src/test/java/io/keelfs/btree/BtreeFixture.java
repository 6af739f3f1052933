package io.keelfs.btree;

import io.keelfs.block.MemoryBlockDevice;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.KeyType;
import java.util.List;

/** A memory device with one node range, a slot store and a node cache, for btree tests. */
final class BtreeFixture {
    static final int BLOCK_SIZE_BYTES = 4096;

    final int nodeSizeBytes;
    final MemoryBlockDevice device;
    final SlotNodeStore store;
    NodeCache cache;

    /** A device of {@code slots} node slots, after one unused slot (offset 0 stays unused). */
    BtreeFixture(int nodeSizeBytes, int slots, long cacheBytes) {
        this.nodeSizeBytes = nodeSizeBytes;
        long rangeBytes = (long) slots * nodeSizeBytes;
        this.device = new MemoryBlockDevice(rangeBytes + nodeSizeBytes, BLOCK_SIZE_BYTES);
        this.store = new SlotNodeStore(device,
                List.of(new SlotNodeStore.Range(nodeSizeBytes, rangeBytes)), nodeSizeBytes);
        this.cache = new NodeCache(cacheBytes);
    }

    static Bkey key(long inode, long offset, int valueBytes) {
        byte[] value = new byte[valueBytes];
        for (int i = 0; i < valueBytes; i++) {
            value[i] = (byte) (inode * 31 + offset * 7 + i);
        }
        return new Bkey(Bpos.of(inode, offset), KeyType.BLOB, value);
    }

    static Bkey key(long inode, long offset) {
        return key(inode, offset, 16);
    }
}
