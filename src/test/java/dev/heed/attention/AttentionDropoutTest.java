package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.assertBitwise;
import static dev.heed.attention.AttentionChecks.assertClose;
import static dev.heed.attention.AttentionChecks.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.attention.AttentionChecks.Layout;
import dev.heed.attention.BackwardChecks.NamedMask;
import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.VectorizationProvider;
import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Dropout on the attention weights ({@code withDropout}) in both kernels against {@link NaiveDropout},
 * the slow twin with a generator of its own: forward (output, dropped weights, undropped
 * log-sum-exp) and gradients over every mask kind, odd sizes and odd tiles; the keep mask bitwise the
 * same in every kernel, tiling, thread count and support; finite differences with the mask fixed by
 * the seed; {@code p = 0} exactly no dropout.
 */
class AttentionDropoutTest {
    private static final double P = 0.3;
    private static final long SEED = 0x5eedL;

    /** The full kernel and the chunked one at odd tiles (1, 3, 7, 64), all with the same dropout. */
    private static List<Attention> kernels(double p, long seed, double scale, double softCap) {
        List<Attention> out = new ArrayList<>();
        ScaledDotProductAttention full = new ScaledDotProductAttention().withDropout(p, seed);
        full = Double.isNaN(scale) ? full : full.withScale(scale);
        out.add(softCap == 0 ? full : full.withSoftCap(softCap));
        for (int[] c : new int[][] {{1, 1}, {3, 7}, {7, 3}, {64, 64}, {1, 64}}) {
            ChunkedAttention a = new ChunkedAttention(c[0], c[1]).withDropout(p, seed);
            a = Double.isNaN(scale) ? a : a.withScale(scale);
            out.add(softCap == 0 ? a : a.withSoftCap(softCap));
        }
        return out;
    }

    /** A kernel's forward and backward against the twin's; the keep mask (the weights' zero pattern) bitwise. */
    private static void check(
            String ctx, Attention a, Tensor q, Tensor k, Tensor v, Mask mask, Tensor dO, NaiveDropout.Result e) {
        AttentionResult r = a.apply(q, k, v, mask);
        String c = ctx + " " + a;
        assertClose(c + " output", e.output(), r.output().shape(), r.output());
        assertClose(c + " logSumExp", e.logSumExp(), r.logSumExp().shape(), r.logSumExp());
        double[] w = r.weights().toArray();
        assertClose(c + " weights", e.weights(), r.weights().shape(), r.weights());
        for (int x = 0; x < w.length; x++) {
            assertThat(w[x] == 0).as("%s: weight %d dropped or blocked", c, x).isEqualTo(e.weights()[x] == 0);
        }
        AttentionGradients g = a.backward(q, k, v, mask, r, dO);
        assertClose(c + " dQuery", e.query(), q.shape(), g.query());
        assertClose(c + " dKey", e.key(), k.shape(), g.key());
        assertClose(c + " dValue", e.value(), v.shape(), g.value());
    }

    @ParameterizedTest(name = "L={0} S={1} d={2} dv={3}")
    @CsvSource({"1, 1, 1, 1", "3, 7, 5, 2", "7, 3, 4, 4", "13, 13, 8, 9", "65, 64, 6, 5"})
    void equalsTheNaiveTwinForEveryMaskKind(int L, int S, int d, int dv) {
        Tensor q = random(1, 2, L, d);
        Tensor k = random(2, 2, S, d);
        Tensor v = random(3, 2, S, dv);
        Tensor dO = random(4, 2, L, dv);
        for (NamedMask m : BackwardChecks.masks(L, S)) {
            NaiveDropout.Result e = NaiveDropout.attend(q, k, v, m.spec(), Double.NaN, 0.0, P, SEED, dO);
            for (Attention a : kernels(P, SEED, Double.NaN, 0.0)) {
                check(m.name(), a, q, k, v, m.mask(), dO, e);
            }
        }
    }

