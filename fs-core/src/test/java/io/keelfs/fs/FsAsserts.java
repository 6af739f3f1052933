package io.keelfs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.keelfs.error.Errno;
import io.keelfs.error.KeelException;
import org.junit.jupiter.api.function.Executable;

final class FsAsserts {
    private FsAsserts() {}

    static KeelException assertErrno(Errno expected, Executable call) {
        KeelException e = assertThrows(KeelException.class, call);
        assertEquals(expected, e.errno(), e.getMessage());
        return e;
    }
}
