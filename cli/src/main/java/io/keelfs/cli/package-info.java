/**
 * The {@code keelfs} command line: picocli commands that parse arguments and call the layers.
 *
 * <p>Owns: the command tree ({@link io.keelfs.cli.KeelfsCommand} and one class per subcommand),
 * argument converters ({@link io.keelfs.cli.ByteSizes}) and exit codes (0 success, 1 failure,
 * 2 usage error, picocli's defaults). A new subcommand is a new class listed in its parent's
 * {@code subcommands}. A bad option value (or a missing one) is a picocli
 * {@code ParameterException}: exit 2 with the usage. A failure the user can act on (a file in
 * the way, an image too small, not a keelfs image) is a {@link io.keelfs.cli.CommandFailure}:
 * exit 1 with one line. Commands print; what they print about an image is worked out in
 * fs-core (e.g. {@link io.keelfs.engine.ImageReport}).
 *
 * <p>May call: every keelfs module ({@code io.keelfs.bench} for benchmarks). Must not be called
 * by any other package.
 *
 * <p>Threading: commands run on the main thread; each invocation builds a fresh command tree.
 */
package io.keelfs.cli;
