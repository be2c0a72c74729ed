package dev.heed.viz;

import java.util.Arrays;

/**
 * Fits a map of {@code rows × columns} cells into at most {@code maxShown} cells an axis by
 * drawing blocks of cells, each shown as the maximum of its block: the largest weight is the one a
 * reader looks for, so a sharp pattern (a diagonal, one hot key) survives where an average would
 * wash it out. Immutable.
 */
final class Downsampler {
    final int rows;
    final int columns;
    /** Cells per block down and across; 1 when the axis fits. */
    final int rowBlock;

    final int columnBlock;
    /** The blocks down and across: what is drawn. */
    final int shownRows;

    final int shownColumns;

    /** Blocks as small as they can be for at most {@code maxShown} blocks an axis; {@code maxShown >= 1}. */
    Downsampler(int rows, int columns, int maxShown) {
        this.rows = rows;
        this.columns = columns;
        rowBlock = ceilDiv(rows, maxShown);
        columnBlock = ceilDiv(columns, maxShown);
        shownRows = ceilDiv(rows, rowBlock);
        shownColumns = ceilDiv(columns, columnBlock);
    }

    /** Whether every cell is drawn on its own (no blocks). */
    boolean identity() {
        return rowBlock == 1 && columnBlock == 1;
    }

    /**
     * A panel's values as drawn, row-major {@code [shownRows · shownColumns]}: each the maximum of
     * its block, NaN only if all are; {@code values} itself (not a copy) when there are no blocks.
     *
     * @param values row-major {@code [rows · columns]}; not modified
     */
    double[] shown(double[] values) {
        if (identity()) {
            return values;
        }
        double[] shown = new double[shownRows * shownColumns];
        Arrays.fill(shown, Double.NaN);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < columns; j++) {
                double v = values[i * columns + j];
                int c = (i / rowBlock) * shownColumns + j / columnBlock;
                if (!Double.isNaN(v) && !(shown[c] >= v)) {
                    shown[c] = v;
                }
            }
        }
        return shown;
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
