package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.TOL;
import static dev.heed.attention.AttentionChecks.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.attention.AttentionChecks.Layout;
import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Grouped-query and multi-query attention: a key and value with fewer heads (axis -3) than the
 * query, query head h reading key/value head h / (Hq / Hkv). Checked against the naive reference
 * (which indexes the group itself), against plain attention over keys and values repeated per head
 * ({@code repeat_interleave}, what PyTorch's {@code enable_gqa} does), forward and backward, in every
 * kernel and tiling, over views, with finite differences, and bad head counts.
 */
class GroupedQueryAttentionTest {
    private static final int[] CHUNKS = {1, 3, 7, 64};

    /** {@code t [..., H, rows, cols]} with each head repeated {@code times} times in place: torch.repeat_interleave(t, times, dim=-3). */
    static Tensor repeatInterleave(Tensor t, int times) {
        int r = t.rank();
        int[] shape = t.shape();
        int[] wide = new int[r + 1];
        System.arraycopy(shape, 0, wide, 0, r - 2);
        wide[r - 2] = times;
        wide[r - 1] = shape[r - 2];
        wide[r] = shape[r - 1];
        int[] out = shape.clone();
        out[r - 3] *= times;
        return t.unsqueeze(-3).broadcastTo(wide).copy().reshape(out);
    }

    private static List<NaiveAttention.Spec> masks(int batch, int L, int S) {
        return List.of(
                NaiveAttention.Spec.none(),
                NaiveAttention.Spec.causal(),
                NaiveAttention.Spec.keyPadding(S, Math.max(0, S - 3)).and(NaiveAttention.Spec.causal()),
                // a bias per query head: it must see the query's head axis, not the key's
                NaiveAttention.Spec.bias(random(90, batch, 8, L, S)),
                NaiveAttention.Spec.allow(AttentionChecks.bits(91, 0.6, 1, 8, L, S)));
    }

    @ParameterizedTest(name = "Hkv={0} L={1} S={2}")
    @CsvSource({"2, 1, 1", "2, 3, 7", "4, 7, 3", "1, 13, 13", "2, 64, 65", "8, 5, 9"})
    void forwardEqualsTheNaiveReferenceInEveryKernel(int kvHeads, int L, int S) {
        Tensor q = random(1, 2, 8, L, 5);
        Tensor k = random(2, 2, kvHeads, S, 5);
        Tensor v = random(3, 2, kvHeads, S, 3);
        for (NaiveAttention.Spec mask : masks(2, L, S)) {
            for (AttentionChecks.Kernel kernel : AttentionChecks.kernels()) {
                AttentionChecks.checkAgainstNaive(
                        "GQA 8/" + kvHeads + " L=" + L + " S=" + S + " " + kernel,
                        kernel.attention(),
                        q,
                        k,
                        v,
                        mask,
                        Double.NaN);
            }
        }
    }

    @Test
    void equalsAttentionOverRepeatedKeysAndValuesBitForBit() {
        // Same offsets into equal data: every product and sum is the same, so the results are identical.
        Tensor q = random(4, 3, 6, 11, 8);
        Tensor k = random(5, 3, 2, 13, 8);
        Tensor v = random(6, 3, 2, 13, 4);
        Tensor kr = repeatInterleave(k, 3);
        Tensor vr = repeatInterleave(v, 3);
        for (Attention a :
                List.of(new ScaledDotProductAttention(), new ChunkedAttention(3, 7), new SimpleAttention())) {
            for (Mask mask : List.of(Mask.none(), Mask.causal(), Mask.keyPadding(5, 13, 0))) {
                AttentionResult grouped = a.apply(q, k, v, mask);
                AttentionResult repeated = a.apply(q, kr, vr, mask);
                AttentionChecks.assertBitwise(a + " " + mask + " output", repeated.output(), grouped.output());
                AttentionChecks.assertBitwise(a + " " + mask + " lse", repeated.logSumExp(), grouped.logSumExp());
                AttentionChecks.assertBitwise(a + " " + mask + " weights", repeated.weights(), grouped.weights());
            }
        }
    }

    @Test
    void keyAndValueMayBeGroupedDifferentlyAndBroadcastOverTheBatch() {
        // key [4 heads] of rank 3 serves every batch element; value has all 8 heads; the query is a view.
        Tensor q = random(7, Layout.TRANSPOSED, 2, 8, 9, 4);
        Tensor k = random(8, Layout.STEP_SLICED, 4, 10, 4);
        Tensor v = random(9, Layout.PERMUTED, 2, 8, 10, 3);
        Tensor k1 = random(10, 1, 1, 10, 4); // multi-query attention: one head, broadcast as before
        for (AttentionChecks.Kernel kernel : AttentionChecks.fewKernels()) {
            AttentionChecks.checkAgainstNaive(
                    "k grouped, v full " + kernel,
                    kernel.attention(),
                    q,
                    k,
                    v,
                    NaiveAttention.Spec.causal(),
                    Double.NaN);
            AttentionChecks.checkAgainstNaive(
                    "multi-query " + kernel, kernel.attention(), q, k1, v, NaiveAttention.Spec.none(), Double.NaN);
        }
    }

    @ParameterizedTest(name = "Hkv={0} L={1} S={2}")
    @CsvSource({"2, 1, 1", "2, 3, 7", "4, 7, 3", "1, 13, 13", "2, 65, 64"})
    void backwardEqualsTheNaiveReferenceAndSumsEachGroupIntoItsHead(int kvHeads, int L, int S) {
        Tensor q = random(11, 2, 8, L, 5);
        Tensor k = random(12, 2, kvHeads, S, 5);
        Tensor v = random(13, 2, kvHeads, S, 3);
        Tensor dO = BackwardChecks.gradOutput(14, 2, 8, L, 3);
        for (NaiveAttention.Spec mask : masks(2, L, S)) {
            for (BackwardChecks.Kernel kernel : BackwardChecks.kernels(Double.NaN)) {
                AttentionGradients g = BackwardChecks.checkAgainstNaive(
                        "GQA 8/" + kvHeads + " L=" + L + " S=" + S, kernel, q, k, v, mask, dO, TOL);
                assertThat(g.key().shape()).containsExactly(k.shape());
                assertThat(g.value().shape()).containsExactly(v.shape());
            }
        }
    }

    @Test
    void backwardEqualsTheRepeatedKeysGradientSummedOverEachGroup() {
        Tensor q = random(15, 2, 6, 9, 4);
        Tensor k = random(16, 2, 3, 12, 4);
        Tensor v = random(17, 2, 3, 12, 5);
        Tensor dO = BackwardChecks.gradOutput(18, 2, 6, 9, 5);
        Tensor kr = repeatInterleave(k, 2);
        Tensor vr = repeatInterleave(v, 2);
        for (Attention a : List.of(new ScaledDotProductAttention(), new ChunkedAttention(7, 3))) {
            Mask mask = Mask.causal().and(Mask.keyPadding(12, 5));
            AttentionGradients grouped = a.backward(q, k, v, mask, a.apply(q, k, v, mask), dO);
            AttentionGradients repeated = a.backward(q, kr, vr, mask, a.apply(q, kr, vr, mask), dO);
            AttentionChecks.assertBitwise(a + " dQ", repeated.query(), grouped.query());
            // Each key head's gradient is its two query heads' gradients added in head order.
            Tensor dk = repeated.key().reshape(2, 3, 2, 12, 4);
            Tensor dv = repeated.value().reshape(2, 3, 2, 12, 5);
            AttentionChecks.assertBitwise(a + " dK", dk.select(2, 0).add(dk.select(2, 1)), grouped.key());
            AttentionChecks.assertBitwise(a + " dV", dv.select(2, 0).add(dv.select(2, 1)), grouped.value());
        }
    }

    @Test
    void chunkedEqualsFullAtOddTiles() {
        Tensor q = random(19, 1, 4, 13, 6);
        Tensor k = random(20, 1, 2, 17, 6);
        Tensor v = random(21, 1, 2, 17, 3);
        Tensor dO = BackwardChecks.gradOutput(22, 1, 4, 13, 3);
        ScaledDotProductAttention full = new ScaledDotProductAttention();
        Mask mask = Mask.causal();
        AttentionResult expected = full.apply(q, k, v, mask);
        AttentionGradients expectedGrad = full.backward(q, k, v, mask, expected, dO);
        for (int qc : CHUNKS) {
            for (int kc : CHUNKS) {
                ChunkedAttention c = new ChunkedAttention(qc, kc);
                AttentionResult r = c.apply(q, k, v, mask);
                String ctx = "chunks " + qc + "x" + kc;
                AttentionChecks.assertClose(
                        ctx + " output",
                        expected.output().toArray(),
                        expected.output().shape(),
                        r.output(),
                        TOL);
                BackwardChecks.assertSame(ctx, expectedGrad, c.backward(q, k, v, mask, r, dO), TOL);
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Tensor q = random(23, 1, 4, 5, 3);
        Tensor k = random(24, 1, 2, 6, 3);
        Tensor v = random(25, 1, 2, 6, 2);
        Tensor dO = BackwardChecks.gradOutput(26, 1, 4, 5, 2);
        Mask mask = Mask.causal();
        for (Attention a : List.of(new ScaledDotProductAttention(), new ChunkedAttention(2, 3))) {
            AttentionGradients g = a.backward(q, k, v, mask, a.apply(q, k, v, mask), dO);
            FiniteDifferences.ScalarFunction f = in ->
                    FiniteDifferences.dot(a.apply(in[0], in[1], in[2], mask).output(), dO);
            FiniteDifferences.assertGradient(a + " dQ", g.query(), f, 0, q, k, v);
            FiniteDifferences.assertGradient(a + " dK", g.key(), f, 1, q, k, v);
            FiniteDifferences.assertGradient(a + " dV", g.value(), f, 2, q, k, v);
        }
    }

    @Test
    void headCountsThatDoNotDivideAreRefusedByName() {
        Tensor q = random(27, 2, 8, 3, 4);
        Tensor v8 = random(28, 2, 8, 5, 4);
        for (Attention a : List.of(new ScaledDotProductAttention(), new ChunkedAttention())) {
            assertThatThrownBy(() -> a.apply(q, random(29, 2, 3, 5, 4), v8, Mask.none()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("key has 3 heads")
                    .hasMessageContaining("query 8")
                    .hasMessageContaining("[2, 3, 5, 4]");
            assertThatThrownBy(() -> a.apply(q, random(30, 2, 16, 5, 4), random(31, 2, 16, 5, 4), Mask.none()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("key has 16 heads");
            assertThatThrownBy(() -> a.apply(q, random(32, 2, 4, 5, 4), random(33, 2, 5, 5, 4), Mask.none()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("value has 5 heads");
        }
    }
}
