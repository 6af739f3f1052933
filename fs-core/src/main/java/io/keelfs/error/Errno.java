package io.keelfs.error;

/** The POSIX error numbers keelfs returns (Linux values), mapped to FUSE only at its adapter. */
public enum Errno {
    EPERM(1), ENOENT(2), EIO(5), EBADF(9), EAGAIN(11), ENOMEM(12), EACCES(13), EEXIST(17),
    EXDEV(18), ENOTDIR(20), EISDIR(21), EINVAL(22), EFBIG(27), ENOSPC(28), EROFS(30),
    EMLINK(31), ERANGE(34), ENAMETOOLONG(36), ENOTEMPTY(39), ELOOP(40), ENODATA(61),
    EOVERFLOW(75), EOPNOTSUPP(95), E2BIG(7), EBUSY(16);

    public final int value;

    Errno(int value) {
        this.value = value;
    }
}