    @Test
    void headsAndBatchesAreMaskWheresWithWindowsAlibiSoftCapAndStridedInputs() {
        // [2, 3, L, d]: batch on axis 0, head on axis -3, so every (batch, head) draws its own mask.
        int L = 9;
        int S = 11;
        Tensor q = random(5, Layout.TRANSPOSED, 2, 3, L, 4);
        Tensor k = random(6, Layout.STEP_SLICED, 2, 3, S, 4);
        Tensor v = random(7, Layout.PERMUTED, 1, 3, S, 3); // broadcast over the batch
        Tensor dO = random(8, 2, 3, L, 3);
        List<NaiveAttention.Spec> specs = List.of(
                NaiveAttention.Spec.causal(),
                NaiveAttention.Spec.slidingWindow(3, 1),
                NaiveAttention.Spec.alibi(0.5, 0.25, 0.125).and(NaiveAttention.Spec.causal()),
                NaiveAttention.Spec.where((b, h, i, j) -> (j + h + b) % 3 != 0 && j <= i + 2));
        for (NaiveAttention.Spec spec : specs) {
            for (double cap : new double[] {0.0, 1.5}) {
                NaiveDropout.Result e = NaiveDropout.attend(q, k, v, spec, 0.7, cap, 0.5, 42, dO);
                for (Attention a : kernels(0.5, 42, 0.7, cap)) {
                    check(spec + " cap=" + cap, a, q, k, v, spec.toMask(), dO, e);
                }
            }
        }
    }

    @Test
    void groupedQueryHeadsDropByQueryHead() {
        // 4 query heads over 2 key/value heads: the mask is keyed by the query head (the scores' axis -3).
        Tensor q = random(9, 2, 4, 6, 3);
        Tensor k = random(10, 2, 2, 7, 3);
        Tensor v = random(11, 2, 2, 7, 2);
        Tensor dO = random(12, 2, 4, 6, 2);
        Tensor kr = repeatHeads(k, 2);
        Tensor vr = repeatHeads(v, 2);
        Mask causal = Mask.causal();
        for (Attention a : kernels(0.4, 7, Double.NaN, 0.0)) {
            AttentionResult grouped = a.apply(q, k, v, causal);
            AttentionResult repeated = a.apply(q, kr, vr, causal);
            assertBitwise(a + " weights", repeated.weights(), grouped.weights());
            assertClose(
                    a + " output",
                    repeated.output().toArray(),
                    repeated.output().shape(),
                    grouped.output(),
                    1e-14);
            AttentionGradients g = a.backward(q, k, v, causal, grouped, dO);
            AttentionGradients gr = a.backward(q, kr, vr, causal, repeated, dO);
            assertClose(a + " dQuery", gr.query().toArray(), q.shape(), g.query(), 1e-13);
            assertClose(a + " dKey", sumHeads(gr.key(), 2).toArray(), k.shape(), g.key(), 1e-13);
            assertClose(a + " dValue", sumHeads(gr.value(), 2).toArray(), v.shape(), g.value(), 1e-13);
        }
    }

    /** {@code [B, H, n, c]} → {@code [B, H·group, n, c]}: head h copied to heads h·group … h·group + group − 1. */
    private static Tensor repeatHeads(Tensor t, int group) {
        int[] s = t.shape();
        Tensor out = Tensor.zeros(s[0], s[1] * group, s[2], s[3]);
        for (int b = 0; b < s[0]; b++) {
            for (int h = 0; h < s[1] * group; h++) {
                for (int i = 0; i < s[2]; i++) {
                    for (int c = 0; c < s[3]; c++) {
                        out.set(t.get(b, h / group, i, c), b, h, i, c);
                    }
                }
            }
        }
        return out;
    }

