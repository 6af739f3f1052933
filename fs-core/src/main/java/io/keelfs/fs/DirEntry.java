package io.keelfs.fs;

/**
 * One readdir entry.
 *
 * @param mode file type bits of the target (permission bits may be 0)
 * @param nextOffset the offset to pass to readdir to continue after this entry; stable while
 *     the directory changes (entries are ordered by name hash, as ext4 htree cookies are)
 */
public record DirEntry(String name, long ino, int mode, long nextOffset) {}
