package io.keelfs.fs;

/** Who asks: the owner of what a create makes (FUSE passes the calling process's ids). */
public record Caller(long uid, long gid) {
    public static final Caller ROOT = new Caller(0, 0);

    public Caller {
        if (uid < 0 || uid > 0xffff_ffffL || gid < 0 || gid > 0xffff_ffffL) {
            throw new IllegalArgumentException("uid " + uid + " gid " + gid + " not 32-bit");
        }
    }
}
