package io.keelfs.engine;

import io.keelfs.block.BlockDevice;
import io.keelfs.error.KeelException;
import io.keelfs.format.Bkey;
import io.keelfs.format.Bpos;
import io.keelfs.format.KeyType;
import java.nio.ByteBuffer;

/** Small images and options that make engine tests fast and deterministic. */
final class EngineTestSupport {
    static final int BLOCK = 4096;
    static final int BUCKET = 64 << 10;
    static final int NODE = 8 << 10;

    private EngineTestSupport() {}

    static Mkfs.Options smallMkfs() {
        return new Mkfs.Options(BLOCK, BUCKET, NODE, "test");
    }

    /** No background thread: tests decide when checkpoints happen. */
    static EngineOptions testOptions() {
        return EngineOptions.defaults().withCheckpointIntervalMs(0).withNodeCacheBytesMax(4 << 20);
    }

    static Engine formatAndOpen(BlockDevice device) throws KeelException {
        Mkfs.format(device, smallMkfs());
        return Engine.open(device, testOptions());
    }

    static Bkey blob(long inode, long offset, long value) {
        return new Bkey(Bpos.of(inode, offset), KeyType.BLOB,
                ByteBuffer.allocate(8).putLong(value).array());
    }

    /** Flips one bit pattern in the byte at {@code offset}, through whole-block I/O. */
    static void flipByte(io.keelfs.block.MemoryBlockDevice dev, long offset) {
        long block = offset - offset % BLOCK;
        ByteBuffer buf = ByteBuffer.allocate(BLOCK);
        dev.read(block, buf);
        int at = (int) (offset - block);
        buf.put(at, (byte) (buf.get(at) ^ 0x5a));
        buf.clear();
        dev.write(block, buf, false);
    }

    static long valueOf(Bkey key) {
        return key == null ? -1 : ByteBuffer.wrap(key.value()).getLong();
    }
}
