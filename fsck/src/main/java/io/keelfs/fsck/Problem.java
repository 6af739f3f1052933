package io.keelfs.fsck;

/**
 * One thing fsck found wrong.
 *
 * @param pass the pass that found it
 * @param kind a stable short name of the kind of damage (for tests and scripts)
 * @param place where: superblock copy offset, journal seq and bucket, btree and node, inode
 * @param text a sentence with every number needed
 * @param fixed whether a repair fixed it
 */
public record Problem(String pass, String kind, String place, String text, boolean fixed) {
    @Override
    public String toString() {
        return pass + ": " + (fixed ? "FIXED " : "") + kind + " at " + place + ": " + text;
    }
}