    /** The inverse of {@link #repeatHeads} for gradients: each group of heads summed. */
    private static Tensor sumHeads(Tensor t, int group) {
        int[] s = t.shape();
        Tensor out = Tensor.zeros(s[0], s[1] / group, s[2], s[3]);
        for (int b = 0; b < s[0]; b++) {
            for (int h = 0; h < s[1]; h++) {
                for (int i = 0; i < s[2]; i++) {
                    for (int c = 0; c < s[3]; c++) {
                        out.set(out.get(b, h / group, i, c) + t.get(b, h, i, c), b, h / group, i, c);
                    }
                }
            }
        }
        return out;
    }

    @ParameterizedTest(name = "L={0} S={1}")
    @CsvSource({"257, 257", "64, 257", "257, 65"})
    void fullAndChunkedAgreeAtLargerSizesWithTheSameKeepMask(int L, int S) {
        Tensor q = random(13, 2, L, 16);
        Tensor k = random(14, 2, S, 16);
        Tensor v = random(15, 2, S, 8);
        Tensor dO = random(16, 2, L, 8);
        for (Mask mask : new Mask[] {Mask.none(), Mask.causal(), Mask.slidingWindow(40, 0)}) {
            Attention full = new ScaledDotProductAttention().withDropout(0.2, 99);
            AttentionResult fr = full.apply(q, k, v, mask);
            AttentionGradients fg = full.backward(q, k, v, mask, fr, dO);
            for (Attention a : new Attention[] {
                new ChunkedAttention().withDropout(0.2, 99), new ChunkedAttention(7, 3).withDropout(0.2, 99)
            }) {
                AttentionResult r = a.apply(q, k, v, mask);
                assertBitwise(a + " " + mask + " weights", fr.weights(), r.weights());
                assertClose(a + " output", fr.output().toArray(), fr.output().shape(), r.output());
                assertClose(
                        a + " logSumExp",
                        fr.logSumExp().toArray(),
                        fr.logSumExp().shape(),
                        r.logSumExp());
                BackwardChecks.assertSame(a + " " + mask, fg, a.backward(q, k, v, mask, r, dO), 1e-12);
            }
        }
    }

    @Test
    void bitwiseTheSameForOneTwoOrThreeThreads() {
        Tensor q = random(17, 3, 130, 8);
        Tensor k = random(18, 3, 150, 8);
        Tensor v = random(19, 3, 150, 5);
        Tensor dO = random(20, 3, 130, 5);
        Mask mask = Mask.causal();
        Attention[][] kernels = {
            {
                new ScaledDotProductAttention().withDropout(P, SEED).withParallelism(1),
                new ScaledDotProductAttention().withDropout(P, SEED).withParallelism(2),
                new ScaledDotProductAttention().withParallelism(3).withDropout(P, SEED)
            },
            {
                new ChunkedAttention(16, 16).withDropout(P, SEED).withParallelism(1),
                new ChunkedAttention(16, 16).withDropout(P, SEED).withParallelism(2),
                new ChunkedAttention(16, 16).withParallelism(3).withDropout(P, SEED)
            }
        };
        for (Attention[] same : kernels) {
            AttentionResult r1 = same[0].apply(q, k, v, mask);
            AttentionGradients g1 = same[0].backward(q, k, v, mask, r1, dO);
            for (int t = 1; t < same.length; t++) {
                AttentionResult r = same[t].apply(q, k, v, mask);
                assertBitwise(same[t] + " output", r1.output(), r.output());
                assertBitwise(same[t] + " weights", r1.weights(), r.weights());
                BackwardChecks.assertBitwise(same[t].toString(), g1, same[t].backward(q, k, v, mask, r, dO));
            }
        }
    }

