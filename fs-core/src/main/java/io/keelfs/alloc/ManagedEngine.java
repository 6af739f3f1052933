package io.keelfs.alloc;

import io.keelfs.block.BlockDevice;
import io.keelfs.engine.Engine;
import io.keelfs.engine.EngineOptions;
import io.keelfs.error.KeelException;

/**
 * An engine whose btree nodes live in buckets of the bucket allocator, and that allocator:
 * what the filesystem opens on an image formatted by {@link AllocFormat}.
 *
 * <p>Entry points: {@link #open}, {@link #close}. The allocator covers every bucket but the
 * superblock and journal ones; node buckets (BTREE) and data buckets (USER) come from it, so
 * they never overlap. The image must have been formatted by {@link AllocFormat}: on an image
 * without alloc records no bucket is FREE, and the first checkpoint fails with
 * NoSpaceException.
 *
 * <p>Thread-safety: both parts are safe for many threads.
 *
 * @param engine the engine, in managed mode
 * @param allocator the allocator; null on a read-only engine (nothing may be allocated)
 */
public record ManagedEngine(Engine engine, BucketAllocator allocator) implements AutoCloseable {

    /** Opens the engine in managed mode (the options' node bucket source is replaced). */
    public static ManagedEngine open(BlockDevice device, EngineOptions options, AllocHooks hooks)
            throws KeelException {
        AllocNodeBuckets source = new AllocNodeBuckets(hooks);
        Engine engine = Engine.open(device, options.withNodeBucketSource(source));
        if (options.readOnly()) {
            return new ManagedEngine(engine, null);
        }
        try {
            return new ManagedEngine(engine, source.allocator(engine));
        } catch (KeelException | RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    public static ManagedEngine open(BlockDevice device, EngineOptions options)
            throws KeelException {
        return open(device, options, AllocHooks.NONE);
    }

    @Override
    public void close() throws KeelException {
        engine.close();
    }
}
