/**
 * On-disk encodings: positions, keys, btree ids, the superblock, node and journal layouts.
 *
 * <p>Owns: every byte layout that outlives a process; each class documents its format field
 * by field with units. May call: the JDK, Guava. Must not call: any other keelfs package.
 * Threading: values are immutable.
 */
package io.keelfs.format;
