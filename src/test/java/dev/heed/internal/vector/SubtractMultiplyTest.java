package dev.heed.internal.vector;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * {@link KernelSupport#subtractMultiply}, the softmax backward's {@code dS = P ∘ (dP − D)}, in
 * every support this JVM runs: bitwise equal to the plain formula (two exactly rounded operations
 * per element), over Lucene's awkward sizes, at offsets, leaving everything outside its range
 * alone, and with IEEE special values passing through as the formula says.
 */
class SubtractMultiplyTest {

    @Test
    void aScalarShiftGivesTheFormulasBits() {
        for (KernelSupport s : KernelSupportTest.supports()) {
            for (int n : KernelSupportTest.LUCENE_SIZES) {
                double[] x = padded(KernelSupportTest.random(n, n), 3);
                double[] p = padded(KernelSupportTest.random(n + 1000, n), 5);
                double shift = 0.3125 * n - 7.1;
                double[] expected = x.clone();
                for (int i = 0; i < n; i++) {
                    expected[3 + i] = p[5 + i] * (x[3 + i] - shift);
                }
                double[] pBefore = p.clone();
                s.subtractMultiply(x, 3, n, shift, p, 5);
                assertThat(x).as("%s n=%d", s.name(), n).containsExactly(expected);
                assertThat(p).containsExactly(pBefore);
            }
        }
    }

    @Test
    void aShiftPerElementGivesTheFormulasBits() {
        for (KernelSupport s : KernelSupportTest.supports()) {
            for (int n : KernelSupportTest.LUCENE_SIZES) {
                double[] x = padded(KernelSupportTest.random(2L * n, n), 4);
                double[] p = padded(KernelSupportTest.random(2L * n + 1, n), 1);
                double[] shift = KernelSupportTest.random(2L * n + 2, n + 3); // longer than n: the rest is unread
                double[] expected = x.clone();
                for (int i = 0; i < n; i++) {
                    expected[4 + i] = p[1 + i] * (x[4 + i] - shift[i]);
                }
                s.subtractMultiply(x, 4, n, shift, p, 1);
                assertThat(x).as("%s n=%d", s.name(), n).containsExactly(expected);
            }
        }
    }

    @Test
    void specialValuesFollowIeee() {
        double inf = Double.POSITIVE_INFINITY;
        double[] x = {1, inf, 2, Double.NaN, 5, -0.0, 3, 1e308, 4};
        double[] p = {0, 0, inf, 1, 0.5, 1, -0.0, 10, 1};
        double[] shift = {1, 0, 2, 0, -inf, 0, 1, -1e308, Double.NaN};
        for (KernelSupport s : KernelSupportTest.supports()) {
            double[] a = x.clone();
            double[] b = x.clone();
            s.subtractMultiply(a, 0, a.length, 2.0, p, 0);
            s.subtractMultiply(b, 0, b.length, shift, p, 0);
            for (int i = 0; i < x.length; i++) {
                assertThat(Double.doubleToRawLongBits(a[i]))
                        .as("%s scalar shift at %d", s.name(), i)
                        .isEqualTo(Double.doubleToRawLongBits(p[i] * (x[i] - 2.0)));
                assertThat(Double.doubleToRawLongBits(b[i]))
                        .as("%s shift array at %d", s.name(), i)
                        .isEqualTo(Double.doubleToRawLongBits(p[i] * (x[i] - shift[i])));
            }
        }
    }

    /** {@code values} at {@code offset} in an array padded with a sentinel on both sides. */
    private static double[] padded(double[] values, int offset) {
        double[] out = new double[values.length + offset + 3];
        Arrays.fill(out, KernelSupportTest.SENTINEL);
        System.arraycopy(values, 0, out, offset, values.length);
        return out;
    }
}
