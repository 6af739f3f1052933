/**
 * Crash testing of the whole filesystem: random POSIX workloads with a model, snapshots of
 * what a mounted image holds, and the prefix oracle every crash state is judged by.
 *
 * <p>May call: fs-core (block, fs, error). Drives a {@link io.keelfs.fs.Filesystem} through
 * {@link io.keelfs.crash.FsStack}, so the same workloads run over targets later.
 */
package io.keelfs.crash;
