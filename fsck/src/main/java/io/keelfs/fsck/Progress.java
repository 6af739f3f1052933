package io.keelfs.fsck;

import java.io.PrintStream;

/**
 * Progress of a long pass: a carriage-return bar on a terminal, a plain log line every
 * {@link #LOG_STEP_PERCENT} percent otherwise, nothing when quiet (tests).
 *
 * <p>Thread-safety: one run, one thread.
 */
public final class Progress {
    static final int LOG_STEP_PERCENT = 25;
    private static final int BAR_WIDTH = 40;

    public static final Progress QUIET = new Progress(null, false);

    private final PrintStream out;
    private final boolean terminal;
    private String pass;
    private int lastShown = -1;

    public Progress(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    void start(String passName) {
        pass = passName;
        lastShown = -1;
    }

    /** {@code done} of {@code total} units of the current pass. */
    void update(long done, long total) {
        if (out == null || total <= 0) {
            return;
        }
        int percent = (int) Math.min(100, done * 100 / total);
        if (terminal) {
            if (percent != lastShown) {
                int filled = percent * BAR_WIDTH / 100;
                out.print("\r" + pass + " [" + "#".repeat(filled) + " ".repeat(BAR_WIDTH - filled)
                        + "] " + percent + "%");
                out.flush();
                lastShown = percent;
            }
        } else if (percent / LOG_STEP_PERCENT != lastShown / LOG_STEP_PERCENT
                || lastShown < 0) {
            out.println("fsck: " + pass + ": " + percent + "%");
            lastShown = percent;
        }
    }

    void end() {
        if (out != null && terminal && lastShown >= 0) {
            out.print("\r" + " ".repeat(BAR_WIDTH + pass.length() + 8) + "\r");
            out.flush();
        }
    }
}
