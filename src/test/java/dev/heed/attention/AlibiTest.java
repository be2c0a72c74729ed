package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.TOL;
import static dev.heed.attention.AttentionChecks.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Mask#alibi} and {@link Mask#alibiSlopes}: the bias −slopes[h]·|p − j| per head against the
 * naive reference (forward and backward, every kernel, odd sizes, with causal, windows, padding and
 * grouped heads), chunked equal to full, finite differences, the slopes against the ALiBi
 * reference code's values, and a clear error when the slopes do not fit the heads.
 */
class AlibiTest {
    private static final double[] SLOPES_4 = Mask.alibiSlopes(4);

    private static List<NaiveAttention.Spec> masks(int S) {
        return List.of(
                NaiveAttention.Spec.alibi(SLOPES_4),
                NaiveAttention.Spec.causal().and(NaiveAttention.Spec.alibi(SLOPES_4)),
                NaiveAttention.Spec.alibi(0.3),
                NaiveAttention.Spec.alibi(SLOPES_4)
                        .and(NaiveAttention.Spec.slidingWindow(3, 0))
                        .and(NaiveAttention.Spec.keyPadding(S, Math.max(0, S - 2))),
                NaiveAttention.Spec.bias(random(50, 1, 4, 1, S)).and(NaiveAttention.Spec.alibi(-0.5, 0.25, 2.0, 0)));
    }

    @ParameterizedTest(name = "L={0} S={1}")
    @CsvSource({"1, 1", "1, 9", "3, 7", "7, 3", "13, 13", "64, 65"})
    void forwardEqualsTheNaiveReferenceInEveryKernel(int L, int S) {
        Tensor q = random(1, 2, 4, L, 5);
        Tensor k = random(2, 2, 2, S, 5); // grouped: two query heads per key head
        Tensor v = random(3, 2, 2, S, 3);
        for (NaiveAttention.Spec mask : masks(S)) {
            for (AttentionChecks.Kernel kernel : AttentionChecks.kernels()) {
                AttentionChecks.checkAgainstNaive(
                        mask.toMask() + " L=" + L + " S=" + S + " " + kernel,
                        kernel.attention(),
                        q,
                        k,
                        v,
                        mask,
                        Double.NaN);
            }
        }
    }

    @ParameterizedTest(name = "L={0} S={1}")
    @CsvSource({"1, 1", "3, 7", "7, 3", "13, 13"})
    void backwardEqualsTheNaiveReference(int L, int S) {
        Tensor q = random(4, 2, 4, L, 5);
        Tensor k = random(5, 2, 4, S, 5);
        Tensor v = random(6, 2, 4, S, 3);
        Tensor dO = BackwardChecks.gradOutput(7, 2, 4, L, 3);
        for (NaiveAttention.Spec mask : masks(S)) {
            for (BackwardChecks.Kernel kernel : BackwardChecks.kernels(Double.NaN)) {
                BackwardChecks.checkAgainstNaive(mask.toMask() + " L=" + L + " S=" + S, kernel, q, k, v, mask, dO, TOL);
            }
        }
    }

    @Test
    void chunkedEqualsFullAtOddTilesAndFiniteDifferencesAgree() {
        Tensor q = random(8, 1, 4, 23, 6);
        Tensor k = random(9, 1, 4, 27, 6);
        Tensor v = random(10, 1, 4, 27, 3);
        Tensor dO = BackwardChecks.gradOutput(11, 1, 4, 23, 3);
        Mask mask = Mask.causal().and(Mask.alibi(SLOPES_4));
        ScaledDotProductAttention full = new ScaledDotProductAttention();
        AttentionResult expected = full.apply(q, k, v, mask);
        AttentionGradients expectedGrad = full.backward(q, k, v, mask, expected, dO);
        for (int qc : new int[] {1, 3, 7, 64}) {
            for (int kc : new int[] {1, 3, 7, 64}) {
                ChunkedAttention c = new ChunkedAttention(qc, kc);
                AttentionResult r = c.apply(q, k, v, mask);
                AttentionChecks.assertClose(
                        "chunks " + qc + "x" + kc,
                        expected.output().toArray(),
                        expected.output().shape(),
                        r.output(),
                        TOL);
                BackwardChecks.assertSame(
                        "chunks " + qc + "x" + kc, expectedGrad, c.backward(q, k, v, mask, r, dO), TOL);
            }
        }
        Tensor q2 = q.slice(2, 0, 5);
        Tensor k2 = k.slice(2, 0, 6);
        Tensor v2 = v.slice(2, 0, 6);
        Tensor d2 = dO.slice(2, 0, 5);
        Mask m2 = Mask.alibi(SLOPES_4);
        for (Attention a : List.of(full, new ChunkedAttention(2, 3))) {
            AttentionGradients g = a.backward(q2, k2, v2, m2, a.apply(q2, k2, v2, m2), d2);
            FiniteDifferences.ScalarFunction f =
                    in -> FiniteDifferences.dot(a.apply(in[0], in[1], in[2], m2).output(), d2);
            FiniteDifferences.assertGradient(a + " dQ", g.query(), f, 0, q2, k2, v2);
            FiniteDifferences.assertGradient(a + " dK", g.key(), f, 1, q2, k2, v2);
            FiniteDifferences.assertGradient(a + " dV", g.value(), f, 2, q2, k2, v2);
        }
    }

