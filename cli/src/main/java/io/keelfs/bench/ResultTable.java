package io.keelfs.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table: a header, rows of cells, columns padded to their widest cell. The first
 * and last columns are left-aligned (names, verdicts), the others right-aligned (figures).
 *
 * <p>Not thread-safe.
 */
final class ResultTable {
    private static final String GAP = "  ";

    private final List<String[]> rows = new ArrayList<>();
    private final int columnCount;

    ResultTable(String... header) {
        this.columnCount = header.length;
        rows.add(header.clone());
    }

    void addRow(String... cells) {
        if (cells.length != columnCount) {
            throw new IllegalArgumentException(String.format(
                    "row has %d cells, the table has %d columns", cells.length, columnCount));
        }
        rows.add(cells.clone());
    }

    void print(PrintWriter out) {
        int[] widths = new int[columnCount];
        for (String[] row : rows) {
            for (int i = 0; i < columnCount; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columnCount; i++) {
                boolean left = i == 0 || i == columnCount - 1;
                String pad = " ".repeat(widths[i] - row[i].length());
                line.append(i == 0 ? "" : GAP).append(left ? row[i] + pad : pad + row[i]);
            }
            out.println(line.toString().stripTrailing());
        }
        out.flush();
    }
}
