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
 * <p>Allocation hold ({@link EngineOptions#holdAllocation}, fsck --repair): no allocator until
 * {@link #startAllocation}, which the caller runs once the alloc records are repaired.
 *
 * <p>Thread-safety: both parts are safe for many threads.
 *
 * @param engine the engine, in managed mode
 * @param allocator the allocator; null on a read-only engine or under an allocation hold
 *     (nothing may be allocated)
 * @param nodeBuckets the engine's node bucket source, which opens the allocator
 */
public record ManagedEngine(Engine engine, BucketAllocator allocator,
        AllocNodeBuckets nodeBuckets) implements AutoCloseable {

    /** Opens the engine in managed mode (the options' node bucket source is replaced). */
    public static ManagedEngine open(BlockDevice device, EngineOptions options, AllocHooks hooks)
            throws KeelException {
        AllocNodeBuckets source = new AllocNodeBuckets(hooks);
        Engine engine = Engine.open(device, options.withNodeBucketSource(source));
        if (options.readOnly() || options.holdAllocation()) {
            return new ManagedEngine(engine, null, source);
        }
        try {
            return new ManagedEngine(engine, source.allocator(engine), source);
        } catch (KeelException | RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    public static ManagedEngine open(BlockDevice device, EngineOptions options)
            throws KeelException {
        return open(device, options, AllocHooks.NONE);
    }

    /**
     * Ends the engine's allocation hold ({@link Engine#startAllocation}: the node buckets the
     * records now name are adopted, then a checkpoint) and returns this engine with its
     * allocator, opened over the records as they are now.
     */
    public ManagedEngine startAllocation() throws KeelException {
        engine.startAllocation();
        return allocator != null ? this
                : new ManagedEngine(engine, nodeBuckets.allocator(engine), nodeBuckets);
    }

    @Override
    public void close() throws KeelException {
        engine.close();
    }
}
