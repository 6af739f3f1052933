package io.keelfs.engine;

/** What a commit waits for before it returns. Always passed explicitly (STYLE.md section 5). */
public enum Durability {
    /** Return once the update is applied and queued in the journal (a crash may lose it). */
    NO_FLUSH,
    /** Return only once the journal entry holding the update is on stable storage (fsync). */
    FLUSH
}
