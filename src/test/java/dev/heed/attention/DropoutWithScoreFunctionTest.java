package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.TOL;
import static dev.heed.attention.AttentionChecks.random;
import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Dropout and a score function in one call, with a soft cap, grouped-query heads and a window: the
 * two were built side by side on the same kernel hooks, so here they meet. Full against chunked at
 * odd tiles (outputs, weights, every gradient and the table's), bitwise for any thread count, and
 * finite differences of q, k, v and the table with the keep mask fixed by the seed.
 */
class DropoutWithScoreFunctionTest {
    private static final Mask MASK = Mask.slidingWindow(5, 0).and(Mask.keyPadding(17, 11));

    private static List<Function<ScoreFunction, Attention>> kernels() {
        return List.of(
                fn -> new ScaledDotProductAttention()
                        .withSoftCap(3.0)
                        .withDropout(0.3, 41)
                        .withScoreFunction(fn),
                fn -> new ChunkedAttention(3, 5)
                        .withSoftCap(3.0)
                        .withDropout(0.3, 41)
                        .withScoreFunction(fn),
                fn -> new ChunkedAttention(7, 1)
                        .withScoreFunction(fn)
                        .withDropout(0.3, 41)
                        .withSoftCap(3.0));
    }

    @Test
    void kernelsAgreeAndThreadsDoNotMatter() {
        // [B=2, Hq=4, L=13, d=6] over Hkv = 2 key/value heads, S = 17 keys.
        Tensor q = random(1, 2, 4, 13, 6).map(x -> 1.5 * x);
        Tensor k = random(2, 2, 2, 17, 6);
        Tensor v = random(3, 2, 2, 17, 5);
        Tensor dO = BackwardChecks.gradOutput(4, 2, 4, 13, 5);
        Tensor table = random(5, 4, 8);
        ScoreFunction fn = ScoreFunction.relativePositionBias(table, false, 8, 20);
        AttentionResult expected = null;
        AttentionGradients expectedGrad = null;
        for (Function<ScoreFunction, Attention> kernel : kernels()) {
            Attention a = kernel.apply(fn);
            AttentionResult r = a.apply(q, k, v, MASK);
            AttentionGradients g = a.backward(q, k, v, MASK, r, dO);
            assertThat(g.scoreParameters()).as(a.toString()).hasSize(1);
            assertThat(g.scoreParameters().get(0).shape()).containsExactly(4, 8);
            if (expected == null) {
                expected = r;
                expectedGrad = g;
                // some weights were dropped, some kept and rescaled
                long dropped = 0;
                for (double w : r.weights().toArray()) {
                    dropped += w == 0 ? 1 : 0;
                }
                assertThat(dropped).isGreaterThan(0);
                continue;
            }
            assertClose(a + " output", expected.output(), r.output());
            assertClose(a + " weights", expected.weights(), r.weights());
            BackwardChecks.assertSame(a.toString(), expectedGrad, g, TOL);
            assertClose(
                    a + " dTable",
                    expectedGrad.scoreParameters().get(0),
                    g.scoreParameters().get(0));
        }
        for (int threads : new int[] {2, 3}) {
            ChunkedAttention one = new ChunkedAttention(3, 5)
                    .withSoftCap(3.0)
                    .withDropout(0.3, 41)
                    .withScoreFunction(fn)
                    .withParallelism(1);
            ChunkedAttention many = one.withParallelism(threads);
            AttentionResult r1 = one.apply(q, k, v, MASK);
            AttentionResult rn = many.apply(q, k, v, MASK);
            AttentionChecks.assertBitwise("output on " + threads, r1.output(), rn.output());
            AttentionGradients g1 = one.backward(q, k, v, MASK, r1, dO);
            AttentionGradients gn = many.backward(q, k, v, MASK, rn, dO);
            BackwardChecks.assertBitwise("on " + threads + " threads", g1, gn);
            AttentionChecks.assertBitwise(
                    "dTable on " + threads,
                    g1.scoreParameters().get(0),
                    gn.scoreParameters().get(0));
        }
    }

    private static void assertClose(String context, Tensor expected, Tensor actual) {
        AttentionChecks.assertClose(context, expected.toArray(), expected.shape(), actual, TOL);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Tensor q = random(11, 1, 2, 7, 3).map(x -> 2 * x);
        Tensor k = random(12, 1, 1, 9, 3);
        Tensor v = random(13, 1, 1, 9, 2);
        Tensor table = random(14, 2, 6);
        Tensor dO = BackwardChecks.gradOutput(15, 1, 2, 7, 2);
        Mask mask = Mask.slidingWindow(4, 1);
        for (Function<ScoreFunction, Attention> kernel : kernels()) {
            Attention a = kernel.apply(ScoreFunction.relativePositionBias(table, true, 6, 3));
            AttentionGradients g = a.backward(q, k, v, mask, a.apply(q, k, v, mask), dO);
            FiniteDifferences.ScalarFunction f = in -> FiniteDifferences.dot(
                    kernel.apply(ScoreFunction.relativePositionBias(in[3], true, 6, 3))
                            .apply(in[0], in[1], in[2], mask)
                            .output(),
                    dO);
            FiniteDifferences.assertGradient(a + " dQ", g.query(), f, 0, q, k, v, table);
            FiniteDifferences.assertGradient(a + " dK", g.key(), f, 1, q, k, v, table);
            FiniteDifferences.assertGradient(a + " dV", g.value(), f, 2, q, k, v, table);
            FiniteDifferences.assertGradient(a + " dTable", g.scoreParameters().get(0), f, 3, q, k, v, table);
        }
    }
}
