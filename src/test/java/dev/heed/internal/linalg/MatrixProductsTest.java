package dev.heed.internal.linalg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.PackedGemm;
import dev.heed.internal.vector.VectorizationProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The packed, parallel path of {@link MatrixProducts}: bit for bit the naive chain of fused
 * multiply-adds in the order of {@code k}, and bitwise the same for every thread count (the row
 * blocks change with it).
 */
class MatrixProductsTest {
    static List<KernelSupport> kernels() {
        List<KernelSupport> all = new ArrayList<>();
        all.add(VectorizationProvider.scalar());
        VectorizationProvider.vector().ifPresent(all::add);
        return all;
    }

    static double[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextDouble(-2, 2);
        }
        return x;
    }

    /** {@code C = A·B} as one FMA chain per element, A through strides, B and C row-major. */
    static double[] naive(int m, int n, int k, double[] a, int aOff, int ars, int acs, double[] b, int bOff, int ldb) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0.0;
                for (int p = 0; p < k; p++) {
                    s = Math.fma(a[aOff + i * ars + p * acs], b[bOff + p * ldb + j], s);
                }
                c[i * n + j] = s;
            }
        }
        return c;
    }

    static void assertBitwise(double[] actual, double[] expected, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (Double.doubleToRawLongBits(actual[i]) != Double.doubleToRawLongBits(expected[i])) {
                fail("%s: element %d is %s, the FMA chain gives %s", what, i, actual[i], expected[i]);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void packedProductIsTheFmaChainForEveryThreadCount(KernelSupport kernels) {
        PackedGemm base = PackedGemm.of(kernels);
        PackedGemm tiny = base.withBlocking(7, 3 * base.mr(), 2 * base.nr());
        int[][] sizes = {{1, 1, 1}, {13, 7, 3}, {65, 57, 29}, {257, 3 * base.nr() + 1, 64}};
        for (PackedGemm packed : new PackedGemm[] {base, tiny}) {
            for (int[] s : sizes) {
                int m = s[0];
                int n = s[1];
                int k = s[2];
                // A transposed with a padded leading dimension: element (i, p) at 2 + i + p·(m + 1)
                double[] a = random(m + 31L * k, 2 + m + k * (m + 1));
                double[] b = random(n + 17L * k, 1 + k * (n + 2));
                double[] expected = naive(m, n, k, a, 2, 1, m + 1, b, 1, n + 2);
                for (int threads : new int[] {1, 2, 3, 5}) {
                    double[] c = random(9, 3 + m * n);
                    MatrixProducts.multiplyPacked(packed, threads, m, n, k, a, 2, 1, m + 1, b, 1, n + 2, c, 3);
                    assertBitwise(
                            java.util.Arrays.copyOfRange(c, 3, 3 + m * n),
                            expected,
                            kernels.name() + " " + packed + " " + m + "x" + n + "x" + k + " threads=" + threads);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void severalColumnBlocksOfPackedB(KernelSupport kernels) {
        PackedGemm packed = PackedGemm.of(kernels);
        int k = 1024;
        int n = MatrixProducts.PACKED_B_LIMIT / k + 2 * packed.nr() + 5; // two column blocks
        int m = 2 * packed.mr() + 1;
        double[] a = random(1, m * k);
        double[] b = random(2, k * n);
        double[] expected = naive(m, n, k, a, 0, k, 1, b, 0, n);
        for (int threads : new int[] {1, 2}) {
            double[] c = new double[m * n];
            MatrixProducts.multiplyPacked(packed, threads, m, n, k, a, 0, k, 1, b, 0, n, c, 0);
            assertBitwise(c, expected, kernels.name() + " threads=" + threads);
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void batchedProductsTakeThePackedPathWhenLarge(KernelSupport kernels) {
        // [2, 300, 240] @ [240, 250] with B column-strided (a transposed view), so B is made dense
        // once and the batch is one tall product; then a batch of two distinct B.
        int n = 300;
        int k = 240;
        int m = 250;
        double[] a = random(3, 2 * n * k);
        double[] bt = random(4, m * k); // B^T row-major: B(p, j) at j·k + p
        double[] c = new double[2 * n * m];
        MatrixProducts.multiply(
                kernels, new int[] {2}, n, k, m, a, 0, new int[] {n * k, k, 1}, bt, 0, new int[] {0, 1, k}, c);
        double[] b = new double[k * m];
        for (int p = 0; p < k; p++) {
            for (int j = 0; j < m; j++) {
                b[p * m + j] = bt[j * k + p];
            }
        }
        assertBitwise(c, naive(2 * n, m, k, a, 0, k, 1, b, 0, m), kernels.name() + " tall");

        double[] b2 = random(5, 2 * k * m);
        double[] c2 = new double[2 * n * m];
        MatrixProducts.multiply(
                kernels, new int[] {2}, n, k, m, a, 0, new int[] {n * k, k, 1}, b2, 0, new int[] {k * m, m, 1}, c2);
        for (int t = 0; t < 2; t++) {
            assertBitwise(
                    java.util.Arrays.copyOfRange(c2, t * n * m, (t + 1) * n * m),
                    naive(n, m, k, a, t * n * k, k, 1, b2, t * k * m, m),
                    kernels.name() + " batch element " + t);
        }
        assertThat(PackedGemm.of(kernels).worthPacking(n, m, k)).isTrue();
    }
}
