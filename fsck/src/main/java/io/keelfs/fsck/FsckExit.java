package io.keelfs.fsck;

/** e2fsck's exit codes, which test harnesses and scripts read. */
public final class FsckExit {
    public static final int CLEAN = 0;
    public static final int ERRORS_CORRECTED = 1;
    public static final int ERRORS_UNCORRECTED = 4;
    public static final int OPERATIONAL_ERROR = 8;
    public static final int USAGE_ERROR = 16;

    private FsckExit() {}
}