    @Test
    void vectorAndScalarSupportsDropTheSameWeights() {
        KernelSupport scalar = VectorizationProvider.scalar();
        KernelSupport fast = VectorizationProvider.support(); // the vector one when enabled
        Tensor q = random(21, 2, 70, 13);
        Tensor k = random(22, 2, 67, 13);
        Tensor v = random(23, 2, 67, 9);
        Tensor dO = random(24, 2, 70, 9);
        Mask mask = Mask.causal().and(Mask.keyPadding(67, 30));
        Attention[][] pairs = {
            {
                new ScaledDotProductAttention().withDropout(P, SEED).withSupport(scalar),
                new ScaledDotProductAttention().withDropout(P, SEED).withSupport(fast)
            },
            {
                new ChunkedAttention(7, 5).withDropout(P, SEED).withSupport(scalar),
                new ChunkedAttention(7, 5).withDropout(P, SEED).withSupport(fast)
            }
        };
        for (Attention[] pair : pairs) {
            AttentionResult slow = pair[0].apply(q, k, v, mask);
            AttentionResult quick = pair[1].apply(q, k, v, mask);
            double[] ws = slow.weights().toArray();
            double[] wq = quick.weights().toArray();
            for (int x = 0; x < ws.length; x++) {
                assertThat(wq[x] == 0).as("%s weight %d", pair[1], x).isEqualTo(ws[x] == 0);
            }
            assertClose(
                    pair[1] + " output", slow.output().toArray(), slow.output().shape(), quick.output());
            BackwardChecks.assertSame(
                    pair[1].toString(),
                    pair[0].backward(q, k, v, mask, slow, dO),
                    pair[1].backward(q, k, v, mask, quick, dO),
                    1e-12);
        }
    }

    @Test
    void finiteDifferencesWithTheMaskFixedBySeed() {
        Tensor q = random(25, 2, 5, 3);
        Tensor k = random(26, 2, 6, 3);
        Tensor v = random(27, 2, 6, 4);
        Tensor dO = random(28, 2, 5, 4);
        for (Mask mask : new Mask[] {Mask.none(), Mask.causal()}) {
            for (Attention a : new Attention[] {
                new ScaledDotProductAttention().withDropout(0.5, 3).withSoftCap(2.0),
                new ChunkedAttention(2, 3).withDropout(0.5, 3),
                new ChunkedAttention(3, 2).withDropout(0.5, 3).withSoftCap(2.0)
            }) {
                AttentionGradients g = a.backward(q, k, v, mask, a.apply(q, k, v, mask), dO);
                FiniteDifferences.ScalarFunction f = in ->
                        FiniteDifferences.dot(a.apply(in[0], in[1], in[2], mask).output(), dO);
                String ctx = a + " " + mask;
                FiniteDifferences.assertGradient(ctx + " dQuery", g.query(), f, 0, q, k, v);
                FiniteDifferences.assertGradient(ctx + " dKey", g.key(), f, 1, q, k, v);
                FiniteDifferences.assertGradient(ctx + " dValue", g.value(), f, 2, q, k, v);
            }
        }
    }

    @Test
    void infiniteValuesTakeTheExactPathsWithTheSameMask() {
        // An infinity in a value no query may see (key padding) sends forward and backward to the row-by-row
        // kernels: they must drop the same weights as the tiled ones and the twin.
        int L = 6;
        int S = 9;
        Tensor q = random(29, 2, L, 4);
        Tensor k = random(30, 2, S, 4);
        Tensor v = random(31, 2, S, 3);
        Tensor dO = random(32, 2, L, 3);
        Tensor vInf = v.copy();
        vInf.set(Double.POSITIVE_INFINITY, 1, S - 1, 2);
        NaiveAttention.Spec spec = NaiveAttention.Spec.keyPadding(S - 1).and(NaiveAttention.Spec.causal());
        NaiveDropout.Result e = NaiveDropout.attend(q, k, v, spec, Double.NaN, 0.0, P, SEED, dO);
        for (Attention a : kernels(P, SEED, Double.NaN, 0.0)) {
            AttentionResult r = a.apply(q, k, vInf, spec.toMask());
            assertClose(a + " output", e.output(), r.output().shape(), r.output());
            assertClose(a + " weights", e.weights(), r.weights().shape(), r.weights());
            AttentionGradients g = a.backward(q, k, vInf, spec.toMask(), r, dO);
            assertClose(a + " dQuery", e.query(), q.shape(), g.query());
            assertClose(a + " dKey", e.key(), k.shape(), g.key());
            assertClose(a + " dValue", e.value(), v.shape(), g.value());
        }
    }

