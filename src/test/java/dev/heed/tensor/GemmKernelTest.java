package dev.heed.tensor;

import static dev.heed.tensor.TensorTesting.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.heed.internal.Gemm;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The raw-array kernel behind {@link Tensor#matmul}, checked directly against naive loops with
 * offsets and leading dimensions larger than the rows, so that writes outside C's block show.
 */
class GemmKernelTest {

    static final double SENTINEL = -7777.25;

    static void check(int m, int n, int k, int pad) {
        int lda = k + pad;
        int ldb = n + pad;
        int ldc = n + pad;
        int aOff = 3;
        int bOff = 5;
        int cOff = 2;
        double[] a = random(m * 31 + k, aOff + m * lda + 1);
        double[] b = random(n * 17 + k, bOff + k * ldb + 1);
        double[] c = new double[cOff + m * ldc + 1];
        Arrays.fill(c, SENTINEL);
        double[] aBefore = a.clone();
        double[] bBefore = b.clone();
        Gemm.multiply(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        for (int p = 0; p < c.length; p++) {
            int rel = p - cOff;
            boolean inside = rel >= 0 && rel < m * ldc && rel % ldc < n;
            if (!inside) {
                assertThat(c[p]).as("C[%d] outside the %dx%d block (ldc %d) is untouched", p, m, n, ldc)
                        .isEqualTo(SENTINEL);
                continue;
            }
            int i = rel / ldc;
            int j = rel % ldc;
            double s = 0;
            double g = 0;
            for (int q = 0; q < k; q++) {
                double x = a[aOff + i * lda + q] * b[bOff + q * ldb + j];
                s += x;
                g += Math.abs(x);
            }
            if (Math.abs(c[p] - s) > 1e-12 * g) {
                fail("m=%d n=%d k=%d: C[%d][%d] expected %s but was %s", m, n, k, i, j, s, c[p]);
            }
        }
        assertThat(a).containsExactly(aBefore);
        assertThat(b).containsExactly(bBefore);
    }

    @Test
    void smallShapesWithAndWithoutPadding() {
        int[] sizes = {0, 1, 2, 3, 7, 13};
        for (int m : sizes) {
            for (int n : sizes) {
                for (int k : sizes) {
                    check(m, n, k, 0);
                    check(m, n, k, 3);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {255, 256, 257, 511, 512, 513, 700})
    void innerDimensionAcrossTheBlockSize(int k) {
        check(7, 13, k, 0);
        check(3, 65, k, 2);
    }

    @Test
    void kZeroOverwritesCWithZeros() {
        double[] c = {SENTINEL, 9, 9, 9, 9, SENTINEL};
        Gemm.multiply(2, 2, 0, new double[0], 0, 0, new double[0], 0, 2, c, 1, 2);
        assertThat(c).containsExactly(SENTINEL, 0, 0, 0, 0, SENTINEL);
    }

    static final int[] LUCENE_SIZES = {1, 4, 6, 8, 13, 16, 25, 32, 64, 100, 128, 207, 256, 300, 512, 702, 1024};

    @Test
    void dotAndAxpyOverAwkwardLengths() {
        for (int n : LUCENE_SIZES) {
            for (int off : new int[] {0, 1, 3}) {
                double[] x = random(n, n + off + 2);
                double[] y = random(n + 1000, n + off + 2);
                double s = 0;
                double g = 0;
                for (int j = 0; j < n; j++) {
                    s += x[off + j] * y[2 + j];
                    g += Math.abs(x[off + j] * y[2 + j]);
                }
                assertThat(Gemm.dot(n, x, off, y, 2)).as("dot n=%d off=%d", n, off).isCloseTo(s,
                        org.assertj.core.data.Offset.offset(1e-13 * g + Double.MIN_NORMAL));
                double[] z = y.clone();
                Gemm.axpy(n, -1.5, x, off, z, 2);
                for (int j = 0; j < z.length; j++) {
                    double want = j >= 2 && j < 2 + n ? y[j] + -1.5 * x[off + j - 2] : y[j];
                    assertThat(z[j]).as("axpy n=%d off=%d at %d", n, off, j).isEqualTo(want);
                }
            }
        }
        assertThat(Gemm.dot(0, new double[0], 0, new double[0], 0)).isZero();
    }
}
