package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.TOL;
import static dev.heed.attention.AttentionChecks.random;
import static dev.heed.attention.BackwardChecks.checkAgainstNaive;
import static dev.heed.attention.BackwardChecks.gradOutput;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.attention.AttentionChecks.Layout;
import dev.heed.attention.BackwardChecks.Kernel;
import dev.heed.attention.BackwardChecks.NamedMask;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Attention#backward} of every kernel against {@link NaiveBackward}, the softmax Jacobian
 * done the slow way, to 1e-12: every mask kind, scales, odd sizes, ranks 2 to 4, broadcast and
 * non-contiguous inputs, rows with nothing to attend to; and the argument checks.
 */
class AttentionBackwardTest {

    @Test
    void everyMaskKindAndScaleMatchesTheNaiveJacobian() {
        int L = 7;
        int S = 13;
        Tensor q = random(1, 2, L, 5);
        Tensor k = random(2, 2, S, 5);
        Tensor v = random(3, 2, S, 3);
        Tensor dO = gradOutput(4, 2, L, 3);
        for (double scale : new double[] {Double.NaN, 0.37, -1.5}) {
            for (Kernel kernel : BackwardChecks.kernels(scale)) {
                for (NamedMask m : BackwardChecks.masks(L, S)) {
                    checkAgainstNaive(m.name() + " scale=" + scale, kernel, q, k, v, m.spec(), dO, TOL);
                }
            }
        }
    }

    @ParameterizedTest(name = "L={0} S={1} d={2} dv={3}")
    @CsvSource({"1, 1, 1, 1", "3, 7, 5, 2", "7, 3, 2, 5", "13, 13, 8, 9", "64, 65, 16, 16", "65, 64, 13, 7"})
    void oddSizes(int L, int S, int d, int dv) {
        Tensor q = random(5, 2, L, d);
        Tensor k = random(6, 2, S, d);
        Tensor v = random(7, 2, S, dv);
        Tensor dO = gradOutput(8, 2, L, dv);
        List<NamedMask> masks = BackwardChecks.masks(L, S);
        for (Kernel kernel : BackwardChecks.kernels(Double.NaN)) {
            for (NamedMask m : List.of(masks.get(0), masks.get(1), masks.get(4), masks.get(7))) {
                checkAgainstNaive(m.name() + " L=" + L + " S=" + S, kernel, q, k, v, m.spec(), dO, TOL);
            }
        }
    }

    @Test
    void ranksTwoToFourWithBroadcastBatchAxes() {
        NaiveAttention.Spec causalBias = NaiveAttention.Spec.causal().and(NaiveAttention.Spec.bias(random(9, 5, 6)));
        Object[][] cases = {
            // query shape, key shape, value shape
            {new int[] {5, 4}, new int[] {6, 4}, new int[] {6, 3}},
            {new int[] {3, 5, 4}, new int[] {1, 6, 4}, new int[] {3, 6, 3}},
            {new int[] {3, 5, 4}, new int[] {6, 4}, new int[] {6, 3}},
            {new int[] {5, 4}, new int[] {2, 6, 4}, new int[] {2, 6, 3}},
            {new int[] {2, 3, 5, 4}, new int[] {2, 1, 6, 4}, new int[] {1, 3, 6, 3}},
            {new int[] {1, 3, 5, 4}, new int[] {2, 1, 6, 4}, new int[] {6, 3}},
        };
        int seed = 20;
        for (Object[] c : cases) {
            int[] qs = (int[]) c[0];
            int[] ks = (int[]) c[1];
            int[] vs = (int[]) c[2];
            Tensor q = random(seed++, qs);
            Tensor k = random(seed++, ks);
            Tensor v = random(seed++, vs);
            int[] batch = NaiveAttention.broadcast(NaiveAttention.broadcast(lead(qs), lead(ks)), lead(vs));
            Tensor dO = gradOutput(seed++, NaiveAttention.append(batch, 5, 3));
            String ctx = Arrays.toString(qs) + Arrays.toString(ks) + Arrays.toString(vs);
            for (Kernel kernel : BackwardChecks.kernels(Double.NaN)) {
                for (NaiveAttention.Spec mask : List.of(NaiveAttention.Spec.none(), causalBias)) {
                    AttentionGradients g = checkAgainstNaive(ctx, kernel, q, k, v, mask, dO, TOL);
                    assertThat(g.query().shape()).containsExactly(qs);
                    assertThat(g.key().shape()).containsExactly(ks);
                    assertThat(g.value().shape()).containsExactly(vs);
                }
            }
        }
    }

