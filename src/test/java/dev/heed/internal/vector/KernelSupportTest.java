package dev.heed.internal.vector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@link KernelSupport} this JVM can run (the scalar one always; the Vector API one when
 * the tests run with {@code --add-modules jdk.incubator.vector}) against naive loops, over the
 * awkward sizes Lucene uses, with offsets and padded leading dimensions so that a write outside
 * the target block shows.
 */
class KernelSupportTest {
    static final double SENTINEL = -7777.25;
    static final int[] LUCENE_SIZES = {1, 4, 6, 8, 13, 16, 25, 32, 64, 100, 128, 207, 256, 300, 512, 702, 1024};

    static List<KernelSupport> supports() {
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

    /** C = A·B through {@code support}, with A row-major or transposed, checked element by element. */
    static void checkGemm(
            KernelSupport support, int m, int n, int k, int pad, boolean transposedA, boolean accumulate) {
        int ars = transposedA ? 1 : k + pad;
        int acs = transposedA ? m + pad : 1;
        int ldb = n + pad;
        int ldc = n + pad;
        int aOff = 3;
        int bOff = 5;
        int cOff = 2;
        double[] a = random(m * 31L + k, aOff + Math.max(m, 1) * Math.max(k, 1) + pad * Math.max(m, k) + 1);
        double[] b = random(n * 17L + k, bOff + k * ldb + 1);
        double[] c = new double[cOff + m * ldc + 1];
        Arrays.fill(c, SENTINEL);
        double[] cInitial = c.clone();
        double[] aBefore = a.clone();
        double[] bBefore = b.clone();
        support.gemm(m, n, k, a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc, accumulate);
        for (int p = 0; p < c.length; p++) {
            int rel = p - cOff;
            boolean inside = rel >= 0 && rel < m * ldc && rel % ldc < n;
            if (!inside) {
                assertThat(c[p])
                        .as("C[%d] outside the %dx%d block is untouched", p, m, n)
                        .isEqualTo(SENTINEL);
                continue;
            }
            int i = rel / ldc;
            int j = rel % ldc;
            double s = accumulate ? cInitial[p] : 0;
            double g = Math.abs(s);
            for (int q = 0; q < k; q++) {
                double x = a[aOff + i * ars + q * acs] * b[bOff + q * ldb + j];
                s += x;
                g += Math.abs(x);
            }
            if (Math.abs(c[p] - s) > 1e-13 * g) {
                fail(
                        "%s m=%d n=%d k=%d transposedA=%s acc=%s: C[%d][%d] expected %s but was %s",
                        support.name(), m, n, k, transposedA, accumulate, i, j, s, c[p]);
            }
        }
        assertThat(a).containsExactly(aBefore);
        assertThat(b).containsExactly(bBefore);
    }

    @ParameterizedTest
    @MethodSource("supports")
    void gemmOverSmallShapesLayoutsAndAccumulation(KernelSupport support) {
        int[] sizes = {0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 33};
        for (int m : sizes) {
            for (int n : sizes) {
                for (int k : new int[] {0, 1, 3, 8, 13}) {
                    checkGemm(support, m, n, k, 0, false, false);
                    checkGemm(support, m, n, k, 3, true, true);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("supports")
    void gemmInnerDimensionAcrossTheBlockSize(KernelSupport support) {
        for (int k : new int[] {255, 256, 257, 511, 512, 513, 700}) {
            checkGemm(support, 7, 13, k, 0, false, false);
            checkGemm(support, 9, 65, k, 2, true, false);
            checkGemm(support, 4, 32, k, 1, false, true);
        }
    }

    @ParameterizedTest
    @MethodSource("supports")
    void rowOperationsOverAwkwardLengths(KernelSupport support) {
        for (int n : LUCENE_SIZES) {
            for (int off : new int[] {0, 1, 3}) {
                double[] x = random(n, n + off + 2);
                double expectedMax = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    expectedMax = Math.max(expectedMax, x[off + j]);
                }
                assertThat(support.max(x, off, n)).as("max n=%d", n).isEqualTo(expectedMax);

                double[] acc = random(n + 7, n + 1);
                double[] accExpected = acc.clone();
                for (int j = 0; j < n; j++) {
                    accExpected[j] = Math.max(acc[j], x[off + j]);
                }
                support.maxOverRows(x, off, 1, n, acc);
                assertThat(acc).containsExactly(accExpected);

                double[] e = x.clone();
                double shift = 0.75;
                double sum = support.expShiftSum(e, off, n, shift);
                double expectedSum = 0;
                for (int j = 0; j < e.length; j++) {
                    if (j >= off && j < off + n) {
                        double want = Math.exp(x[j] - shift);
                        expectedSum += want;
                        assertThat(e[j])
                                .as("exp n=%d at %d", n, j)
                                .isCloseTo(want, org.assertj.core.data.Offset.offset(2 * Math.ulp(want)));
                    } else {
                        assertThat(e[j]).isEqualTo(x[j]);
                    }
                }
                assertThat(sum).isCloseTo(expectedSum, org.assertj.core.data.Offset.offset(1e-13 * expectedSum));

                double[] row = x.clone();
                double[] shifts = random(n + 11, n);
                double[] sums = random(n + 13, n);
                double[] sumsBefore = sums.clone();
                support.expShiftAccumulate(row, off, 1, n, 1.0, shifts, sums);
                for (int j = 0; j < n; j++) {
                    double want = Math.exp(x[off + j] - shifts[j]);
                    assertThat(row[off + j]).isCloseTo(want, org.assertj.core.data.Offset.offset(2 * Math.ulp(want)));
                    assertThat(sums[j]).isEqualTo(sumsBefore[j] + row[off + j]);
                }

                double[] scaled = x.clone();
                support.scale(scaled, off, n, -1.5);
                for (int j = 0; j < n; j++) {
                    assertThat(scaled[off + j]).isEqualTo(-1.5 * x[off + j]);
                }
            }
        }
    }

    /**
     * A transposed score tile's exponentials in one call: each element within 2 ulps of
     * {@code Math.exp}, every column's sum the row-by-row sum of its results in row order, and the
     * very bits of one call per row (the layout the kernels used before), over odd widths, one and
     * many rows, an offset, and blocked ({@code -inf}) entries.
     */
    @ParameterizedTest
    @MethodSource("supports")
    void expShiftAccumulateDownTheRowsOfATile(KernelSupport support) {
        for (int cols : new int[] {1, 3, 7, 8, 13, 64, 65}) {
            for (int rows : new int[] {1, 3, 64}) {
                int off = 5;
                double[] x = random(cols * 11L + rows, off + rows * cols + 3);
                for (int i = off; i < x.length; i += 7) {
                    x[i] = Double.NEGATIVE_INFINITY;
                }
                double[] shift = random(cols + 2L, cols);
                double scale = 0.375;
                double[] sum = random(cols + 4L, cols);
                double[] byRowX = x.clone();
                double[] byRowSum = sum.clone();
                for (int r = 0; r < rows; r++) {
                    support.expShiftAccumulate(byRowX, off + r * cols, 1, cols, scale, shift, byRowSum);
                }
                double[] sumBefore = sum.clone();
                double[] before = x.clone();
                support.expShiftAccumulate(x, off, rows, cols, scale, shift, sum);
                assertThat(x).as("%d x %d tile", rows, cols).containsExactly(byRowX);
                assertThat(sum).containsExactly(byRowSum);
                for (int c = 0; c < cols; c++) {
                    double expected = sumBefore[c];
                    for (int r = 0; r < rows; r++) {
                        int o = off + r * cols + c;
                        double want = Math.exp(scale * before[o] - shift[c]);
                        assertThat(x[o]).isCloseTo(want, org.assertj.core.data.Offset.offset(2 * Math.ulp(want)));
                        expected += x[o];
                    }
                    assertThat(sum[c]).as("sum of column %d", c).isEqualTo(expected);
                }
                for (int i = 0; i < off; i++) {
                    assertThat(x[i]).isEqualTo(before[i]);
                }
                for (int i = off + rows * cols; i < x.length; i++) {
                    assertThat(x[i]).isEqualTo(before[i]);
                }
            }
        }
    }

    /**
     * Column maxima of a block against a naive loop: odd widths (the vector blocks of four, one and
     * the scalar columns), one and many rows, an offset, {@code acc} entries larger than the whole
     * column, infinities, signed zeros and NaN in any row — the maximum of {@code -0.0} and
     * {@code 0.0} is {@code 0.0} whichever comes first, and a NaN anywhere in a column makes it NaN.
     */
    @ParameterizedTest
    @MethodSource("supports")
    void maxOverRowsIsEachColumnsMaximum(KernelSupport support) {
        SplittableRandom random = new SplittableRandom(5);
        for (int cols : new int[] {1, 3, 7, 8, 13, 32, 33, 64, 65, 100}) {
            for (int rows : new int[] {1, 3, 64}) {
                int off = 3;
                double[] x = random(cols * 7L + rows, off + rows * cols + 2);
                for (int i = 0; i < x.length; i += 1 + random.nextInt(9)) {
                    x[i] = switch (random.nextInt(5)) {
                        case 0 -> Double.NEGATIVE_INFINITY;
                        case 1 -> -0.0;
                        case 2 -> 0.0;
                        case 3 -> Double.POSITIVE_INFINITY;
                        default -> x[i];
                    };
                }
                if (cols > 2 && rows > 1) {
                    x[off + (rows - 1) * cols + cols - 2] = Double.NaN; // last row
                    x[off + cols / 2] = Double.NaN; // first row
                }
                double[] acc = random(cols + 1L, cols + 3);
                acc[0] = 5.0; // above every finite entry
                acc[cols - 1] = Double.NEGATIVE_INFINITY;
                double[] expected = acc.clone();
                for (int c = 0; c < cols; c++) {
                    double m = acc[c];
                    for (int r = 0; r < rows; r++) {
                        double v = x[off + r * cols + c];
                        m = Double.isNaN(m) || Double.isNaN(v)
                                ? Double.NaN
                                : m > v ? m : m < v ? v : m == 0 ? m + v : m;
                    }
                    expected[c] = m;
                }
                double[] before = x.clone();
                support.maxOverRows(x, off, rows, cols, acc);
                assertThat(acc).as("%d rows x %d cols", rows, cols).containsExactly(expected);
                assertThat(x).isEqualTo(before);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("supports")
    void nanAndInfinitiesFollowIeee(KernelSupport support) {
        for (int n : new int[] {1, 5, 8, 19}) {
            for (int at = 0; at < n; at++) {
                double[] x = random(n, n);
                x[at] = Double.NaN;
                assertThat(support.max(x, 0, n))
                        .as("max with NaN at %d of %d", at, n)
                        .isNaN();
                double[] acc = new double[n];
                Arrays.fill(acc, Double.NEGATIVE_INFINITY);
                support.maxOverRows(x, 0, 1, n, acc);
                assertThat(acc[at]).isNaN();
                double[] e = x.clone();
                assertThat(support.expShiftSum(e, 0, n, 0)).isNaN();
            }
            double[] negInf = new double[n];
            Arrays.fill(negInf, Double.NEGATIVE_INFINITY);
            assertThat(support.max(negInf, 0, n)).isEqualTo(Double.NEGATIVE_INFINITY);
            assertThat(support.expShiftSum(negInf, 0, n, 3.0)).isZero();
            assertThat(negInf).containsOnly(0.0);
        }
        assertThat(support.max(new double[0], 0, 0)).isEqualTo(Double.NEGATIVE_INFINITY);
    }

    @ParameterizedTest
    @MethodSource("supports")
    void agreesWithTheScalarSupport(KernelSupport support) {
        KernelSupport scalar = VectorizationProvider.scalar();
        int m = 37;
        int n = 70;
        int k = 300;
        double[] a = random(1, m * k);
        double[] b = random(2, k * n);
        double[] c1 = new double[m * n];
        double[] c2 = new double[m * n];
        scalar.gemm(m, n, k, a, 0, k, 1, b, 0, n, c1, 0, n, false);
        support.gemm(m, n, k, a, 0, k, 1, b, 0, n, c2, 0, n, false);
        for (int i = 0; i < c1.length; i++) {
            assertThat(c2[i]).isCloseTo(c1[i], org.assertj.core.data.Offset.offset(1e-12 * (1 + Math.abs(c1[i]))));
        }
    }
}
