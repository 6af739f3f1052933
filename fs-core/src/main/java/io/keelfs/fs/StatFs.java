package io.keelfs.fs;

/**
 * What statfs(2) reports.
 *
 * @param blocksAvail free blocks an unprivileged writer may use (free minus the metadata
 *     reserve that keeps unlink and truncate working on a full filesystem)
 */
public record StatFs(
        int blockSizeBytes, long blocks, long blocksFree, long blocksAvail, long files,
        long filesFree, int nameLengthMax) {}
