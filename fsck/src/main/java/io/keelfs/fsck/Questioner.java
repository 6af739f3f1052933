package io.keelfs.fsck;

/**
 * Asks whether to make one fix (e2fsck's "Fix? yes"). The CLI asks on the terminal; without a
 * terminal and without {@code -y} the answer is no ({@link #NO}), and the fix is reported as
 * left.
 *
 * <p>Thread-safety: called from the fsck thread only.
 */
@FunctionalInterface
public interface Questioner {
    Questioner NO = question -> false;
    Questioner YES = question -> true;

    /** {@code question} names the damage and the fix; true to make the fix. */
    boolean ask(String question);
}
