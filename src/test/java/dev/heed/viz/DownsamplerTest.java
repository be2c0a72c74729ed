package dev.heed.viz;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link Downsampler} against a naive block maximum, over awkward sizes and caps. */
class DownsamplerTest {

    /** Values in [−1, 1] with some NaN and ±∞ sprinkled in, and a few all-NaN rows. */
    private static double[] values(int rows, int columns, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] v = new double[rows * columns];
        for (int c = 0; c < v.length; c++) {
            double u = random.nextDouble();
            v[c] = u < 0.05
                    ? Double.NaN
                    : u < 0.06
                            ? Double.POSITIVE_INFINITY
                            : u < 0.07 ? Double.NEGATIVE_INFINITY : random.nextDouble(-1, 1);
        }
        for (int i = 0; i < rows; i += 17) {
            for (int j = 0; j < columns; j++) {
                v[i * columns + j] = Double.NaN;
            }
        }
        return v;
    }

    /** The largest non-NaN value of cells [i0, i1) × [j0, j1), NaN if there is none. */
    private static double naiveMax(double[] v, int columns, int i0, int i1, int j0, int j1) {
        double best = Double.NaN;
        for (int i = i0; i < i1; i++) {
            for (int j = j0; j < j1; j++) {
                double x = v[i * columns + j];
                if (!Double.isNaN(x) && (Double.isNaN(best) || x > best)) {
                    best = x;
                }
            }
        }
        return best;
    }

    @ParameterizedTest(name = "{0}×{1} into at most {2}")
    @CsvSource({
        "1, 1, 1",
        "1, 7, 3",
        "3, 1, 2",
        "7, 13, 5",
        "13, 7, 13",
        "64, 65, 64",
        "65, 64, 64",
        "257, 3, 128",
        "3, 257, 128",
        "769, 768, 768",
        "1000, 13, 768",
        "2000, 2000, 768",
        "300, 300, 1"
    })
    void everyShownCellIsTheMaximumOfItsBlock(int rows, int columns, int maxShown) {
        Downsampler d = new Downsampler(rows, columns, maxShown);
        assertThat(d.shownRows).isBetween(1, maxShown);
        assertThat(d.shownColumns).isBetween(1, maxShown);
        // blocks tile the map: the last block may be short but not empty
        assertThat((long) d.shownRows * d.rowBlock).isBetween((long) rows, (long) rows + d.rowBlock - 1);
        assertThat((long) d.shownColumns * d.columnBlock).isBetween((long) columns, (long) columns + d.columnBlock - 1);
        assertThat(d.identity()).isEqualTo(rows <= maxShown && columns <= maxShown);

        double[] v = values(rows, columns, rows * 31L + columns);
        double[] shown = d.shown(v);
        assertThat(shown).hasSize(d.shownRows * d.shownColumns);
        for (int bi = 0; bi < d.shownRows; bi++) {
            for (int bj = 0; bj < d.shownColumns; bj++) {
                double expected = naiveMax(
                        v,
                        columns,
                        bi * d.rowBlock,
                        Math.min(rows, (bi + 1) * d.rowBlock),
                        bj * d.columnBlock,
                        Math.min(columns, (bj + 1) * d.columnBlock));
                // Double.valueOf: NaN equals NaN (an all-NaN block stays NaN)
                assertThat(Double.valueOf(shown[bi * d.shownColumns + bj]))
                        .as("block (%d, %d)", bi, bj)
                        .isEqualTo(Double.valueOf(expected));
            }
        }
    }

    @Test
    void withoutBlocksTheValuesAreShownAsTheyAre() {
        double[] v = {1, Double.NaN, -2, 3};
        Downsampler d = new Downsampler(2, 2, 768);
        assertThat(d.shown(v)).isSameAs(v);
    }
}
