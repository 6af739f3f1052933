package io.keelfs.cli;

import io.keelfs.alloc.AllocBucketCounts;
import io.keelfs.block.DeviceOpenException;
import io.keelfs.block.FileBlockDevice;
import io.keelfs.engine.ImageReport;
import io.keelfs.error.DeviceIoException;
import io.keelfs.error.KeelException;
import io.keelfs.error.SuperblockCorruptException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code keelfs show-super IMAGE}: prints what an image holds, read-only: superblock fields,
 * journal position, btree roots and bucket counts by data type ({@link ImageReport}, which
 * does the reading, and {@link AllocBucketCounts} for the alloc records' counts when the image
 * has them; this class only prints).
 *
 * <p>Output: the report on stdout. On stderr: a warning when a superblock copy was not used
 * (the report fell back to the other), and one line per error. Exit 0 when the image is
 * readable as mount would read it; 1 when it is not a keelfs image, cannot be opened, or has
 * errors (a journal mount would refuse, a damaged btree, a truncated image).
 *
 * <p>Thread-safety: one invocation per instance (picocli).
 */
@Command(
        name = "show-super",
        mixinStandardHelpOptions = true,
        description = {
            "Show a keelfs image's superblock, journal position, btree roots and bucket usage.",
            "",
            "Reads only; safe on an image that is in use (it then shows a moment's state).",
        })
final class ShowSuperCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "The image file.")
    private Path image;

    @Override
    public Integer call() throws Exception {
        ImageReport report = read();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        for (String problem : report.superblock().problems()) {
            err.printf("show-super: %s: warning: %s; using the copy at offset %d%n",
                    image, problem, report.superblock().offsetBytes());
        }
        StringBuilder text = new StringBuilder();
        report.appendTo(text);
        out.print(text);
        out.flush();
        List<String> errors = report.errors();
        for (String error : errors) {
            err.printf("show-super: %s: %s%n", image, error);
        }
        err.flush();
        return errors.isEmpty() ? 0 : 1;
    }

    private ImageReport read() throws CommandFailure {
        checkSize();
        try (FileBlockDevice device = ImageFiles.openReadOnly(image)) {
            ImageReport report = ImageReport.describe(device);
            if (!report.errors().isEmpty()) {
                return report; // the alloc records need a journal that replays
            }
            try {
                return report.withAllocRecordCounts(AllocBucketCounts.read(device));
            } catch (KeelException e) {
                throw new CommandFailure("cannot read the alloc records of " + image + ": "
                        + e.getMessage(), e);
            }
        } catch (DeviceOpenException e) {
            throw new CommandFailure(e.getMessage(), e);
        } catch (SuperblockCorruptException e) {
            throw new CommandFailure(e.getMessage(), e);
        } catch (DeviceIoException | IOException e) {
            throw new CommandFailure("cannot read " + image + ": " + e.getMessage(), e);
        }
    }

    /** A regular file no keelfs image can be, by its size alone, is named as such. */
    private void checkSize() throws CommandFailure {
        if (!Files.isRegularFile(image)) {
            return; // the open names what it is (missing, a directory, a device)
        }
        long sizeBytes;
        try {
            sizeBytes = Files.size(image);
        } catch (IOException e) {
            return; // the open reports it
        }
        int block = ImageFiles.INSPECT_BLOCK_SIZE_BYTES;
        if (sizeBytes == 0) {
            throw new CommandFailure(image + " is not a keelfs image: it is empty (0 bytes)");
        }
        if (sizeBytes % block != 0) {
            throw new CommandFailure(String.format("%s is not a keelfs image: its size, %d"
                    + " bytes, is not a whole number of %d-byte blocks", image, sizeBytes, block));
        }
    }
}
