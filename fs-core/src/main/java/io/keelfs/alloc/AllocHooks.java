package io.keelfs.alloc;

/**
 * Points where tests park allocator threads to force rare interleavings (STYLE.md section 7);
 * the production instance does nothing. Hooks run without the allocator lock unless stated.
 */
public interface AllocHooks {
    AllocHooks NONE = new AllocHooks() {};

    /** A walk picked {@code bucket} as a candidate; revalidation under the lock comes next. */
    default void afterCandidatePicked(long bucket) {}

    /**
     * Under the allocator lock, after the committed record of {@code bucket} was re-read and
     * before it is judged; the bucket was not open when the read began.
     */
    default void afterRecordReread(long bucket) {}

    /** Under the allocator lock, after {@code bucket} passed revalidation and was marked open. */
    default void afterBucketOpened(long bucket) {}
}
