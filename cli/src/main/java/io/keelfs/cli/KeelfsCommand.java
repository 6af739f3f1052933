package io.keelfs.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The top command, {@code keelfs}: a list of subcommands and nothing else.
 *
 * <p>Entry points: {@link #main} for the runnable jar, {@link #newCommandLine} for tests and
 * callers that capture output. Exit codes are picocli's: 0 success, 1 a subcommand failed, 2 a
 * usage error (unknown subcommand or option, bad value), with the usage on stderr.
 *
 * <p>Later subcommands ({@code mount}, {@code fsck}, {@code dump}, {@code crashtest}) are
 * added to {@code subcommands} below, one class each.
 *
 * <p>Thread-safety: not thread-safe; build one command line per invocation.
 */
@Command(
        name = "keelfs",
        // INHERIT: every subcommand, including those added later, gets --help and --version.
        scope = CommandLine.ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = KeelfsCommand.VersionProvider.class,
        description = "A journaled copy-on-write filesystem in image files, mounted through FUSE.",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {
            MkfsCommand.class,
            ShowSuperCommand.class,
            FsckCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class
        },
        footer = {"", "Run 'keelfs COMMAND --help' for the options of a command."})
// picocli's HelpCommand adds `keelfs help COMMAND`.
public final class KeelfsCommand {

    public static void main(String[] args) {
        System.exit(newCommandLine().execute(args));
    }

    /** A fresh command tree with keelfs's error handling; output goes to stdout and stderr. */
    public static CommandLine newCommandLine() {
        CommandLine commandLine = new CommandLine(new KeelfsCommand());
        commandLine.setExecutionExceptionHandler(KeelfsCommand::reportFailure);
        return commandLine;
    }

    /**
     * A failure while a command runs: one line naming the command and the exception on stderr,
     * the stack trace only with KEELFS_DEBUG set, exit code 1. A {@link CommandFailure} is
     * expected, so it is just "COMMAND: message".
     */
    private static int reportFailure(
            Exception ex, CommandLine commandLine, CommandLine.ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        if (ex instanceof CommandFailure && System.getenv("KEELFS_DEBUG") == null) {
            err.println(commandLine.getColorScheme().errorText(
                    commandLine.getCommandSpec().name() + ": " + ex.getMessage()));
            err.flush();
            return commandLine.getCommandSpec().exitCodeOnExecutionException();
        }
        err.println(commandLine.getColorScheme().errorText(
                commandLine.getCommandSpec().qualifiedName() + ": " + ex));
        if (System.getenv("KEELFS_DEBUG") != null) {
            ex.printStackTrace(err);
        } else {
            err.println("(set KEELFS_DEBUG=1 for the stack trace)");
        }
        err.flush();
        return commandLine.getCommandSpec().exitCodeOnExecutionException();
    }

    /** Version from the build (version.properties, filtered by Maven) and the running JVM. */
    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                "keelfs " + buildVersion(),
                "Java " + System.getProperty("java.version") + " ("
                        + System.getProperty("java.vendor") + ") on "
                        + System.getProperty("os.name") + " " + System.getProperty("os.arch"),
            };
        }

        static String buildVersion() {
            Properties properties = new Properties();
            try (InputStream in = KeelfsCommand.class.getResourceAsStream("version.properties")) {
                if (in == null) {
                    return "(unknown version)";
                }
                properties.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read version.properties", e);
            }
            return properties.getProperty("version", "(unknown version)");
        }
    }
}
