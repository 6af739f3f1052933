package io.keelfs.error;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.junit.jupiter.api.Test;

/**
 * A refusal keeps its errno and message but, without KEELFS_DEBUG, no stack trace; other
 * failures (device I/O here) keep theirs. Not covered: the KEELFS_DEBUG=1 case (the variable is
 * read once per JVM).
 */
class FsExceptionTest {
    @Test
    void refusalsCarryErrnoAndMessageButNoStackTrace() {
        assumeFalse(FsException.STACK_TRACES, "KEELFS_DEBUG is set");
        FsException e = new FsException(Errno.ENODATA, "/f: no xattr 'security.capability'");
        assertEquals(Errno.ENODATA, e.errno());
        assertEquals("/f: no xattr 'security.capability'", e.getMessage());
        assertEquals(0, e.getStackTrace().length);
    }

    @Test
    void otherFailuresKeepTheirStackTrace() {
        DeviceIoException e = new DeviceIoException("read of image", new java.io.IOException());
        assertTrue(e.getStackTrace().length > 0);
    }
}
