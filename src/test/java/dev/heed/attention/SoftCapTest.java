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
 * {@code withSoftCap(cap)} on both kernels: scores {@code cap·tanh(scale·q·k/cap)} before masks and
 * biases, and the backward's extra factor {@code 1 − tanh²}. Against the naive reference (forward
 * and backward), in every tiling, combined with every new variant, with finite differences, and
 * bad caps.
 */
class SoftCapTest {
    private static final int[][] CHUNKS = {{64, 64}, {1, 1}, {3, 7}, {7, 3}, {1000, 1000}};

    private static List<Attention> kernels(double cap, double scale) {
        ScaledDotProductAttention full = new ScaledDotProductAttention().withSoftCap(cap);
        List<Attention> out = new java.util.ArrayList<>();
        out.add(Double.isNaN(scale) ? full : full.withScale(scale));
        for (int[] c : CHUNKS) {
            ChunkedAttention a = new ChunkedAttention(c[0], c[1]).withSoftCap(cap);
            out.add(Double.isNaN(scale) ? a : a.withScale(scale));
        }
        return out;
    }

    private static List<NaiveAttention.Spec> masks(int S) {
        return List.of(
                NaiveAttention.Spec.none(),
                NaiveAttention.Spec.causal(),
                NaiveAttention.Spec.causal().and(NaiveAttention.Spec.alibi(Mask.alibiSlopes(4))),
                NaiveAttention.Spec.slidingWindow(3, 1)
                        .and(NaiveAttention.Spec.keyPadding(S, Math.max(0, S - 2)))
                        .and(NaiveAttention.Spec.bias(random(60, 2, 1, 1, S))),
                NaiveAttention.Spec.where((b, h, i, j) -> (i + 2 * j + h) % 4 != 1));
    }

    @ParameterizedTest(name = "cap={0} scale={1} L={2} S={3}")
    @CsvSource({"0.5, NaN, 1, 1", "2, NaN, 3, 7", "50, 3.0, 7, 3", "1, 4.0, 13, 13", "0.75, 2.5, 65, 64"})
    void forwardAndBackwardEqualTheNaiveReference(double cap, double scale, int L, int S) {
        // grouped heads: 4 query heads over 2 key/value heads
        Tensor q = random(1, 2, 4, L, 5);
        Tensor k = random(2, 2, 2, S, 5);
        Tensor v = random(3, 2, 2, S, 3);
        Tensor dO = BackwardChecks.gradOutput(4, 2, 4, L, 3);
        for (NaiveAttention.Spec spec : masks(S)) {
            Mask mask = spec.toMask();
            NaiveAttention.Result expected = NaiveAttention.attend(q, k, v, spec, scale, cap);
            NaiveBackward.Gradients expectedGrad = NaiveBackward.backward(q, k, v, spec, scale, cap, dO);
            for (Attention a : kernels(cap, scale)) {
                String ctx = a + " " + mask + " L=" + L + " S=" + S;
                AttentionResult r = a.apply(q, k, v, mask);
                AttentionChecks.assertSame(ctx, expected, r);
                BackwardChecks.assertSame(ctx, expectedGrad, a.backward(q, k, v, mask, r, dO), TOL);
            }
        }
    }

    @Test
    void capsTheScoresBeforeTheBias() {
        // Zero values but one: the output is that key's weight. Scores q·k = ±30 capped at 2 are ±2·tanh(15).
        Tensor q = Tensor.of(new double[] {30, -30}, 2, 1);
        Tensor k = Tensor.of(new double[] {1, 0}, 2, 1);
        Tensor v = Tensor.of(new double[] {1, 0}, 2, 1);
        Mask bias = Mask.bias(Tensor.of(new double[] {0, 1.5}, 2));
        for (Attention a : List.of(
                new ScaledDotProductAttention().withScale(1).withSoftCap(2),
                new ChunkedAttention(1, 1).withScale(1).withSoftCap(2))) {
            AttentionResult r = a.apply(q, k, v, bias);
            for (int i = 0; i < 2; i++) {
                double s0 = 2 * Math.tanh((i == 0 ? 30 : -30) / 2.0);
                double w0 = 1 / (1 + Math.exp(1.5 - s0));
                assertThat(r.output().get(i, 0)).isCloseTo(w0, org.assertj.core.data.Offset.offset(1e-15));
            }
        }
    }

