package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.TOL;
import static dev.heed.attention.AttentionChecks.random;

import dev.heed.attention.AttentionChecks.Layout;
import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every variant at once — grouped-query heads, a sliding window, ALiBi, a mask function, key
 * padding and a soft cap — on strided, transposed and broadcast views, forward and backward against
 * the naive reference in both kernels at odd tiles, and against finite differences.
 */
class CombinedVariantsTest {
    private static NaiveAttention.Spec everything(int S) {
        return NaiveAttention.Spec.slidingWindow(5, 1)
                .and(NaiveAttention.Spec.alibi(Mask.alibiSlopes(6)))
                .and(NaiveAttention.Spec.keyPadding(S, Math.max(1, S - 4)))
                .and(NaiveAttention.Spec.where((b, h, i, j) -> (i + j + b + h) % 5 != 3))
                .and(NaiveAttention.Spec.causal());
    }

    @ParameterizedTest(name = "L={0} S={1}")
    @CsvSource({"1, 1", "3, 7", "7, 3", "13, 13", "65, 66"})
    void gqaWindowAlibiWherePaddingAndSoftCapOnViews(int L, int S) {
        Tensor q = random(1, Layout.TRANSPOSED, 2, 6, L, 5);
        Tensor k = random(2, Layout.STEP_SLICED, 2, 2, S, 5); // 3 query heads per key head
        Tensor v = random(3, Layout.PERMUTED, 1, 3, S, 4); // 2 per value head, broadcast over the batch
        Tensor dO = BackwardChecks.gradOutput(4, 2, 6, L, 4);
        NaiveAttention.Spec spec = everything(S);
        Mask mask = spec.toMask();
        for (double cap : new double[] {0, 0.9}) {
            NaiveAttention.Result expected = NaiveAttention.attend(q, k, v, spec, Double.NaN, cap);
            NaiveBackward.Gradients expectedGrad = NaiveBackward.backward(q, k, v, spec, Double.NaN, cap, dO);
            List<Attention> kernels = List.of(
                    new ScaledDotProductAttention(),
                    new ChunkedAttention(),
                    new ChunkedAttention(1, 1),
                    new ChunkedAttention(3, 7),
                    new ChunkedAttention(7, 3));
            for (Attention base : kernels) {
                Attention a = cap == 0
                        ? base
                        : base instanceof ChunkedAttention c
                                ? c.withSoftCap(cap)
                                : ((ScaledDotProductAttention) base).withSoftCap(cap);
                String ctx = a + " " + mask + " L=" + L + " S=" + S;
                AttentionResult r = a.apply(q, k, v, mask);
                AttentionChecks.assertSame(ctx, expected, r);
                BackwardChecks.assertSame(ctx, expectedGrad, a.backward(q, k, v, mask, r, dO), TOL);
            }
        }
    }

    @Test
    void finiteDifferencesAgreeWithEverythingCombined() {
        Tensor q = random(5, 1, 4, 6, 3).map(x -> 2 * x);
        Tensor k = random(6, 1, 2, 7, 3);
        Tensor v = random(7, 1, 2, 7, 2);
        Tensor dO = BackwardChecks.gradOutput(8, 1, 4, 6, 2);
        Mask mask = Mask.slidingWindow(3, 0)
                .and(Mask.alibi(Mask.alibiSlopes(4)))
                .and(Mask.keyPadding(6))
                .and(Mask.where((b, h, i, j) -> (i + j + h) % 4 != 2));
        for (Attention a : List.of(
                new ScaledDotProductAttention().withSoftCap(1.2), new ChunkedAttention(2, 3).withSoftCap(1.2))) {
            AttentionGradients g = a.backward(q, k, v, mask, a.apply(q, k, v, mask), dO);
            FiniteDifferences.ScalarFunction f = in ->
                    FiniteDifferences.dot(a.apply(in[0], in[1], in[2], mask).output(), dO);
            FiniteDifferences.assertGradient(a + " dQ", g.query(), f, 0, q, k, v);
            FiniteDifferences.assertGradient(a + " dK", g.key(), f, 1, q, k, v);
            FiniteDifferences.assertGradient(a + " dV", g.value(), f, 2, q, k, v);
        }
    }
}
