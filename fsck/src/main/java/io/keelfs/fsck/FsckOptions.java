package io.keelfs.fsck;

/**
 * How fsck runs.
 *
 * @param repair fix what can be fixed (otherwise nothing is written: {@code -n})
 * @param assumeYes answer yes to every fix (otherwise each fix asks through the
 *     {@link FsckReport} questioner)
 * @param verbose report every node and tree walked, not only problems
 * @param checkData read every extent's data and verify its checksums
 */
public record FsckOptions(boolean repair, boolean assumeYes, boolean verbose,
        boolean checkData) {
    public static FsckOptions checkOnly() {
        return new FsckOptions(false, false, false, false);
    }
}
