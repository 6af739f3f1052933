package io.keelfs.cli;

import io.keelfs.engine.Mkfs;
import java.io.PrintWriter;

/**
 * mkfs's progress while it zeroes the journal (up to 256 buckets of up to 64 MiB). On a
 * terminal: one line redrawn with {@code \r}, at most every {@link #REDRAW_NANOS_MIN}, then
 * replaced by the result. Elsewhere (a log, a pipe, a test): a plain line per quarter when the
 * journal is at least {@link #LOG_QUARTERS_BYTES_MIN}, and always one line at the end.
 *
 * <p>Thread-safety: not thread-safe; mkfs calls it from its one thread.
 */
final class FormatProgress implements Mkfs.Progress {
    static final long REDRAW_NANOS_MIN = 100_000_000L;
    /** Below this, zeroing takes well under a second: only the final line is logged. */
    static final long LOG_QUARTERS_BYTES_MIN = 64L << 20;
    static final int LINE_WIDTH = 78;

    private final PrintWriter out;
    private final boolean terminal;
    private final long bucketSizeBytes;
    private long lastDrawNanos;
    private int lastQuarter;

    FormatProgress(PrintWriter out, boolean terminal, long bucketSizeBytes) {
        this.out = out;
        this.terminal = terminal;
        this.bucketSizeBytes = bucketSizeBytes;
    }

    @Override
    public void journalZeroed(int bucketsDone, int bucketsTotal) {
        String status = String.format("zeroing the journal: %d of %d buckets (%d%%)",
                bucketsDone, bucketsTotal, 100L * bucketsDone / Math.max(1, bucketsTotal));
        if (bucketsDone >= bucketsTotal) {
            String result = String.format("zeroed the journal: %d buckets, %s",
                    bucketsTotal, ByteSizes.format(bucketsTotal * bucketSizeBytes));
            out.println(terminal ? "\r" + pad(result) : result);
        } else if (terminal) {
            if (System.nanoTime() - lastDrawNanos >= REDRAW_NANOS_MIN) {
                out.print("\r" + pad(status));
                lastDrawNanos = System.nanoTime();
            }
        } else if (bucketsTotal * bucketSizeBytes >= LOG_QUARTERS_BYTES_MIN) {
            int quarter = (int) (4L * bucketsDone / bucketsTotal);
            if (quarter > lastQuarter) {
                lastQuarter = quarter;
                out.println(status);
            }
        }
        out.flush();
    }

    private static String pad(String line) {
        return line.length() >= LINE_WIDTH ? line : line + " ".repeat(LINE_WIDTH - line.length());
    }
}