    @Test
    void chunkedEqualsFullAndWeightsAreLazyButEqual() {
        Tensor q = random(5, 1, 3, 29, 6).map(x -> 4 * x);
        Tensor k = random(6, 1, 3, 31, 6);
        Tensor v = random(7, 1, 3, 31, 3);
        Tensor dO = BackwardChecks.gradOutput(8, 1, 3, 29, 3);
        Mask mask = Mask.causal().and(Mask.alibi(Mask.alibiSlopes(3)));
        ScaledDotProductAttention full = new ScaledDotProductAttention().withSoftCap(1.5);
        AttentionResult expected = full.apply(q, k, v, mask);
        AttentionGradients expectedGrad = full.backward(q, k, v, mask, expected, dO);
        for (int qc : new int[] {1, 3, 7, 64}) {
            for (int kc : new int[] {1, 3, 7, 64}) {
                ChunkedAttention c = new ChunkedAttention(qc, kc).withSoftCap(1.5);
                AttentionResult r = c.apply(q, k, v, mask);
                String ctx = "chunks " + qc + "x" + kc;
                AttentionChecks.assertClose(
                        ctx, expected.output().toArray(), expected.output().shape(), r.output(), TOL);
                AttentionChecks.assertBitwise(ctx + " lazy weights", expected.weights(), r.weights());
                BackwardChecks.assertSame(ctx, expectedGrad, c.backward(q, k, v, mask, r, dO), TOL);
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Tensor q = random(9, 1, 2, 5, 3).map(x -> 3 * x); // scores large enough for the cap to bend them
        Tensor k = random(10, 1, 2, 6, 3);
        Tensor v = random(11, 1, 2, 6, 2);
        Tensor dO = BackwardChecks.gradOutput(12, 1, 2, 5, 2);
        Mask mask = Mask.slidingWindow(3, 0);
        for (Attention a : List.of(
                new ScaledDotProductAttention().withSoftCap(0.8), new ChunkedAttention(2, 3).withSoftCap(0.8))) {
            AttentionGradients g = a.backward(q, k, v, mask, a.apply(q, k, v, mask), dO);
            FiniteDifferences.ScalarFunction f = in ->
                    FiniteDifferences.dot(a.apply(in[0], in[1], in[2], mask).output(), dO);
            FiniteDifferences.assertGradient(a + " dQ", g.query(), f, 0, q, k, v);
            FiniteDifferences.assertGradient(a + " dK", g.key(), f, 1, q, k, v);
            FiniteDifferences.assertGradient(a + " dV", g.value(), f, 2, q, k, v);
        }
    }

    @Test
    void nonFiniteInputsTakeTheExactPathWithTheCap() {
        // An infinite value at a blocked key sends the backward down the row-by-row path.
        Tensor q = random(13, 1, 5, 3);
        Tensor k = random(14, 1, 6, 3);
        Tensor finite = random(15, 1, 6, 2);
        Tensor v = finite.copy();
        v.set(Double.POSITIVE_INFINITY, 0, 5, 1);
        Tensor dO = BackwardChecks.gradOutput(16, 1, 5, 2);
        NaiveAttention.Spec spec = NaiveAttention.Spec.keyPadding(5);
        Mask mask = spec.toMask();
        for (Attention a : List.of(
                new ScaledDotProductAttention().withSoftCap(0.7), new ChunkedAttention(2, 2).withSoftCap(0.7))) {
            AttentionResult r = a.apply(q, k, v, mask);
            AttentionChecks.assertSame(a.toString(), NaiveAttention.attend(q, k, v, spec, Double.NaN, 0.7), r);
            // the blocked key's value cannot matter: the tiled path on finite values is the reference
            AttentionGradients expected = a.backward(q, k, finite, mask, a.apply(q, k, finite, mask), dO);
            BackwardChecks.assertSame(a.toString(), expected, a.backward(q, k, v, mask, r, dO), TOL);
        }
    }

    @Test
    void badCapsAreRefused() {
        for (double cap : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> new ScaledDotProductAttention().withSoftCap(cap))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("softCap");
            assertThatThrownBy(() -> new ChunkedAttention().withSoftCap(cap))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(String.valueOf(cap));
        }
        assertThat(new ChunkedAttention().withSoftCap(50).withParallelism(1).toString())
                .contains("softCap=50.0");
        assertThat(new ScaledDotProductAttention()
                        .withSoftCap(30)
                        .withScale(0.5)
                        .toString())
                .contains("softCap=30.0");
    }
}
