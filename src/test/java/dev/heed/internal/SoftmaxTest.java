package dev.heed.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.VectorizationProvider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The one row softmax against a naive loop, on every support this JVM runs, over odd lengths, with the row at an
 * offset inside a larger array that must stay untouched around it; and its edges: empty and all {@code -inf} rows,
 * NaN and {@code +inf}, blocked entries and the {@code -0.0} marker that tells them from underflowed weights.
 */
class SoftmaxTest {
    static final int[] SIZES = {0, 1, 2, 3, 4, 7, 8, 13, 16, 25, 64, 65, 100, 257};
    static final double SENTINEL = -7777.25;

    static List<KernelSupport> supports() {
        List<KernelSupport> all = new ArrayList<>();
        all.add(VectorizationProvider.scalar());
        VectorizationProvider.vector().ifPresent(all::add);
        return all;
    }

    /** {@code n} logits spread over ±{@code spread}, every fifth one {@code -inf} when {@code blocked}. */
    static double[] logits(long seed, int n, double spread, boolean blocked) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[n];
        for (int j = 0; j < n; j++) {
            x[j] = blocked && j % 5 == 2 ? Double.NEGATIVE_INFINITY : r.nextDouble(-spread, spread);
        }
        return x;
    }

    /** The row in {@code [3, 3 + n)} of a sentinel-filled array. */
    static double[] embedded(double[] row) {
        double[] a = new double[row.length + 5];
        Arrays.fill(a, SENTINEL);
        System.arraycopy(row, 0, a, 3, row.length);
        return a;
    }

    static void assertSentinels(double[] a, int n) {
        for (int p : new int[] {0, 1, 2, 3 + n, 4 + n}) {
            assertThat(a[p]).as("outside the row at %d", p).isEqualTo(SENTINEL);
        }
    }

    @ParameterizedTest
    @MethodSource("supports")
    void matchesTheNaiveSoftmax(KernelSupport s) {
        for (int n : SIZES) {
            for (double spread : new double[] {1, 30, 1e6}) {
                for (boolean blocked : new boolean[] {false, true}) {
                    double[] x = logits(n * 7L + (long) spread, n, spread, blocked);
                    double max = Arrays.stream(x).max().orElse(Double.NEGATIVE_INFINITY);
                    double sum = 0;
                    for (double v : x) {
                        sum += Math.exp(v - max);
                    }
                    for (boolean marking : new boolean[] {false, true}) {
                        double[] a = embedded(x);
                        double lse = marking ? Softmax.inPlaceMarkingBlocked(s, a, 3, n) : Softmax.inPlace(s, a, 3, n);
                        String ctx = s.name() + " n=" + n + " spread=" + spread + " blocked=" + blocked + " marking="
                                + marking;
                        assertSentinels(a, n);
                        if (n == 0 || max == Double.NEGATIVE_INFINITY) {
                            assertThat(lse).as(ctx).isEqualTo(Double.NEGATIVE_INFINITY);
                            continue;
                        }
                        assertThat(lse)
                                .as(ctx)
                                .isCloseTo(
                                        max + Math.log(sum),
                                        org.assertj.core.data.Offset.offset(1e-13 * (1 + Math.abs(max))));
                        double total = 0;
                        for (int j = 0; j < n; j++) {
                            double want = Math.exp(x[j] - max) / sum;
                            double got = a[3 + j];
                            total += got;
                            assertThat(Math.abs(got - want))
                                    .as("%s weight %d", ctx, j)
                                    .isLessThanOrEqualTo(1e-15 + 1e-13 * want);
                            boolean blockedEntry = x[j] == Double.NEGATIVE_INFINITY;
                            assertThat(Softmax.isBlocked(got))
                                    .as("%s marker %d", ctx, j)
                                    .isEqualTo(marking && blockedEntry);
                        }
                        assertThat(total).as(ctx).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-13));
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("supports")
    void edgesFollowIeeeAndNeverInventNaN(KernelSupport s) {
        double ninf = Double.NEGATIVE_INFINITY;
        for (boolean marking : new boolean[] {false, true}) {
            // all -inf: zeros (+0.0, no markers) and -inf
            double[] a = embedded(new double[] {ninf, ninf, ninf});
            assertThat(run(s, marking, a, 3)).isEqualTo(ninf);
            assertThat(Arrays.copyOfRange(a, 3, 6)).containsExactly(0, 0, 0);
            for (int j = 3; j < 6; j++) {
                assertThat(Softmax.isBlocked(a[j])).isFalse();
            }
            // NaN anywhere, or +inf: the whole row and its log-sum-exp are NaN
            for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY}) {
                for (int n : new int[] {1, 3, 9, 70}) {
                    double[] x = logits(n, n, 3, true);
                    x[n / 2] = bad;
                    double[] b = embedded(x);
                    assertThat(run(s, marking, b, n))
                            .as("%s n=%d %s", s.name(), n, bad)
                            .isNaN();
                    assertThat(Arrays.copyOfRange(b, 3, 3 + n))
                            .as("%s n=%d %s", s.name(), n, bad)
                            .containsOnly(Double.NaN);
                    assertSentinels(b, n);
                }
            }
            // an underflowed weight is +0.0, never the marker
            double[] u = embedded(new double[] {0, -1000, ninf});
            run(s, marking, u, 3);
            assertThat(u[3]).isEqualTo(1.0);
            assertThat(Double.doubleToRawLongBits(u[4])).isEqualTo(Double.doubleToRawLongBits(0.0));
            assertThat(Softmax.isBlocked(u[5])).isEqualTo(marking);
            assertThat(u[5]).isZero();
        }
    }

    /** The scalar support gives the bits of the obvious loop with Math.exp: Tensor.softmax relies on it. */
    @ParameterizedTest
    @MethodSource("sizes")
    void theScalarSupportIsTheObviousLoop(int n) {
        double[] x = logits(n + 99L, n, 40, true);
        double[] a = x.clone();
        Softmax.inPlace(VectorizationProvider.scalar(), a, 0, n);
        double m = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            m = Math.max(m, v);
        }
        double s = 0;
        double[] e = new double[n];
        for (int j = 0; j < n; j++) {
            e[j] = Math.exp(x[j] - m);
            s += e[j];
        }
        double inv = 1.0 / s;
        for (int j = 0; j < n; j++) {
            assertThat(Double.doubleToRawLongBits(a[j]))
                    .as("n=%d weight %d", n, j)
                    .isEqualTo(Double.doubleToRawLongBits(e[j] * inv));
        }
    }

    static int[] sizes() {
        return Arrays.stream(SIZES).filter(n -> n > 0).toArray();
    }

    private static double run(KernelSupport s, boolean marking, double[] a, int n) {
        return marking ? Softmax.inPlaceMarkingBlocked(s, a, 3, n) : Softmax.inPlace(s, a, 3, n);
    }
}
