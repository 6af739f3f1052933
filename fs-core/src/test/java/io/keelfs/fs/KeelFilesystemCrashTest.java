package io.keelfs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keelfs.error.KeelException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

/**
 * Crash consistency over the real stack: random namespace and data operations (files kept
 * open and unlinked, renames of all flavours, truncates, directories) without syncing; at
 * random instants a copy of the device is mounted as if the process had died then. The mount
 * must succeed, free every orphan, and leave a namespace that {@link NamespaceVerifier} finds
 * consistent, with no orphans left. Contents after such a crash are the recovery-tests'
 * business (they need a durability oracle); this test checks metadata invariants only.
 */
class KeelFilesystemCrashTest {
    static final int OPS_PER_TRY = 1_500;
    static final int CRASHES_PER_TRY = 6;
    private static final String[] NAMES = {"a", "b", "c", "d"};

    @Property(tries = 3)
    void everyCrashMountsConsistent(
            @ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long seed) throws Exception {
        Random random = new Random(seed);
        List<Long> handles = new ArrayList<>();
        try (FsFixture f = FsFixture.real(FsOptions.defaults())) {
            for (int op = 0; op < OPS_PER_TRY; op++) {
                try {
                    step(f.fs, random, handles);
                } catch (KeelException expected) {
                    // refusals (ENOENT, EEXIST, ...) are the model test's business
                }
                if (random.nextInt(OPS_PER_TRY / CRASHES_PER_TRY) == 0) {
                    try (KeelFilesystem crashed = f.mountCrashCopy()) {
                        assertEquals(List.of(), NamespaceVerifier.verify(
                                crashed.state().engine), "seed " + seed + " op " + op);
                        assertEquals(0, crashed.orphanCount(), "seed " + seed + " op " + op);
                    }
                }
            }
            for (long h : handles) {
                f.fs.release(h);
            }
        }
    }

    private static String path(Random random) {
        StringBuilder b = new StringBuilder();
        for (int i = 0, n = 1 + random.nextInt(2); i < n; i++) {
            b.append('/').append(NAMES[random.nextInt(NAMES.length)]);
        }
        return b.toString();
    }

    private static void step(Filesystem fs, Random random, List<Long> handles)
            throws KeelException {
        switch (random.nextInt(9)) {
            case 0 -> handles.add(fs.create(path(random), 0644, OpenFlags.O_RDWR
                    | OpenFlags.O_CREAT, FsFixture.USER));
            case 1 -> {
                if (!handles.isEmpty()) {
                    long h = handles.get(random.nextInt(handles.size()));
                    fs.write(h, random.nextInt(100_000), ByteBuffer.wrap(
                            new byte[1 + random.nextInt(30_000)]));
                }
            }
            case 2 -> fs.truncate(path(random), random.nextInt(60_000));
            case 3 -> fs.unlink(path(random));
            case 4 -> fs.mkdir(path(random), 0755, FsFixture.USER);
            case 5 -> fs.rmdir(path(random));
            case 6 -> fs.rename(path(random), path(random), random.nextInt(3));
            case 7 -> fs.link(path(random), path(random));
            default -> {
                if (!handles.isEmpty()) {
                    fs.release(handles.remove(random.nextInt(handles.size())));
                }
            }
        }
    }
}
