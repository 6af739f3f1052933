package io.keelfs.fs.data;

/**
 * Points where tests park threads to force rare interleavings (STYLE.md section 7); the
 * production instance does nothing. Hooks run without any lock.
 */
public interface FileDataHooks {
    FileDataHooks NONE = new FileDataHooks() {};

    /**
     * A read looked up the extents from {@code offsetBytes} of {@code ino} and is about to read
     * the device: the window in which a bucket may be freed and reused under it.
     */
    default void afterExtentLookup(long ino, long offsetBytes) {}
}
