package io.keelfs.cli;

import static io.keelfs.cli.KeelfsCommandTest.run;
import static io.keelfs.cli.MkfsCommandTest.mkfsSmall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keelfs.cli.KeelfsCommandTest.Run;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keelfs fsck} through the command line: e2fsck's exit codes for a clean image, a
 * missing file, a usage error, and a damaged superblock copy checked, repaired and checked
 * again.
 */
class FsckCommandTest {
    @TempDir
    Path dir;

    @Test
    void freshImageIsCleanWithASummaryLine() {
        Path image = dir.resolve("fresh.img");
        assertEquals(0, mkfsSmall(image, "--size", "1M").exitCode());
        Run run = run("fsck", image.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith(image + ": "), run.out());
        assertTrue(run.out().contains("0 errors found, 0 fixed"), run.out());
    }

    /** A populated image with one file's nlink damaged through an engine transaction. */
    private Path damagedFilesystem() throws Exception {
        Path image = dir.resolve("fs.img");
        assertEquals(0, MkfsCommandTest.mkfs(image, "--size", "8M", "--bucket-size", "64K",
                "--node-size", "8K").exitCode());
        long ino;
        try (io.keelfs.block.FileBlockDevice dev = io.keelfs.block.FileBlockDevice.open(image,
                4096, false)) {
            try (io.keelfs.fs.KeelFilesystem fs = io.keelfs.fs.KeelImage.open(dev)) {
                long h = fs.create("/f", 0644, io.keelfs.fs.OpenFlags.O_RDWR,
                        io.keelfs.fs.Caller.ROOT);
                fs.write(h, 0, ByteBuffer.wrap(new byte[10_000]));
                fs.release(h);
                ino = fs.getattr("/f").ino();
            }
            try (io.keelfs.alloc.ManagedEngine m = io.keelfs.alloc.ManagedEngine.open(dev,
                    io.keelfs.engine.EngineOptions.defaults())) {
                m.engine().update(t -> {
                    io.keelfs.format.Bpos pos = io.keelfs.format.Bpos.of(ino, 0);
                    io.keelfs.fs.inode.Inode i = io.keelfs.fs.inode.InodeCodec.decode(ino,
                            t.get(io.keelfs.format.BtreeId.INODES, pos).value());
                    t.put(io.keelfs.format.BtreeId.INODES, new io.keelfs.format.Bkey(pos,
                            io.keelfs.format.KeyType.INODE,
                            io.keelfs.fs.inode.InodeCodec.encode(i.withNlink(3))));
                    return null;
                }, io.keelfs.engine.Durability.FLUSH);
            }
        }
        return image;
    }

    @Test
    void repairWithoutATerminalAndWithoutYesAnswersNoThenYesFixes() throws Exception {
        Path image = damagedFilesystem();
        Run check = run("fsck", "-n", "--check-data", image.toString());
        assertEquals(4, check.exitCode(), check.err());
        assertTrue(check.err().contains("inode-nlink"), check.err());
        Run asked = run("fsck", "--repair", image.toString());
        assertEquals(4, asked.exitCode(), asked.err());
        assertTrue(asked.err().contains("answering no"), asked.err());
        assertTrue(asked.err().contains("not fixed: answered no"), asked.err());
        Run repair = run("fsck", "--repair", "-y", image.toString());
        assertEquals(1, repair.exitCode(), repair.err());
        Run again = run("fsck", "--check-data", image.toString());
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(again.out().contains("1 files, 1 directories"), again.out());
    }

    @Test
    void missingImageIsAnOperationalError() {
        Run run = run("fsck", dir.resolve("nope.img").toString());
        assertEquals(8, run.exitCode());
        assertTrue(run.err().contains("nope.img: no such file"), run.err());
    }

    @Test
    void unknownOptionIsAUsageError() {
        Path image = dir.resolve("fresh.img");
        assertEquals(0, mkfsSmall(image, "--size", "1M").exitCode());
        Run run = run("fsck", "--frobnicate", image.toString());
        assertEquals(16, run.exitCode(), run.err());
        assertTrue(run.err().contains("--frobnicate"), run.err());
    }

    @Test
    void damagedSuperblockCopyIsReportedRepairedAndThenClean() throws IOException {
        Path image = dir.resolve("damaged.img");
        assertEquals(0, mkfsSmall(image, "--size", "1M").exitCode());
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), 4096 + 40);
        }
        Run check = run("fsck", "-n", image.toString());
        assertEquals(4, check.exitCode(), check.err());
        assertTrue(check.err().contains("superblock-copy"), check.err());
        Run repair = run("fsck", "--repair", "-y", image.toString());
        assertEquals(1, repair.exitCode(), repair.err());
        Run again = run("fsck", image.toString());
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(Files.size(image) > 0);
    }
}
