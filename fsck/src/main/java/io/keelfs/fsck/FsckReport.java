package io.keelfs.fsck;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

/**
 * Everything one fsck run found, in the order found, plus counts for the summary line.
 *
 * <p>Bounded: at most {@link #PROBLEMS_KEPT_MAX} problems are kept for the listing; the
 * counts keep counting, so a badly damaged image cannot exhaust the heap.
 *
 * <p>Thread-safety: one run, one thread.
 */
public final class FsckReport {
    public static final int PROBLEMS_KEPT_MAX = 10_000;

    private final List<Problem> problems = new ArrayList<>();
    private final Consumer<String> log;
    private long found;
    private long fixed;
    private String operationalError;
    long nodes;
    long keys;
    long files;
    long directories;
    long buckets;

    /** {@code log} receives each problem and pass line as it happens (stderr, a test list). */
    public FsckReport(Consumer<String> log) {
        this.log = log;
    }

    public void problem(String pass, String kind, String place, String text) {
        add(new Problem(pass, kind, place, text, false));
    }

    public void fixedProblem(String pass, String kind, String place, String text) {
        fixed++;
        add(new Problem(pass, kind, place, text, true));
    }

    private void add(Problem p) {
        found++;
        if (problems.size() < PROBLEMS_KEPT_MAX) {
            problems.add(p);
        }
        log.accept(p.toString());
    }

    /** fsck could not do its job (cannot open, not keelfs): exit 8 whatever else was found. */
    public void operationalError(String text) {
        operationalError = text;
        log.accept("fsck: " + text);
    }

    public void info(String line) {
        log.accept(line);
    }

    public List<Problem> problems() {
        return Collections.unmodifiableList(problems);
    }

    public long foundCount() {
        return found;
    }

    public long fixedCount() {
        return fixed;
    }

    public String operationalErrorOrNull() {
        return operationalError;
    }

    /** 8 operational, 4 if anything is left, 1 if everything found was fixed, else 0. */
    public int exitCode() {
        if (operationalError != null) {
            return FsckExit.OPERATIONAL_ERROR;
        }
        if (found > fixed) {
            return FsckExit.ERRORS_UNCORRECTED;
        }
        return found > 0 ? FsckExit.ERRORS_CORRECTED : FsckExit.CLEAN;
    }

    public String summary(String image, double seconds) {
        return String.format("%s: %d files, %d directories, %d btree nodes, %d keys, %d buckets;"
                + " %d errors found, %d fixed; %.1f s", image, files, directories, nodes, keys,
                buckets, found, fixed, seconds);
    }
}
