package io.keelfs.fs;

import io.keelfs.fs.names.NameHash;
import java.time.Instant;
import java.util.function.LongSupplier;

/**
 * How a {@link KeelFilesystem} runs.
 *
 * @param nameHash hash of dirent and xattr names; on-disk format, so only tests change it (to
 *     force collisions)
 * @param clockNs wall clock in ns since the epoch, for timestamps (tests pass a fake one)
 */
public record FsOptions(NameHash nameHash, LongSupplier clockNs) {
    public static final LongSupplier SYSTEM_CLOCK = () -> {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    };

    public static FsOptions defaults() {
        return new FsOptions(NameHash.SIPHASH, SYSTEM_CLOCK);
    }

    public FsOptions withNameHash(NameHash value) {
        return new FsOptions(value, clockNs);
    }

    public FsOptions withClockNs(LongSupplier value) {
        return new FsOptions(nameHash, value);
    }
}
