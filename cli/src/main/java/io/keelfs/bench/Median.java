package io.keelfs.bench;

import java.util.Arrays;

/** The median of per-round figures, shared by the benchmarks. Stateless. */
final class Median {
    private Median() {}

    /** The middle value, or the mean of the two middle values of an even count. */
    static double of(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("median of no values");
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1
                ? sorted[middle]
                : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
