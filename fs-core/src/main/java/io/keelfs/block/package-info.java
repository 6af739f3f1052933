/**
 * Block devices: the contract every layer above is tested against (DESIGN.md section 2).
 *
 * <p>Owns: {@link io.keelfs.block.BlockDevice} and its implementations over image files
 * ({@link io.keelfs.block.FileBlockDevice}), memory ({@link io.keelfs.block.MemoryBlockDevice}),
 * crash simulation ({@link io.keelfs.block.CrashSimDevice}, with its
 * {@link io.keelfs.block.WriteLog}, {@link io.keelfs.block.CrashState}s and
 * {@link io.keelfs.block.CrashStateExplorer}) and fault injection
 * ({@link io.keelfs.block.FaultDevice}). Semantics are a disk with a volatile write cache:
 * a completed write may be lost by a crash until a later flush completes, unless written FUA.
 * Also owns this JVM's table of images held for writing ({@code ImageLockTable}), which keeps
 * an image's write lock from being dropped when another descriptor of it is closed.
 *
 * <p>May call: the JDK, Guava, jnr-ffi (hole punching). Must not call: any other keelfs package.
 *
 * <p>Threading: every device is safe for concurrent use; concurrent overlapping writes leave
 * the overlapped blocks holding one of the written contents, unspecified which.
 */
package io.keelfs.block;
