package dev.heed.attention;

import static dev.heed.testing.ReferenceAssertions.assertMatches;

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
 * Heed's modern variants against PyTorch float64 ({@code variants.txt}, written by
 * {@code src/test/python/make_variant_fixtures.py}): grouped/multi-query heads via
 * {@code repeat_interleave}, FlashAttention's window and ALiBi definitions, Gemma 2's soft cap,
 * FlexAttention-style mask functions, each alone and combined, forward (output, weights,
 * log-sum-exp) and autograd's gradients, in the full kernel and in chunked kernels at odd tiles.
 */
class VariantFixturesTest {
    private static final double ABS = 1e-12;
    private static final double REL = 1e-11;

    static Stream<Arguments> cases() {
        return Fixtures.load("variants.txt").stream().map(c -> Arguments.of(Named.of(c.name(), c)));
    }

    /** The mask a case describes, built from Heed's public factories. */
    static Mask mask(Fixtures.Case c) {
        Mask m = Mask.none();
        if (c.string("causal").equals("true")) {
            m = m.and(Mask.causal());
        }
        if (c.hasTensor("alibi_slopes")) {
            m = m.and(Mask.alibi(c.tensor("alibi_slopes").copyOfData()));
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
        switch (c.string("where")) {
            case "documents" -> {
                int[] ends = c.ints("doc_ends");
                // every documents case has L == S: query i sits at position i
                m = m.and(Mask.where((b, h, i, j) -> doc(ends, i) == doc(ends, j) && j <= i));
            }
            case "prefix" -> {
                int prefix = c.intScalar("prefix");
                m = m.and(Mask.where((b, h, i, j) -> j < prefix || j <= i));
            }
            default -> {}
        }
        return m;
    }

    private static int doc(int[] ends, int position) {
        int d = 0;
        while (d < ends.length && ends[d] <= position) {
            d++;
        }
        return d;
    }

    private static Tensor tensor(Fixtures.Case c, String name) {
        Fixtures.TensorData t = c.tensor(name);
        return Tensor.of(t.copyOfData(), t.shape());
    }

    private static List<Attention> kernels(Fixtures.Case c) {
        double scale = c.scalar("scale");
        double cap = c.scalar("soft_cap");
        List<Attention> out = new ArrayList<>();
        ScaledDotProductAttention full = new ScaledDotProductAttention().withScale(scale);
        out.add(cap == 0 ? full : full.withSoftCap(cap));
        for (int[] chunks : new int[][] {{64, 64}, {1, 1}, {3, 7}, {7, 3}}) {
            ChunkedAttention a = new ChunkedAttention(chunks[0], chunks[1]).withScale(scale);
            out.add(cap == 0 ? a : a.withSoftCap(cap));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardAndGradientsEqualPyTorch(Fixtures.Case c) {
        Tensor q = tensor(c, "q");
        Tensor k = tensor(c, "k");
        Tensor v = tensor(c, "v");
        Tensor dO = tensor(c, "grad_out");
        Mask mask = mask(c);
        if (c.hasTensor("alibi_slopes") && c.tensor("alibi_slopes").data().length > 1) {
            // the script's slopes are the paper's get_slopes: Heed's own agree to its rounding
            double[] stored = c.tensor("alibi_slopes").data();
            assertMatches(
                    c.name() + " alibiSlopes",
                    stored,
                    new int[] {stored.length},
                    Tensor.of(Mask.alibiSlopes(stored.length), stored.length),
                    0,
                    1e-14);
        }
        for (Attention a : kernels(c)) {
            String ctx = c.name() + " " + a + " " + mask;
            AttentionResult r = a.apply(q, k, v, mask);
            assertMatches(ctx + " output", c.tensor("out"), r.output(), ABS, REL);
            assertMatches(ctx + " weights", c.tensor("weights"), r.weights(), ABS, REL);
            assertMatches(ctx + " logSumExp", c.tensor("lse"), r.logSumExp(), ABS, REL);
            AttentionGradients g = a.backward(q, k, v, mask, r, dO);
            assertMatches(ctx + " dQuery", c.tensor("dq"), g.query(), ABS, REL);
            assertMatches(ctx + " dKey", c.tensor("dk"), g.key(), ABS, REL);
            assertMatches(ctx + " dValue", c.tensor("dv"), g.value(), ABS, REL);
        }
    }
}
