/**
 * The FUSE mount: {@link io.keelfs.fuse.KeelFuse} translates libfuse2's path operations (through
 * jnr-fuse) into {@link io.keelfs.fs.Filesystem} calls and their failures into errno values;
 * {@link io.keelfs.fuse.MountSession} owns one mount's lifecycle (checks, mount, serve, unmount,
 * close); {@link io.keelfs.fuse.MountOptions} splits a {@code -o} list into what keelfs consumes
 * and what goes to libfuse.
 *
 * <p>Owns: no filesystem state at all; only the translation and the mount's life.
 * May call: {@link io.keelfs.fs} (the Filesystem API and its value types), {@link
 * io.keelfs.error}. Must not call: engine, btree, journal, alloc, txn (everything goes through
 * the Filesystem API), fsck. The daemon never touches its own mountpoint after mounting (a
 * FUSE daemon that does deadlocks on itself).
 *
 * <p>Threading: {@link io.keelfs.fuse.FuseRequestLoop}'s Java threads read requests and hand
 * them to libfuse2, which calls the adapter on that thread; every callback may run on any of
 * them at once, so the adapter keeps no mutable state.
 */
package io.keelfs.fuse;
