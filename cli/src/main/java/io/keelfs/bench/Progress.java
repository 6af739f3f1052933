package io.keelfs.bench;

import java.io.PrintWriter;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;

/**
 * Shows that a long phase is moving. On a terminal: one line redrawn with {@code \r} (a bar and
 * a percentage), replaced by the phase's result when it ends. Elsewhere (a log, a pipe): plain
 * timestamped lines, one when a phase begins and one with its result.
 *
 * <p>Lifecycle per phase: {@link #begin} -> {@link #update}* -> {@link #end}. Not thread-safe.
 */
abstract class Progress {
    final PrintWriter out;

    private Progress(PrintWriter out) {
        this.out = out;
    }

    static Progress create(PrintWriter out, boolean terminal) {
        return terminal ? new Bar(out) : new Lines(out);
    }

    /** Shows nothing: for untimed warm-up runs. */
    static Progress silent() {
        return new Silent();
    }

    /** Starts a phase of {@code total} units (bytes, reads). */
    abstract void begin(String label, long total);

    /** {@code done} of the phase's units are finished; cheap enough to call every few ops. */
    abstract void update(long done);

    /** Ends the phase and prints its result as a line of its own. */
    abstract void end(String result);

    /** A line outside any phase. */
    void log(String line) {
        out.println(line);
        out.flush();
    }

    /** One redrawn line; redraws at most every {@link #REDRAW_NANOS_MIN}. */
    private static final class Bar extends Progress {
        static final long REDRAW_NANOS_MIN = 100_000_000L;
        static final int LINE_WIDTH = 78;
        static final int BAR_WIDTH = 30;

        private String label = "";
        private long total = 1;
        private long lastDrawNanos;

        Bar(PrintWriter out) {
            super(out);
        }

        @Override
        void begin(String label, long total) {
            this.label = label;
            this.total = Math.max(1, total);
            draw(0);
        }

        @Override
        void update(long done) {
            if (System.nanoTime() - lastDrawNanos >= REDRAW_NANOS_MIN) {
                draw(done);
            }
        }

        @Override
        void end(String result) {
            out.print("\r" + " ".repeat(LINE_WIDTH) + "\r");
            out.println(result);
            out.flush();
        }

        private void draw(long done) {
            long doneClamped = Math.min(Math.max(done, 0), total);
            int filled = (int) (BAR_WIDTH * doneClamped / total);
            int percent = (int) (100 * doneClamped / total);
            String line = String.format("%s [%s%s] %3d%%",
                    label, "#".repeat(filled), "-".repeat(BAR_WIDTH - filled), percent);
            if (line.length() > LINE_WIDTH) {
                line = line.substring(line.length() - LINE_WIDTH);
            }
            out.print("\r" + line + " ".repeat(LINE_WIDTH - line.length()));
            out.flush();
            lastDrawNanos = System.nanoTime();
        }
    }

    /** Prints nothing at all. */
    private static final class Silent extends Progress {
        Silent() {
            super(new PrintWriter(java.io.Writer.nullWriter()));
        }

        @Override
        void begin(String label, long total) {}

        @Override
        void update(long done) {}

        @Override
        void end(String result) {}
    }

    /** Plain lines for logs. */
    private static final class Lines extends Progress {
        private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

        Lines(PrintWriter out) {
            super(out);
        }

        @Override
        void begin(String label, long total) {
            log(label + " ...");
        }

        @Override
        void update(long done) {}

        @Override
        void end(String result) {
            log(result);
        }

        /** Every line in a log gets the time of day. */
        @Override
        void log(String line) {
            super.log(LocalTime.now().format(TIME) + " " + line);
        }
    }
}