    @Test
    void zeroIsExactlyNoDropout() {
        Tensor q = random(33, 2, 20, 6);
        Tensor k = random(34, 2, 23, 6);
        Tensor v = random(35, 2, 23, 4);
        Tensor dO = random(36, 2, 20, 4);
        Attention[][] pairs = {
            {new ScaledDotProductAttention(), new ScaledDotProductAttention().withDropout(0.0, 5)},
            {new ChunkedAttention(7, 5), new ChunkedAttention(7, 5).withDropout(0.0, 5)},
            {
                new ChunkedAttention(7, 5),
                new ChunkedAttention(7, 5).withDropout(0.5, 5).withDropout(0.0, 5)
            }
        };
        for (Attention[] pair : pairs) {
            AttentionResult plain = pair[0].apply(q, k, v, Mask.causal());
            AttentionResult zero = pair[1].apply(q, k, v, Mask.causal());
            assertBitwise(pair[1] + " output", plain.output(), zero.output());
            assertBitwise(pair[1] + " weights", plain.weights(), zero.weights());
            BackwardChecks.assertBitwise(
                    pair[1].toString(),
                    pair[0].backward(q, k, v, Mask.causal(), plain, dO),
                    pair[1].backward(q, k, v, Mask.causal(), zero, dO));
            assertThat(pair[1].toString()).doesNotContain("dropout");
        }
    }

    @Test
    void seedsDrawDifferentMasksAndTheRateIsRespected() {
        Tensor q = random(37, 4, 64, 4);
        Tensor k = random(38, 4, 64, 4);
        Tensor v = random(39, 4, 64, 4);
        double[] a = new ScaledDotProductAttention()
                .withDropout(0.25, 1)
                .apply(q, k, v, Mask.none())
                .weights()
                .toArray();
        double[] b = new ScaledDotProductAttention()
                .withDropout(0.25, 2)
                .apply(q, k, v, Mask.none())
                .weights()
                .toArray();
        int droppedA = 0;
        int differ = 0;
        for (int x = 0; x < a.length; x++) {
            droppedA += a[x] == 0 ? 1 : 0;
            differ += (a[x] == 0) != (b[x] == 0) ? 1 : 0;
        }
        // 16,384 weights at p = 0.25: 4,096 expected dropped, sd 55; two masks differ in 3/8 of them, sd 62.
        assertThat(droppedA).isBetween(4096 - 330, 4096 + 330);
        assertThat(differ).isBetween(6144 - 372, 6144 + 372);
        // kept weights are rescaled: each row sums to 1 in expectation, not exactly
        Tensor w = new ChunkedAttention()
                .withDropout(0.25, 1)
                .apply(q, k, v, Mask.none())
                .weights();
        assertThat(w.toArray()).containsExactly(a);
    }

    @Test
    void rejectsProbabilitiesOutsideZeroToOne() {
        for (double p : new double[] {-0.1, 1.0, 1.5, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> new ScaledDotProductAttention().withDropout(p, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("[0, 1)")
                    .hasMessageContaining(String.valueOf(p));
            assertThatThrownBy(() -> new ChunkedAttention().withDropout(p, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("[0, 1)");
        }
        assertThat(new ChunkedAttention().withDropout(0.1, 7).toString()).contains("dropout=0.1, seed=7");
        assertThat(new ScaledDotProductAttention().withDropout(0.1, 7).toString())
                .contains("dropout=0.1, seed=7");
    }
}
