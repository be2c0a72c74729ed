package dev.heed.internal.linalg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.VectorizationProvider;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Products with a strided B (a transposed weight, as {@code x·Wᵀ} gives) on the kernels of this
 * test run: few rows take the unpacked path, more rows pack B; both must equal the product with B
 * made dense bit for bit, and a naive triple loop to rounding.
 */
class UnpackedProductsTest {
    private static final int[] SIZES = {1, 3, 7, 13, 64, 65, 257};

    private final KernelSupport kernels = VectorizationProvider.support();

    @Test
    void aTransposedBGivesTheDenseProductBitForBitOnEitherSideOfTheThreshold() {
        Random random = new Random(11);
        for (int n = 1; n <= MatrixProducts.UNPACKED_ROWS + 2; n++) {
            for (int k : SIZES) {
                for (int m : SIZES) {
                    double[] a = gaussian(random, n * k);
                    // B [k, m] stored as Bᵀ [m, k] row-major: B's strides are (1, k).
                    double[] bT = gaussian(random, m * k);
                    double[] c = new double[n * m];
                    MatrixProducts.multiply(
                            kernels, new int[0], n, k, m, a, 0, new int[] {k, 1}, bT, 0, new int[] {1, k}, c);
                    double[] dense = transpose(bT, m, k);
                    double[] expected = new double[n * m];
                    MatrixProducts.multiply(
                            kernels, new int[0], n, k, m, a, 0, new int[] {k, 1}, dense, 0, new int[] {m, 1}, expected);
                    assertThat(c).as("n=%d k=%d m=%d", n, k, m).containsExactly(expected);
                    double[] naive = naive(n, k, m, a, 0, k, 1, dense, 0, m, 1);
                    for (int x = 0; x < c.length; x++) {
                        assertThat(c[x])
                                .as("n=%d k=%d m=%d element %d", n, k, m, x)
                                .isCloseTo(naive[x], within(1e-12));
                    }
                }
            }
        }
    }

    @Test
    void fewRowsOverABatchWithStridedOperandsAndABroadcastB() {
        Random random = new Random(12);
        int k = 13;
        int m = 7;
        for (int batches = 1; batches <= MatrixProducts.UNPACKED_ROWS + 1; batches++) {
            // A: [batches, 1, k] seen transposed from a [k, batches] array (row stride 1, column stride
            // batches); B: one [k, m] matrix with strides (2, 2k + 1) inside a larger array, broadcast
            // over the batch (stride 0), at an offset.
            double[] a = gaussian(random, k * batches);
            double[] b = gaussian(random, 5 + (k - 1) * 2 + (m - 1) * (2 * k + 1) + 1);
            int[] aStrides = {1, 0, batches};
            int[] bStrides = {0, 2, 2 * k + 1};
            double[] c = new double[batches * m];
            MatrixProducts.multiply(kernels, new int[] {batches}, 1, k, m, a, 0, aStrides, b, 5, bStrides, c);
            double[] dense = new double[k * m];
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < m; j++) {
                    dense[p * m + j] = b[5 + p * 2 + j * (2 * k + 1)];
                }
            }
            double[] expected = new double[batches * m];
            MatrixProducts.multiply(
                    kernels, new int[] {batches}, 1, k, m, a, 0, aStrides, dense, 0, new int[] {0, m, 1}, expected);
            assertThat(c).as("batches=%d", batches).containsExactly(expected);
            for (int t = 0; t < batches; t++) {
                double[] naive = naive(1, k, m, a, t, 0, batches, dense, 0, m, 1);
                for (int j = 0; j < m; j++) {
                    assertThat(c[t * m + j]).isCloseTo(naive[j], within(1e-12));
                }
            }
        }
    }

    @Test
    void anEmptyInnerDimensionGivesZeros() {
        double[] c = {7, 7, 7};
        MatrixProducts.multiply(
                kernels,
                new int[0],
                1,
                0,
                3,
                new double[0],
                0,
                new int[] {0, 1},
                new double[0],
                0,
                new int[] {1, 0},
                c);
        assertThat(c).containsExactly(0, 0, 0);
    }

    private static double[] gaussian(Random random, int size) {
        double[] x = new double[size];
        for (int i = 0; i < size; i++) {
            x[i] = random.nextGaussian();
        }
        return x;
    }

    private static double[] transpose(double[] x, int rows, int cols) {
        double[] t = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = x[i * cols + j];
            }
        }
        return t;
    }

    /** {@code A·B} by the definition, for A {@code [n, k]} and B {@code [k, m]} given by offset and strides. */
    private static double[] naive(
            int n, int k, int m, double[] a, int aOff, int ars, int acs, double[] b, int bOff, int brs, int bcs) {
        double[] c = new double[n * m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += a[aOff + i * ars + p * acs] * b[bOff + p * brs + j * bcs];
                }
                c[i * m + j] = s;
            }
        }
        return c;
    }
}
