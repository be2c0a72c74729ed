package dev.heed.attention;

import static dev.heed.testing.ReferenceAssertions.assertMatches;
import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.tensor.Tensor;
import dev.heed.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Score functions against PyTorch float64 ({@code score_functions.txt}, written by
 * {@code src/test/python/make_score_fixtures.py}): Hugging Face T5's {@code _relative_position_bucket} over every
 * relative position up to past the last bucket, and attention with FlexAttention-style {@code score_mod}s — T5's bias,
 * a table bias by any index, a function without parameters — alone and with causal, window, grouped heads, soft cap
 * and padding; forward and autograd's gradients of q, k, v and the table, in the full kernel and in chunked kernels at
 * odd tiles.
 */
class ScoreFunctionFixturesTest {
    private static final double ABS = 1e-12;
    private static final double REL = 1e-11;

    static Stream<Arguments> buckets() {
        return Fixtures.load("score_functions.txt").stream()
                .filter(c -> c.string("kind").equals("buckets"))
                .map(c -> Arguments.of(Named.of(c.name(), c)));
    }

    static Stream<Arguments> attention() {
        return Fixtures.load("score_functions.txt").stream()
                .filter(c -> !c.string("kind").equals("buckets"))
                .map(c -> Arguments.of(Named.of(c.name(), c)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("buckets")
    void bucketsEqualHuggingFace(Fixtures.Case c) {
        boolean bidirectional = c.string("bidirectional").equals("true");
        int numBuckets = c.ints("num_buckets")[0];
        int maxDistance = c.ints("max_distance")[0];
        int from = c.ints("positions")[0];
        int to = c.ints("positions")[1];
        int[] expected = c.ints("buckets");
        assertThat(expected).hasSize(to - from + 1);
        int[] actual = new int[expected.length];
        for (int rel = from; rel <= to; rel++) {
            actual[rel - from] = ScoreFunction.relativePositionBucket(rel, bidirectional, numBuckets, maxDistance);
        }
        assertThat(actual).as(c.name()).containsExactly(expected);
    }

    private static Tensor tensor(Fixtures.Case c, String name) {
        Fixtures.TensorData t = c.tensor(name);
        return Tensor.of(t.copyOfData(), t.shape());
    }

    static Mask mask(Fixtures.Case c) {
        Mask m = Mask.none();
        if (c.string("causal").equals("true")) {
            m = m.and(Mask.causal());
        }
        try {
            int[] w = c.ints("window");
            m = m.and(Mask.slidingWindow(w[0], w[1]));
        } catch (IllegalArgumentException absent) {
            // no window in this case
        }
        try {
            m = m.and(Mask.keyPadding(c.ints("key_padding")));
        } catch (IllegalArgumentException absent) {
            // no padding in this case
        }
        return m;
    }

    /** The case's score function, from Heed's public factories; {@code table} is the tensor it reads. */
    static ScoreFunction function(Fixtures.Case c, Tensor table) {
        switch (c.string("kind")) {
            case "t5":
                return ScoreFunction.relativePositionBias(
                        table,
                        c.string("bidirectional").equals("true"),
                        c.ints("num_buckets")[0],
                        c.ints("max_distance")[0]);
            case "bias":
                int[] m = c.ints("index_mul");
                int n = table.size();
                return ScoreFunction.bias(table, (b, h, i, j) -> (m[0] * i + m[1] * j + m[2] * h) % n);
            default:
                return ScoreFunction.of(
                        (b, h, i, j, s) -> 2.0 * Math.tanh(s / 2.0) + 0.1 * (h + 1) * Math.cos(i - j) + 0.05 * b,
                        (b, h, i, j, s) -> {
                            double t = Math.tanh(s / 2.0);
                            return 1 - t * t;
                        });
        }
    }

    private static List<Attention> kernels(Fixtures.Case c, ScoreFunction fn) {
        double scale = c.scalar("scale");
        double cap = c.scalar("soft_cap");
        List<Attention> out = new ArrayList<>();
        ScaledDotProductAttention full =
                new ScaledDotProductAttention().withScale(scale).withScoreFunction(fn);
        out.add(cap == 0 ? full : full.withSoftCap(cap));
        for (int[] chunks : new int[][] {{64, 64}, {1, 1}, {3, 7}, {7, 3}}) {
            ChunkedAttention a =
                    new ChunkedAttention(chunks[0], chunks[1]).withScale(scale).withScoreFunction(fn);
            out.add(cap == 0 ? a : a.withSoftCap(cap));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attention")
    void forwardAndGradientsEqualPyTorch(Fixtures.Case c) {
        Tensor q = tensor(c, "q");
        Tensor k = tensor(c, "k");
        Tensor v = tensor(c, "v");
        Tensor dO = tensor(c, "grad_out");
        Tensor table = c.hasTensor("table") ? tensor(c, "table") : null;
        Mask mask = mask(c);
        for (Attention a : kernels(c, function(c, table))) {
            String ctx = c.name() + " " + a + " " + mask;
            AttentionResult r = a.apply(q, k, v, mask);
            assertMatches(ctx + " output", c.tensor("out"), r.output(), ABS, REL);
            assertMatches(ctx + " weights", c.tensor("weights"), r.weights(), ABS, REL);
            assertMatches(ctx + " logSumExp", c.tensor("lse"), r.logSumExp(), ABS, REL);
            AttentionGradients g = a.backward(q, k, v, mask, r, dO);
            assertMatches(ctx + " dQuery", c.tensor("dq"), g.query(), ABS, REL);
            assertMatches(ctx + " dKey", c.tensor("dk"), g.key(), ABS, REL);
            assertMatches(ctx + " dValue", c.tensor("dv"), g.value(), ABS, REL);
            if (table == null) {
                assertThat(g.scoreParameters()).as(ctx).isEmpty();
            } else {
                assertThat(g.scoreParameters()).as(ctx).hasSize(1);
                assertMatches(
                        ctx + " dTable", c.tensor("dtable"), g.scoreParameters().get(0), ABS, REL);
            }
        }
    }
}
