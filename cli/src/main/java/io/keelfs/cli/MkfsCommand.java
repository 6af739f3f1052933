package io.keelfs.cli;

import io.keelfs.block.FileBlockDevice;
import io.keelfs.engine.Engine;
import io.keelfs.engine.EngineOptions;
import io.keelfs.engine.Mkfs;
import io.keelfs.fs.KeelImage;
import io.keelfs.error.KeelException;
import io.keelfs.format.Geometry;
import io.keelfs.format.Superblock;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code keelfs mkfs IMAGE}: formats an image file, creating it (sparse) when it is missing.
 *
 * <p>Steps: check the options (usage errors, exit 2); look at IMAGE and refuse, without
 * {@code --force}, a file holding anything (exit 1); work out the geometry, so an image too
 * small fails before any file is made or resized; create or resize the file; format
 * ({@link KeelImage#format}: engine, alloc records, root directory); open the result
 * read-only with the engine to check it. A file mkfs
 * created itself is removed again when any later step fails; a file that existed is never
 * removed.
 *
 * <p>Thread-safety: one invocation per instance (picocli).
 */
@Command(
        name = "mkfs",
        mixinStandardHelpOptions = true,
        description = {
            "Create a keelfs filesystem in an image file.",
            "",
            "IMAGE is created (sparse) when it does not exist; --size is then required.",
            "An existing file is formatted at its current size, or resized to --size.",
            "A file that holds anything (a keelfs filesystem or any other bytes) is refused",
            "without --force.",
        },
        sortOptions = false)
final class MkfsCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "The image file.")
    private Path image;

    @Option(names = "--size", paramLabel = "SIZE", converter = ByteSizes.Converter.class,
            description = "Image size; suffix K, M, G or T (powers of 1024). Required when IMAGE"
                    + " does not exist; resizes an existing IMAGE (sparse).")
    private Long sizeBytes;

    @Option(names = "--bucket-size", paramLabel = "N", converter = ByteSizes.Converter.class,
            defaultValue = "1M", description = "Bucket size: a power of two in [16K, 64M]"
                    + " (default: ${DEFAULT-VALUE}).")
    private long bucketSizeBytes;

    @Option(names = "--block-size", paramLabel = "N", converter = ByteSizes.Converter.class,
            defaultValue = "4096", description = "Block size: a power of two in [512, 64K]"
                    + " (default: ${DEFAULT-VALUE}).")
    private long blockSizeBytes;

    @Option(names = "--node-size", paramLabel = "N", converter = ByteSizes.Converter.class,
            defaultValue = "256K", description = "Btree node size: a power of two in [4K, 1M],"
                    + " at least the block size, at most the bucket size"
                    + " (default: ${DEFAULT-VALUE}).")
    private long nodeSizeBytes;

    @Option(names = "--label", paramLabel = "L", defaultValue = "",
            description = "Filesystem label, at most 32 bytes of UTF-8.")
    private String label;

    @Option(names = "--force", description = "Overwrite whatever IMAGE holds.")
    private boolean force;

    @Override
    public Integer call() throws Exception {
        Mkfs.Options options = checkedOptions();
        PrintWriter out = spec.commandLine().getOut();
        long existingBytes = inspectImage(options);
        boolean create = existingBytes < 0;
        long targetBytes = sizeBytes != null ? sizeBytes : existingBytes;
        Geometry geometry = checkedGeometry(targetBytes, options);
        out.printf("formatting %s: %d bytes, %d buckets of %d bytes, journal %d buckets"
                        + " (block %d, node %d bytes%s)%n", image, targetBytes,
                geometry.bucketCount(), geometry.bucketSizeBytes(),
                geometry.journalBucketCount(), geometry.blockSizeBytes(),
                geometry.nodeSizeBytes(), label.isEmpty() ? "" : ", label '" + label + "'");
        out.flush();
        if (!create && targetBytes != existingBytes) {
            ImageFiles.resize(image, targetBytes);
        }
        Superblock sb;
        try {
            sb = formatAndCheck(create, targetBytes, options, out);
        } catch (CommandFailure | RuntimeException | Error e) {
            if (create) {
                removeCreated(e);
            }
            throw e;
        }
        out.printf("%s: keelfs filesystem created, uuid %s%n", image, sb.uuid());
        return 0;
    }

    /** The options as mkfs takes them; a bad value is a usage error naming it. */
    private Mkfs.Options checkedOptions() {
        try {
            Mkfs.Options options = new Mkfs.Options(toInt("--block-size", blockSizeBytes),
                    toInt("--bucket-size", bucketSizeBytes), toInt("--node-size", nodeSizeBytes),
                    label);
            if (sizeBytes != null && (sizeBytes <= 0 || sizeBytes % blockSizeBytes != 0)) {
                throw new IllegalArgumentException(String.format(
                        "--size %s (%d bytes) is not a positive multiple of the block size %d",
                        ByteSizes.format(sizeBytes), sizeBytes, blockSizeBytes));
            }
            return options;
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private static int toInt(String option, long value) {
        if (value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(option + " " + value + " bytes is too large");
        }
        return (int) value;
    }

    /**
     * Looks at IMAGE: its size in bytes, or -1 when it does not exist. Refuses (exit 1) a file
     * holding anything unless --force; a usage error when mkfs cannot tell what size to make.
     */
    private long inspectImage(Mkfs.Options options) throws CommandFailure, IOException {
        if (Files.notExists(image, LinkOption.NOFOLLOW_LINKS)) {
            if (sizeBytes == null) {
                throw new ParameterException(spec.commandLine(), String.format(
                        "Missing required option: '--size=SIZE' (%s does not exist, so mkfs"
                                + " creates it and needs its size)", image));
            }
            return -1;
        }
        if (!Files.isRegularFile(image)) {
            throw new CommandFailure(image + " is not a regular file; mkfs formats image files");
        }
        long existingBytes = Files.size(image);
        if (existingBytes > 0 && !force) {
            Optional<Superblock> keelfs = ImageFiles.findKeelfs(image, existingBytes);
            if (keelfs.isPresent()) {
                Superblock sb = keelfs.get();
                throw new CommandFailure(String.format("%s already holds a keelfs filesystem"
                                + " (uuid %s, label '%s', created %s); use --force to overwrite",
                        image, sb.uuid(), sb.label(), sb.createdText()));
            }
            throw new CommandFailure(String.format("%s exists and is not empty (%d bytes);"
                    + " use --force to overwrite", image, existingBytes));
        }
        if (existingBytes == 0 && sizeBytes == null) {
            throw new ParameterException(spec.commandLine(), String.format(
                    "Missing required option: '--size=SIZE' (%s is empty, 0 bytes)", image));
        }
        if (sizeBytes == null && existingBytes % options.blockSizeBytes() != 0) {
            throw new CommandFailure(String.format("%s is %d bytes, not a whole number of %d-byte"
                    + " blocks; give --size to resize it", image, existingBytes,
                    options.blockSizeBytes()));
        }
        return existingBytes;
    }

    /** The geometry for the target size; too small fails naming the minimum, writing nothing. */
    private Geometry checkedGeometry(long targetBytes, Mkfs.Options options)
            throws CommandFailure {
        try {
            return Mkfs.geometry(targetBytes, options);
        } catch (IllegalArgumentException e) {
            throw new CommandFailure(image + ": " + e.getMessage(), e);
        }
    }

    /** Formats the (created or resized) image, then opens it read-only with the engine. */
    private Superblock formatAndCheck(boolean create, long targetBytes, Mkfs.Options options,
            PrintWriter out) throws CommandFailure {
        int blockSize = options.blockSizeBytes();
        Superblock sb;
        try (FileBlockDevice device = create
                ? FileBlockDevice.create(image, targetBytes, blockSize)
                : FileBlockDevice.open(image, blockSize, false)) {
            FormatProgress progress = new FormatProgress(out, System.console() != null,
                    options.bucketSizeBytes());
            sb = KeelImage.format(device, options, progress);
        } catch (IOException | KeelException e) {
            throw new CommandFailure(image + ": formatting failed: " + e.getMessage(), e);
        }
        EngineOptions readOnly = EngineOptions.defaults().withReadOnly(true)
                .withCheckpointIntervalMs(0);
        try (FileBlockDevice device = FileBlockDevice.open(image, blockSize, true);
                Engine engine = Engine.open(device, readOnly)) {
            if (!engine.superblock().uuid().equals(sb.uuid())) {
                throw new CommandFailure(String.format("%s: check after formatting read uuid %s,"
                        + " mkfs wrote %s", image, engine.superblock().uuid(), sb.uuid()));
            }
        } catch (IOException | KeelException e) {
            throw new CommandFailure(image + ": formatted, but opening it read-only failed: "
                    + e.getMessage(), e);
        }
        return sb;
    }

    /** Removes the file this run created, so a failure leaves nothing half-made. */
    private void removeCreated(Throwable failure) {
        try {
            Files.deleteIfExists(image);
        } catch (IOException e) {
            failure.addSuppressed(e);
            spec.commandLine().getErr().println("mkfs: could not remove " + image + ": " + e);
        }
    }
}
