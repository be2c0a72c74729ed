package dev.heed.internal.attention;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * {@link AttentionProblem#allFinite}, which chooses between the tiled kernels and the row kernels
 * that handle infinite and NaN values: a non-finite element anywhere in a block (each of its four
 * interleaved sums, the tail) must be found, and nothing outside the blocks read.
 */
class AllFiniteTest {
    private static final double[] BAD = {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN};
    /** Finite extremes: x·0 is ±0 for each, so none may look non-finite. */
    private static final double[] EXTREME = {Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_VALUE, -0.0, 0.0};

    @Test
    void findsEveryNonFiniteElementInEveryBlock() {
        for (int length = 0; length <= 11; length++) {
            // Blocks at 2 (twice: a broadcast batch element) and at 20; gaps and a tail around them.
            int[] offsets = {2, 2, 20};
            double[] v = new double[20 + length + 3];
            for (int i = 0; i < v.length; i++) {
                v[i] = EXTREME[i % EXTREME.length];
            }
            // Outside every block: never read.
            v[0] = Double.NaN;
            v[1] = Double.POSITIVE_INFINITY;
            v[20 + length] = Double.NaN;
            Arrays.fill(v, 2 + length, 20, Double.NEGATIVE_INFINITY);
            assertThat(AttentionProblem.allFinite(v, offsets, length))
                    .as("length %d, finite blocks", length)
                    .isTrue();
            for (int block : new int[] {2, 20}) {
                for (int i = 0; i < length; i++) {
                    for (double bad : BAD) {
                        double[] w = v.clone();
                        w[block + i] = bad;
                        assertThat(AttentionProblem.allFinite(w, offsets, length))
                                .as("length %d, %s at %d of the block at %d", length, bad, i, block)
                                .isFalse();
                    }
                }
            }
        }
    }
}
