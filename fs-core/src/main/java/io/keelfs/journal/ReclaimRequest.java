package io.keelfs.journal;

/**
 * "Checkpoint now": what the journal asks of the engine when it is full. The engine
 * implements it (the journal must not call the engine otherwise; this is the callback that
 * breaks the cycle, as bcachefs journal pins carry a flush function).
 *
 * <p>Contract: called by a committer thread inside {@link JournalWriter#append}, without the
 * journal's lock but while that thread holds whatever the engine held when it called append
 * (its commit lock). So it must return promptly and must not wait for anything that needs
 * those locks or calls {@code append}: it should start a checkpoint (write dirty nodes,
 * flush the device) that does not need the commit lock, whose end calls
 * {@link JournalWriter#setCheckpoint} with a lastSeq as high as possible. Requests may repeat;
 * the engine should coalesce them.
 */
@FunctionalInterface
public interface ReclaimRequest {
    void requestReclaim();
}