    @Test
    void theBiasIsExactlyMinusSlopeTimesDistance() {
        // Zero queries: every score is the bias alone, so the weights are softmax(-m|p - j|) exactly.
        Tensor q = Tensor.zeros(1, 2, 3, 4);
        Tensor k = random(12, 1, 2, 5, 4);
        Tensor v = random(13, 1, 2, 5, 1);
        AttentionResult r = new ScaledDotProductAttention().apply(q, k, v, Mask.alibi(0.5, 2.0));
        for (int h = 0; h < 2; h++) {
            double m = h == 0 ? 0.5 : 2.0;
            for (int i = 0; i < 3; i++) {
                int p = i + 2;
                double sum = 0;
                for (int j = 0; j < 5; j++) {
                    sum += Math.exp(-m * Math.abs(p - j));
                }
                for (int j = 0; j < 5; j++) {
                    assertThat(r.weights().get(0, h, i, j))
                            .isCloseTo(
                                    Math.exp(-m * Math.abs(p - j)) / sum, org.assertj.core.data.Offset.offset(1e-15));
                }
            }
        }
    }

    @Test
    void slopesAreThePapersIncludingItsRuleForOtherHeadCounts() {
        assertThat(Mask.alibiSlopes(8))
                .containsExactly(0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625);
        assertThat(Mask.alibiSlopes(1)).containsExactly(0.00390625);
        assertThat(Mask.alibiSlopes(3)).containsExactly(0.0625, 0.00390625, 0.25);
        assertThat(Mask.alibiSlopes(6)).containsExactly(0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125);
        // get_slopes(20) from ofirpress/attention_with_linear_biases, run in Python 3: its start·ratio**i
        // accumulates rounding (0.5000000000000001); Heed's 2^e is correctly rounded; the two differ by up to ~16 ulps
        // (1e-14).
        double[] python20 = {
            0.7071067811865476,
            0.5000000000000001,
            0.35355339059327384,
            0.25000000000000006,
            0.17677669529663692,
            0.12500000000000006,
            0.08838834764831849,
            0.06250000000000004,
            0.044194173824159244,
            0.03125000000000002,
            0.022097086912079626,
            0.01562500000000001,
            0.011048543456039816,
            0.007812500000000007,
            0.005524271728019908,
            0.003906250000000004,
            0.8408964152537145,
            0.5946035575013604,
            0.42044820762685714,
            0.2973017787506802
        };
        double[] ours = Mask.alibiSlopes(20);
        assertThat(ours).hasSize(20);
        for (int h = 0; h < 20; h++) {
            assertThat(Math.abs(ours[h] - python20[h])).as("head %d", h).isLessThanOrEqualTo(1e-14 * python20[h]);
        }
        for (int h = 0; h < 20; h++) {
            // slope h is 2^(num/den): correctly rounded iff its den-th power is nearer 2^num than its neighbours'
            int num = h < 16 ? -8 * (h + 1) : -8 * (2 * (h - 16) + 1);
            int den = h < 16 ? 16 : 32;
            assertCorrectlyRounded("head " + h, ours[h], num, den);
        }
        assertThat(ours[1]).isEqualTo(0.5);
        assertThat(ours[0]).isEqualTo(Math.sqrt(0.5));
        assertThat(Mask.alibiSlopes(12)).startsWith(Mask.alibiSlopes(8));
    }

    /** {@code x} is the double nearest {@code 2^(num/den)}: {@code x^den} is nearer {@code 2^num} than either neighbour's, in exact arithmetic. */
    private static void assertCorrectlyRounded(String context, double x, int num, int den) {
        java.math.BigDecimal target =
                java.math.BigDecimal.ONE.divide(java.math.BigDecimal.valueOf(2).pow(-num));
        java.math.BigDecimal here =
                new java.math.BigDecimal(x).pow(den).subtract(target).abs();
        for (double n : new double[] {Math.nextDown(x), Math.nextUp(x)}) {
            java.math.BigDecimal there =
                    new java.math.BigDecimal(n).pow(den).subtract(target).abs();
            assertThat(here).as("%s: %s vs neighbour %s", context, x, n).isLessThan(there);
        }
    }

    @Test
    void badSlopesAreRefusedByName() {
        assertThatThrownBy(() -> Mask.alibi()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mask.alibi((double[]) null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mask.alibi(0.5, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NaN");
        assertThatThrownBy(() -> Mask.alibiSlopes(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0");
        Tensor q = random(14, 2, 4, 3, 2);
        for (Attention a : List.of(new ScaledDotProductAttention(), new ChunkedAttention())) {
            assertThatThrownBy(() -> a.apply(q, q, q, Mask.alibi(Mask.alibiSlopes(3))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("3 slopes")
                    .hasMessageContaining("[2, 4, 3, 3]")
                    .hasMessageContaining("4 head");
            Tensor flat = random(15, 3, 2);
            assertThatThrownBy(() -> a.apply(flat, flat, flat, Mask.alibi(1, 2)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("2 slopes");
        }
    }
}
