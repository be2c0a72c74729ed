package dev.heed.internal.vector;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * {@link KernelSupport#subtractMultiply}, the softmax backward's {@code dS = P ∘ (dP − D)}, in
 * every support this JVM runs: bitwise equal to the plain formula (two exactly rounded operations
 * per element), over Lucene's awkward sizes, at offsets, leaving everything outside its range
 * alone, and with IEEE special values passing through as the formula says. Likewise its fused form
 * {@link KernelSupport#expSubtractMultiply} (bitwise the same as scale, exponential and
 * subtractMultiply done one after the other on the same support; the Vector API's within an ulp
 * or two of the scalar one) and {@link KernelSupport#addInto}, with which the chunked backward
 * sums {@code dQ}.
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

    @Test
    void expSubtractMultiplyIsTheThreeStepsFused() {
        for (KernelSupport s : KernelSupportTest.supports()) {
            for (int n : KernelSupportTest.LUCENE_SIZES) {
                for (double scale : new double[] {1.0, 0.125, 0.3}) {
                    double[] x = padded(KernelSupportTest.random(3L * n, n), 2);
                    double[] g = padded(KernelSupportTest.random(3L * n + 1, n), 5);
                    x[2] = Double.NEGATIVE_INFINITY; // a blocked key: weight 0, gradient 0
                    double shift = 0.5 - 0.01 * n;
                    double delta = -0.375;
                    double[] xExpected = x.clone();
                    double[] gExpected = g.clone();
                    s.scale(xExpected, 2, n, scale);
                    s.expShiftSum(xExpected, 2, n, shift);
                    s.subtractMultiply(gExpected, 5, n, delta, xExpected, 2);
                    s.expSubtractMultiply(x, 2, n, scale, shift, g, 5, delta);
                    assertThat(x)
                            .as("%s weights n=%d scale=%s", s.name(), n, scale)
                            .containsExactly(xExpected);
                    assertThat(g)
                            .as("%s gradient n=%d scale=%s", s.name(), n, scale)
                            .containsExactly(gExpected);
                    assertThat(x[2]).isZero();
                    assertThat(g[5]).isZero();
                }
            }
        }
    }

    @Test
    void expSubtractMultiplyOnAnEmptyRowGivesZeros() {
        // A row that may attend to nothing is shifted by +inf: weights exp(-inf) = 0, gradients 0.
        for (KernelSupport s : KernelSupportTest.supports()) {
            for (int n : new int[] {1, 7, 8, 13, 64}) {
                double[] x = KernelSupportTest.random(n, n);
                double[] g = KernelSupportTest.random(n + 1, n);
                s.expSubtractMultiply(x, 0, n, 0.125, Double.POSITIVE_INFINITY, g, 0, 0.0);
                assertThat(x).as("%s n=%d", s.name(), n).containsOnly(0.0);
                for (double v : g) {
                    assertThat(v).isZero();
                }
            }
        }
    }

    @Test
    void expSubtractMultiplyOnTheVectorApiAgreesWithTheScalarSupport() {
        KernelSupport scalar = VectorizationProvider.scalar();
        for (KernelSupport s : KernelSupportTest.supports()) {
            for (int n : KernelSupportTest.LUCENE_SIZES) {
                double[] x = KernelSupportTest.random(5L * n, n);
                double[] g = KernelSupportTest.random(5L * n + 1, n);
                double[] x2 = x.clone();
                double[] g2 = g.clone();
                scalar.expSubtractMultiply(x, 0, n, 0.7, -0.2, g, 0, 0.1);
                s.expSubtractMultiply(x2, 0, n, 0.7, -0.2, g2, 0, 0.1);
                for (int i = 0; i < n; i++) {
                    // Math.exp against Heed's Exp: each within about an ulp of e^x.
                    assertThat(x2[i])
                            .as("%s n=%d weight %d", s.name(), n, i)
                            .isCloseTo(x[i], org.assertj.core.data.Offset.offset(2 * Math.ulp(x[i])));
                    assertThat(g2[i])
                            .as("%s n=%d gradient %d", s.name(), n, i)
                            .isCloseTo(g[i], org.assertj.core.data.Offset.offset(4 * Math.ulp(g[i])));
                }
            }
        }
    }

    @Test
    void addIntoAddsElementByElement() {
        for (KernelSupport s : KernelSupportTest.supports()) {
            for (int n : KernelSupportTest.LUCENE_SIZES) {
                double[] x = padded(KernelSupportTest.random(7L * n, n), 3);
                double[] acc = padded(KernelSupportTest.random(7L * n + 1, n), 1);
                double[] expected = acc.clone();
                for (int i = 0; i < n; i++) {
                    expected[1 + i] = acc[1 + i] + x[3 + i];
                }
                double[] xBefore = x.clone();
                s.addInto(x, 3, n, acc, 1);
                assertThat(acc).as("%s n=%d", s.name(), n).containsExactly(expected);
                assertThat(x).containsExactly(xBefore);
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