    @Test
    void aKeySharedByTheBatchGetsTheSumOfItsGradients() {
        Tensor q = random(30, 2, 4, 3);
        Tensor k = random(31, 1, 5, 3);
        Tensor v = random(32, 2, 5, 2);
        Tensor dO = gradOutput(33, 2, 4, 2);
        ScaledDotProductAttention sdpa = new ScaledDotProductAttention();
        AttentionGradients shared = sdpa.backward(q, k, v, Mask.causal(), sdpa.apply(q, k, v, Mask.causal()), dO);
        // The same problem with the key copied per batch element: the shared key's gradient is the sum.
        Tensor k2 = k.broadcastTo(2, 5, 3).copy();
        AttentionGradients separate = sdpa.backward(q, k2, v, Mask.causal(), sdpa.apply(q, k2, v, Mask.causal()), dO);
        assertThat(shared.key().shape()).containsExactly(1, 5, 3);
        Tensor summed = separate.key().sum(0).unsqueeze(0);
        AttentionChecks.assertClose("shared key", summed.toArray(), summed.shape(), shared.key());
    }

    @Test
    void strideZeroBroadcastViewsGetAGradientPerElementOfTheirShape() {
        Tensor q = random(40, 2, 4, 3);
        Tensor k = random(41, 5, 3).broadcastTo(2, 5, 3); // a view with batch stride 0
        Tensor v = random(42, 1, 5, 2).broadcastTo(2, 5, 2);
        assertThat(k.strides()[0]).isZero();
        Tensor dO = gradOutput(43, 2, 4, 2);
        for (Kernel kernel : BackwardChecks.kernels(Double.NaN)) {
            AttentionGradients g =
                    checkAgainstNaive("stride-0 view", kernel, q, k, v, NaiveAttention.Spec.causal(), dO, TOL);
            assertThat(g.key().shape()).containsExactly(2, 5, 3);
            assertThat(g.value().shape()).containsExactly(2, 5, 2);
            // Each batch element's copy has its own gradient: the two halves differ.
            assertThat(g.key().select(0, 0).toArray())
                    .isNotEqualTo(g.key().select(0, 1).toArray());
        }
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void nonContiguousInputsAndGradOutput(Layout layout) {
        Tensor q = random(50, layout, 2, 7, 5);
        Tensor k = random(51, layout, 2, 9, 5);
        Tensor v = random(52, layout, 2, 9, 4);
        Tensor dO = random(53, layout, 2, 7, 4);
        for (Kernel kernel : BackwardChecks.kernels(Double.NaN)) {
            for (NamedMask m : BackwardChecks.masks(7, 9)) {
                checkAgainstNaive(layout + " " + m.name(), kernel, q, k, v, m.spec(), dO, TOL);
            }
        }
    }

    @Test
    void rowsThatMayAttendToNothingGetZeroGradientsNeverNaN() {
        Tensor q = random(60, 2, 5, 3);
        Tensor k = random(61, 2, 6, 3);
        Tensor v = random(62, 2, 6, 2);
        Tensor dO = gradOutput(63, 2, 5, 2);
        // Sequence 1 has no keys at all; sequence 0 has 4.
        NaiveAttention.Spec mask = NaiveAttention.Spec.keyPadding(4, 0);
        for (Kernel kernel : BackwardChecks.kernels(Double.NaN)) {
            AttentionGradients g = checkAgainstNaive("keyPadding(4, 0)", kernel, q, k, v, mask, dO, TOL);
            assertThat(g.query().select(0, 1).toArray()).containsOnly(0.0);
            assertThat(g.key().select(0, 1).toArray()).containsOnly(0.0);
            assertThat(g.value().select(0, 1).toArray()).containsOnly(0.0);
            // Padded keys of sequence 0 get nothing either.
            assertThat(g.key().select(0, 0).slice(0, 4, 6).toArray()).containsOnly(0.0);
            assertThat(g.value().select(0, 0).slice(0, 4, 6).toArray()).containsOnly(0.0);
        }
    }

    @Test
    void infinitiesWhereNothingIsAttendedLeaveTheGradientsFinite() {
        Tensor q = random(70, 2, 5, 3);
        Tensor k = random(71, 2, 6, 3);
        Tensor v = random(72, 2, 6, 2);
        Tensor dO = gradOutput(73, 2, 5, 2);
        Mask mask = Mask.keyPadding(4, 0);
        Tensor qInf = q.copy();
        Tensor kInf = k.copy();
        Tensor vInf = v.copy();
        Tensor dOInf = dO.copy();
        qInf.set(Double.POSITIVE_INFINITY, 1, 2, 0); // a query of the empty sequence
        kInf.set(Double.NEGATIVE_INFINITY, 0, 5, 1); // a padded key
        vInf.set(Double.POSITIVE_INFINITY, 0, 4, 0); // a padded value
        dOInf.set(Double.NaN, 1, 3, 1); // the upstream gradient of an empty row
        for (Kernel kernel : BackwardChecks.kernels(Double.NaN)) {
            Attention a = kernel.attention();
            AttentionGradients expected = a.backward(q, k, v, mask, a.apply(q, k, v, mask), dO);
            AttentionGradients actual = a.backward(qInf, kInf, vInf, mask, a.apply(qInf, kInf, vInf, mask), dOInf);
            BackwardChecks.assertSame(kernel.name() + " with unattended infinities", expected, actual, TOL);
        }
    }

    @Test
    void aSingleQueryOfSimpleAttention() {
        Tensor q = random(80, 4);
        Tensor k = random(81, 6, 4);
        Tensor v = random(82, 6, 3);
        Tensor dO = gradOutput(83, 3);
        SimpleAttention simple = new SimpleAttention();
        for (NaiveAttention.Spec spec : List.of(
                NaiveAttention.Spec.none(),
                NaiveAttention.Spec.bias(random(84, 6).map(x -> x < -1 ? Double.NEGATIVE_INFINITY : x)))) {
            Mask mask = spec.toMask();
            AttentionGradients g = simple.backward(q, k, v, mask, simple.apply(q, k, v, mask), dO);
            assertThat(g.query().shape()).containsExactly(4);
            NaiveBackward.Gradients expected = NaiveBackward.backward(q.unsqueeze(0), k, v, spec, 1.0, dO.unsqueeze(0));
            AttentionChecks.assertClose("single query dQuery", expected.query(), new int[] {4}, g.query());
            AttentionChecks.assertClose("single query dKey", expected.key(), expected.keyShape(), g.key());
            AttentionChecks.assertClose("single query dValue", expected.value(), expected.valueShape(), g.value());
        }
        // A single query against a batch of keys: output [2, dv], the query's gradient summed to [d].
        Tensor kb = random(85, 2, 6, 4);
        Tensor vb = random(86, 2, 6, 3);
        Tensor dOb = gradOutput(87, 2, 3);
        AttentionGradients g = simple.backward(q, kb, vb, Mask.none(), simple.apply(q, kb, vb), dOb);
        NaiveBackward.Gradients expected =
                NaiveBackward.backward(q.unsqueeze(0), kb, vb, NaiveAttention.Spec.none(), 1.0, dOb.unsqueeze(-2));
        AttentionChecks.assertClose("single query, batched keys", expected.query(), new int[] {4}, g.query());
        AttentionChecks.assertClose("single query, batched keys dKey", expected.key(), expected.keyShape(), g.key());
    }

    @ParameterizedTest(name = "L={0} S={1} d={2} dv={3}")
    @CsvSource({"3, 0, 4, 5", "0, 3, 4, 5", "0, 0, 2, 2", "3, 4, 0, 2", "3, 4, 2, 0"})
    void emptyAxes(int L, int S, int d, int dv) {
        Tensor q = random(120, 2, L, d);
        Tensor k = random(121, 2, S, d);
        Tensor v = random(122, 2, S, dv);
        Tensor dO = gradOutput(123, 2, L, dv);
        for (Kernel kernel : BackwardChecks.kernels(0.5)) {
            for (NaiveAttention.Spec mask : List.of(NaiveAttention.Spec.none(), NaiveAttention.Spec.causal())) {
                AttentionGradients g = checkAgainstNaive("empty", kernel, q, k, v, mask, dO, TOL);
                AttentionChecks.assertNoNaN("empty dQuery", g.query());
            }
        }
    }

    @Test
    void theFullKernelReadsTheForwardsWeightsAndTheChunkedKernelDoesNot() {
        Tensor q = random(90, 1, 4, 3);
        Tensor k = random(91, 1, 5, 3);
        Tensor v = random(92, 1, 5, 2);
        Tensor dO = gradOutput(93, 1, 4, 2);
        ScaledDotProductAttention sdpa = new ScaledDotProductAttention();
        AttentionResult forward = sdpa.apply(q, k, v);
        AttentionGradients before = sdpa.backward(q, k, v, Mask.none(), forward, dO);
        // Doctored weights change the full kernel's gradients: it uses them and does not recompute.
        AttentionResult doctored =
                new AttentionResult(forward.output(), forward.weights().map(w -> 0.5 * w), forward.logSumExp());
        AttentionGradients after = sdpa.backward(q, k, v, Mask.none(), doctored, dO);
        assertThat(after.value().toArray()).isNotEqualTo(before.value().toArray());

        ChunkedAttention chunked = new ChunkedAttention();
        AttentionResult lazy = chunked.apply(q, k, v);
        boolean[] computed = {false};
        AttentionResult watched = AttentionResult.withLazyWeights(
                lazy.output(),
                () -> {
                    computed[0] = true;
                    return Tensor.zeros(1, 4, 5);
                },
                lazy.logSumExp());
        BackwardChecks.assertSame("chunked", before, chunked.backward(q, k, v, Mask.none(), watched, dO), TOL);
        assertThat(computed[0]).as("chunked backward asked for the weights").isFalse();
    }

    // ------------------------------------------------------------------ argument checks

    @Test
    void aGradOutputOfAnotherShapeIsRefusedNamingBothShapes() {
        Tensor q = random(100, 2, 4, 3);
        Tensor k = random(101, 2, 5, 3);
        Tensor v = random(102, 2, 5, 2);
        for (Attention a : List.of(new ScaledDotProductAttention(), new ChunkedAttention(), new SimpleAttention())) {
            AttentionResult forward = a.apply(q, k, v);
            assertThatThrownBy(() -> a.backward(q, k, v, Mask.none(), forward, Tensor.zeros(2, 4, 3)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("gradOutput")
                    .hasMessageContaining("[2, 4, 2]")
                    .hasMessageContaining("[2, 4, 3]");
            assertThatThrownBy(() -> a.backward(q, k, v, Mask.none(), forward, Tensor.zeros(4, 2)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("[4, 2]");
            assertThatThrownBy(() -> a.backward(q, k, v, Mask.none(), forward, null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("gradOutput");
        }
    }

    @Test
    void aForwardOfOtherInputsIsRefusedNamingTheShapes() {
        Tensor q = random(110, 2, 4, 3);
        Tensor k = random(111, 2, 5, 3);
        Tensor v = random(112, 2, 5, 2);
        Tensor q6 = random(113, 2, 6, 3);
        for (Attention a : List.of(new ScaledDotProductAttention(), new ChunkedAttention(), new SimpleAttention())) {
            AttentionResult other = a.apply(q6, k, v);
            assertThatThrownBy(() -> a.backward(q, k, v, Mask.none(), other, Tensor.zeros(2, 6, 2)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("forward does not belong")
                    .hasMessageContaining("[2, 6, 2]")
                    .hasMessageContaining("query [2, 4, 3]")
                    .hasMessageContaining("[2, 4, 2]");
            assertThatThrownBy(() -> a.backward(q, k, v, Mask.none(), null, Tensor.zeros(2, 4, 2)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("forward");
            // The inputs themselves are checked as apply checks them.
            assertThatThrownBy(() -> a.backward(
                            q, random(114, 2, 5, 4), v, Mask.none(), a.apply(q, k, v), Tensor.zeros(2, 4, 2)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("[2, 5, 4]");
            assertThatThrownBy(() ->
                            a.backward(q, k, v, Mask.keyPadding(1, 2, 3), a.apply(q, k, v), Tensor.zeros(2, 4, 2)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("keyPadding");
        }
        // The full kernel also checks the weights it reads.
        ScaledDotProductAttention sdpa = new ScaledDotProductAttention();
        AttentionResult f = sdpa.apply(q, k, v);
        AttentionResult badWeights = new AttentionResult(f.output(), Tensor.zeros(2, 4, 4), f.logSumExp());
        assertThatThrownBy(() -> sdpa.backward(q, k, v, Mask.none(), badWeights, Tensor.zeros(2, 4, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("weights")
                .hasMessageContaining("[2, 4, 4]")
                .hasMessageContaining("[2, 4, 5]");
        // A single query's forward must have an output of rank >= 1.
        SimpleAttention simple = new SimpleAttention();
        Tensor q1 = random(115, 3);
        AttentionResult scalarOut = new AttentionResult(Tensor.scalar(0), Tensor.zeros(5), Tensor.scalar(0));
        assertThatThrownBy(() ->
                        simple.backward(q1, k.select(0, 0), v.select(0, 0), Mask.none(), scalarOut, Tensor.scalar(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("single query [3]");
    }

    private static int[] lead(int[] shape) {
        return Arrays.copyOf(shape, shape.length - 2);
    }
}
