package dev.heed.attention;

import static dev.heed.testing.ReferenceAssertions.assertMatches;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import dev.heed.testing.Fixtures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link MultiHeadAttention#backward}: every case of {@code grad_mha.txt} (PyTorch float64
 * autograd of {@code nn.MultiheadAttention}, or of the same computation in torch ops where rows may
 * attend to nothing) to 1e-9 with every kernel, parameter names and order exactly the state_dict's;
 * central finite differences of the forward with respect to inputs and parameters; rows that may
 * attend to nothing; self-attention; bad input.
 */
class MultiHeadAttentionBackwardTest {
    private static final double TOL = 1e-9;

    /** The kernels every check runs with: the materialised one and FlashAttention-2 tilings, odd ones too. */
    static List<Attention> kernels() {
        return List.of(
                new ScaledDotProductAttention(),
                new ChunkedAttention(),
                new ChunkedAttention(3, 5),
                new ChunkedAttention(1, 1),
                new ChunkedAttention(7, 2));
    }

    // ------------------------------------------------------------------ PyTorch fixtures

    static Stream<Arguments> fixtureCases() {
        return Fixtures.load("grad_mha.txt").stream().map(c -> Arguments.of(Named.of(c.name(), c)));
    }

    /** Heed's module from the case's state_dict tensors. */
    private static MultiHeadAttention mha(Fixtures.Case c, Attention kernel) {
        int e = c.intScalar("embed_dim");
        List<String> names = List.of(c.string("params").split(","));
        Tensor wq;
        Tensor wk;
        Tensor wv;
        if (names.contains("in_proj_weight")) {
            Tensor w = GradientFixtures.tensor(c, "in_proj_weight");
            wq = w.slice(0, 0, e);
            wk = w.slice(0, e, 2 * e);
            wv = w.slice(0, 2 * e, 3 * e);
        } else {
            wq = GradientFixtures.tensor(c, "q_proj_weight");
            wk = GradientFixtures.tensor(c, "k_proj_weight");
            wv = GradientFixtures.tensor(c, "v_proj_weight");
        }
        boolean bias = c.string("bias").equals("true");
        MultiHeadAttention.Builder b = MultiHeadAttention.builder(e, c.intScalar("num_heads"))
                .keyDim(c.intScalar("kdim"))
                .valueDim(c.intScalar("vdim"))
                .bias(bias)
                .kernel(kernel)
                .weights(wq, wk, wv, GradientFixtures.tensor(c, "out_proj.weight"));
        if (bias) {
            Tensor in = GradientFixtures.tensor(c, "in_proj_bias");
            b.biases(
                    in.slice(0, 0, e),
                    in.slice(0, e, 2 * e),
                    in.slice(0, 2 * e, 3 * e),
                    GradientFixtures.tensor(c, "out_proj.bias"));
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtureCases")
    void equalsPyTorchAutogradInEveryCase(Fixtures.Case c) {
        Mask mask = FixtureMasks.of(c);
        Tensor query = GradientFixtures.tensor(c, "query");
        boolean self = c.string("self_attention").equals("true");
        Tensor key = self ? query : GradientFixtures.tensor(c, "key");
        Tensor value = self ? query : GradientFixtures.tensor(c, "value");
        Tensor gradOutput = GradientFixtures.tensor(c, "grad_out");
        List<String> names = List.of(c.string("params").split(","));
        for (Attention kernel : kernels()) {
            String ctx = c.name() + " via " + kernel;
            MultiHeadAttention m = mha(c, kernel);
            double[] before = query.toArray();
            MultiHeadAttention.Gradients g = m.backward(query, key, value, mask, gradOutput);
            assertThat(query.toArray()).as("%s: query modified", ctx).isEqualTo(before);
            assertMatches(ctx + " dquery", c.tensor("dquery"), g.query(), TOL, TOL);
            assertMatches(ctx + " dkey", c.tensor("dkey"), g.key(), TOL, TOL);
            assertMatches(ctx + " dvalue", c.tensor("dvalue"), g.value(), TOL, TOL);
            assertThat(g.parameters().keySet())
                    .as("%s: state_dict names, in order", ctx)
                    .containsExactlyElementsOf(names);
            for (String n : names) {
                assertMatches(
                        ctx + " grad." + n,
                        c.tensor("grad." + n),
                        g.parameters().get(n),
                        TOL,
                        TOL);
            }
            if (self) {
                // one tensor passed three times: its gradient is the sum, as PyTorch accumulates it
                Tensor total = g.query().add(g.key()).add(g.value());
                Tensor expected = GradientFixtures.tensor(c, "dquery")
                        .add(GradientFixtures.tensor(c, "dkey"))
                        .add(GradientFixtures.tensor(c, "dvalue"));
                assertMatches(ctx + " self-attention total", expected.toArray(), expected.shape(), total, TOL, TOL);
            }
        }
    }

    // ------------------------------------------------------------------ finite differences

    /** A module with the given weights (wq, wk, wv, wo) and, if present, biases (bq, bk, bv, bo). */
    private static MultiHeadAttention build(int e, int heads, int kdim, int vdim, Attention kernel, Tensor[] p) {
        MultiHeadAttention.Builder b = MultiHeadAttention.builder(e, heads)
                .keyDim(kdim)
                .valueDim(vdim)
                .bias(p.length == 8)
                .kernel(kernel)
                .weights(p[0], p[1], p[2], p[3]);
        if (p.length == 8) {
            b.biases(p[4], p[5], p[6], p[7]);
        }
        return b.build();
    }

    /** The analytic gradient of the i-th of (wq, wk, wv, wo, bq, bk, bv, bo) from the state_dict map. */
    private static Tensor parameter(Map<String, Tensor> g, int i, int e) {
        boolean packed = g.containsKey("in_proj_weight");
        return switch (i) {
            case 0 -> packed ? g.get("in_proj_weight").slice(0, 0, e) : g.get("q_proj_weight");
            case 1 -> packed ? g.get("in_proj_weight").slice(0, e, 2 * e) : g.get("k_proj_weight");
            case 2 -> packed ? g.get("in_proj_weight").slice(0, 2 * e, 3 * e) : g.get("v_proj_weight");
            case 3 -> g.get("out_proj.weight");
            case 4 -> g.get("in_proj_bias").slice(0, 0, e);
            case 5 -> g.get("in_proj_bias").slice(0, e, 2 * e);
            case 6 -> g.get("in_proj_bias").slice(0, 2 * e, 3 * e);
            default -> g.get("out_proj.bias");
        };
    }

    static Stream<Arguments> finiteDifferenceCases() {
        List<Arguments> out = new ArrayList<>();
        // E, H, kdim, vdim, bias, batched, L, S, mask name
        out.add(Arguments.of(6, 2, 6, 6, true, true, 3, 5, "none"));
        out.add(Arguments.of(6, 3, 5, 3, true, true, 5, 3, "causal (empty rows)"));
        out.add(Arguments.of(4, 4, 3, 7, false, true, 3, 4, "keyPadding(4, 0)"));
        out.add(Arguments.of(4, 2, 4, 4, true, false, 5, 5, "bias(-inf)&block"));
        out.add(Arguments.of(3, 1, 2, 3, true, false, 1, 1, "none"));
        return out.stream();
    }

    private static Mask mask(String name, int L, int S) {
        return switch (name) {
            case "none" -> Mask.none();
            case "causal (empty rows)" -> Mask.causal();
            case "keyPadding(4, 0)" -> Mask.keyPadding(Math.min(4, S), 0);
            default -> {
                Tensor bias = Tensor.random(5).normal(L, S).map(x -> x < -1 ? Double.NEGATIVE_INFINITY : x);
                Tensor block = Tensor.zeros(1, 1, S);
                block.set(1, 0, 0, S - 1);
                yield Mask.bias(bias).and(Mask.block(block));
            }
        };
    }

    @ParameterizedTest(name = "E={0} H={1} kdim={2} vdim={3} bias={4} batched={5} L={6} S={7} {8}")
    @MethodSource("finiteDifferenceCases")
    void equalsCentralFiniteDifferencesForInputsAndParameters(
            int e, int heads, int kdim, int vdim, boolean bias, boolean batched, int L, int S, String maskName) {
        int[] lead = batched ? new int[] {2} : new int[0];
        Tensor query = Tensor.random(1).normal(NaiveAttention.append(lead, L, e));
        Tensor key = Tensor.random(2).normal(NaiveAttention.append(lead, S, kdim));
        Tensor value = Tensor.random(3).normal(NaiveAttention.append(lead, S, vdim));
        Tensor gradOutput = Tensor.random(4).normal(NaiveAttention.append(lead, L, e));
        MultiHeadAttention seeded = MultiHeadAttention.builder(e, heads)
                .keyDim(kdim)
                .valueDim(vdim)
                .bias(bias)
                .seed(7)
                .build();
        List<Tensor> params = new ArrayList<>(
                List.of(seeded.queryWeight(), seeded.keyWeight(), seeded.valueWeight(), seeded.outputWeight()));
        if (bias) {
            // nonzero biases, so that their paths are exercised
            for (int i = 0; i < 4; i++) {
                params.add(Tensor.random(10 + i).normal(e).scale(0.5));
            }
        }
        Mask mask = mask(maskName, L, S);
        for (Attention kernel : List.of(new ScaledDotProductAttention(), new ChunkedAttention(3, 2))) {
            String ctx = maskName + " via " + kernel;
            Tensor[] p = params.toArray(new Tensor[0]);
            MultiHeadAttention m = build(e, heads, kdim, vdim, kernel, p);
            MultiHeadAttention.Gradients g = m.backward(query, key, value, mask, gradOutput);
            Tensor[] all = new Tensor[3 + p.length];
            all[0] = query;
            all[1] = key;
            all[2] = value;
            System.arraycopy(p, 0, all, 3, p.length);
            FiniteDifferences.ScalarFunction f = x -> FiniteDifferences.dot(
                    build(e, heads, kdim, vdim, kernel, Arrays.copyOfRange(x, 3, x.length))
                            .forward(x[0], x[1], x[2], mask)
                            .output(),
                    gradOutput);
            FiniteDifferences.assertGradient(ctx + " dquery", g.query(), f, 0, all);
            FiniteDifferences.assertGradient(ctx + " dkey", g.key(), f, 1, all);
            FiniteDifferences.assertGradient(ctx + " dvalue", g.value(), f, 2, all);
            for (int i = 0; i < p.length; i++) {
                FiniteDifferences.assertGradient(
                        ctx + " parameter " + i, parameter(g.parameters(), i, e), f, 3 + i, all);
            }
            int names = (kdim == e && vdim == e ? 1 : 3) + 1 + (bias ? 2 : 0);
            assertThat(g.parameters()).as(ctx).hasSize(names);
        }
    }

    // ------------------------------------------------------------------ edges

    /**
     * A row every head leaves empty has output {@code bo}: its upstream gradient reaches
     * {@code out_proj.bias} and nothing else. Zeroing that row's upstream gradient changes every other
     * gradient by nothing, and {@code out_proj.bias} by exactly that row.
     */
    @Test
    void aRowThatMayAttendToNothingPassesGradientToTheOutputBiasOnly() {
        int e = 6;
        int L = 4;
        int S = 5;
        Tensor query = Tensor.random(21).normal(2, L, e);
        Tensor key = Tensor.random(22).normal(2, S, e);
        Tensor value = Tensor.random(23).normal(2, S, e);
        Tensor block = Tensor.zeros(2, 1, L, S);
        for (int j = 0; j < S; j++) {
            block.set(1, 0, 0, 2, j); // batch 0, row 2 may attend to nothing (in every head)
        }
        Tensor gradOutput = Tensor.random(24).normal(2, L, e);
        Tensor without = gradOutput.copy();
        for (int c = 0; c < e; c++) {
            without.set(0, 0, 2, c);
        }
        for (Attention kernel : kernels()) {
            MultiHeadAttention m =
                    MultiHeadAttention.builder(e, 3).kernel(kernel).seed(3).build();
            // nonzero biases everywhere
            m = MultiHeadAttention.builder(e, 3)
                    .kernel(kernel)
                    .weights(m.queryWeight(), m.keyWeight(), m.valueWeight(), m.outputWeight())
                    .biases(
                            Tensor.random(25).normal(e),
                            Tensor.random(26).normal(e),
                            Tensor.random(27).normal(e),
                            Tensor.random(28).normal(e))
                    .build();
            Mask mask = Mask.block(block);
            MultiHeadAttention.Gradients a = m.backward(query, key, value, mask, gradOutput);
            MultiHeadAttention.Gradients b = m.backward(query, key, value, mask, without);
            String ctx = kernel.toString();
            assertThat(Arrays.stream(a.query().select(0, 0).select(0, 2).toArray())
                            .allMatch(x -> x == 0))
                    .as("%s: the empty row's query gradient", ctx)
                    .isTrue();
            // equal as numbers (a zero may change sign: 0 times a gradient of either sign)
            assertThat(a.key().allClose(b.key(), 0, 0)).as("%s dkey", ctx).isTrue();
            assertThat(a.value().allClose(b.value(), 0, 0)).as("%s dvalue", ctx).isTrue();
            assertThat(a.query().allClose(b.query(), 0, 0)).as("%s dquery", ctx).isTrue();
            for (String n : List.of("in_proj_weight", "in_proj_bias", "out_proj.weight")) {
                assertThat(a.parameters().get(n).allClose(b.parameters().get(n), 0, 0))
                        .as("%s %s", ctx, n)
                        .isTrue();
            }
            Tensor diff = a.parameters().get("out_proj.bias").sub(b.parameters().get("out_proj.bias"));
            assertThat(diff.allClose(gradOutput.select(0, 0).select(0, 2), 0, 1e-14))
                    .as(ctx)
                    .isTrue();
            assertThat(a.parameters().values().stream()
                            .flatMapToDouble(t -> Arrays.stream(t.toArray()))
                            .allMatch(Double::isFinite))
                    .isTrue();
        }
    }

    private static void assertBitwiseEqual(String context, Tensor expected, Tensor actual) {
        AttentionChecks.assertBitwise(context, expected, actual);
    }

    @Test
    void everyKernelGivesTheSameGradients() {
        Tensor query = Tensor.random(31).normal(2, 13, 8);
        Tensor key = Tensor.random(32).normal(2, 7, 5);
        Tensor value = Tensor.random(33).normal(2, 7, 3);
        Tensor gradOutput = Tensor.random(34).normal(2, 13, 8);
        Mask mask = Mask.causal().and(Mask.keyPadding(7, 3));
        MultiHeadAttention.Gradients expected = null;
        for (Attention kernel : kernels()) {
            MultiHeadAttention m = MultiHeadAttention.builder(8, 2)
                    .keyDim(5)
                    .valueDim(3)
                    .seed(9)
                    .kernel(kernel)
                    .build();
            MultiHeadAttention.Gradients g = m.backward(query, key, value, mask, gradOutput);
            if (expected == null) {
                expected = g;
                continue;
            }
            assertClose(kernel + " query", expected.query(), g.query());
            assertClose(kernel + " key", expected.key(), g.key());
            assertClose(kernel + " value", expected.value(), g.value());
            for (String n : expected.parameters().keySet()) {
                assertClose(
                        kernel + " " + n,
                        expected.parameters().get(n),
                        g.parameters().get(n));
            }
        }
    }

    private static void assertClose(String context, Tensor expected, Tensor actual) {
        AttentionChecks.assertClose(context, expected.toArray(), expected.shape(), actual, 1e-11);
    }

    @Test
    void unbatchedEqualsABatchOfOne() {
        Tensor query = Tensor.random(41).normal(5, 4);
        Tensor key = Tensor.random(42).normal(3, 2);
        Tensor value = Tensor.random(43).normal(3, 6);
        Tensor gradOutput = Tensor.random(44).normal(5, 4);
        MultiHeadAttention m =
                MultiHeadAttention.builder(4, 2).keyDim(2).valueDim(6).seed(1).build();
        MultiHeadAttention.Gradients one = m.backward(query, key, value, Mask.causal(), gradOutput);
        MultiHeadAttention.Gradients batch = m.backward(
                query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0), Mask.causal(), gradOutput.unsqueeze(0));
        assertThat(one.query().shape()).containsExactly(5, 4);
        assertThat(one.key().shape()).containsExactly(3, 2);
        assertThat(one.value().shape()).containsExactly(3, 6);
        assertBitwiseEqual("query", batch.query().squeeze(0), one.query());
        assertBitwiseEqual("key", batch.key().squeeze(0), one.key());
        assertBitwiseEqual("value", batch.value().squeeze(0), one.value());
        for (String n : one.parameters().keySet()) {
            assertBitwiseEqual(n, batch.parameters().get(n), one.parameters().get(n));
        }
        assertThat(one.parameters().keySet())
                .containsExactly(
                        "q_proj_weight",
                        "k_proj_weight",
                        "v_proj_weight",
                        "in_proj_bias",
                        "out_proj.weight",
                        "out_proj.bias");
        assertThat(one.parameters().get("in_proj_bias").shape()).containsExactly(12);
        assertThat(one.parameters().get("k_proj_weight").shape()).containsExactly(4, 2);
        assertThat(one.parameters().get("v_proj_weight").shape()).containsExactly(4, 6);
        assertThatThrownBy(() -> one.parameters().put("x", query)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(one.toString()).contains("q_proj_weight=[4, 4]", "query=[5, 4]");
    }

    /** The three partial gradients of self-attention sum to the gradient of the one shared tensor. */
    @Test
    void selfAttentionPartialsSumToTheSharedTensorsGradient() {
        Tensor x = Tensor.random(51).normal(2, 5, 6);
        Tensor gradOutput = Tensor.random(52).normal(2, 5, 6);
        for (Attention kernel : List.of(new ScaledDotProductAttention(), new ChunkedAttention(2, 3))) {
            MultiHeadAttention m =
                    MultiHeadAttention.builder(6, 3).seed(4).kernel(kernel).build();
            MultiHeadAttention.Gradients g = m.backward(x, x, x, Mask.causal(), gradOutput);
            FiniteDifferences.assertGradient(
                    "self " + kernel,
                    g.query().add(g.key()).add(g.value()),
                    in -> FiniteDifferences.dot(m.forward(in[0], Mask.causal()).output(), gradOutput),
                    0,
                    x);
        }
    }

    @Test
    void badInputIsRefusedNamingTheShapes() {
        MultiHeadAttention m = MultiHeadAttention.builder(4, 2).keyDim(3).build();
        Tensor q = Tensor.zeros(2, 5, 4);
        Tensor k = Tensor.zeros(2, 3, 3);
        Tensor v = Tensor.zeros(2, 3, 4);
        Tensor g = Tensor.zeros(2, 5, 4);
        assertRefused(() -> m.backward(q, k, v, Mask.none(), null), "gradOutput must not be null");
        assertRefused(
                () -> m.backward(q, k, v, Mask.none(), Tensor.zeros(2, 5, 3)), "gradOutput", "[2, 5, 4]", "[2, 5, 3]");
        assertRefused(() -> m.backward(q, k, v, Mask.none(), Tensor.zeros(5, 4)), "[2, 5, 4]", "[5, 4]");
        assertRefused(() -> m.backward(q, Tensor.zeros(2, 3, 4), v, Mask.none(), g), "key 3", "[2, 3, 4]");
        assertRefused(() -> m.backward(q, k, Tensor.zeros(2, 4, 4), Mask.none(), g), "number of keys S");
        assertRefused(() -> m.backward(q, k.select(0, 0), v, Mask.none(), g), "query [2, 5, 4], key [3, 3]");
        assertRefused(() -> m.backward(null, k, v, Mask.none(), g), "must not be null");
        assertRefused(() -> m.backward(q, k, v, null, g), "Mask.none()");
        assertRefused(() -> m.backward(q, k, v, Mask.keyPadding(1, 2, 3), g), "keyPadding");
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String... parts) {
        var a = assertThatThrownBy(call).isInstanceOf(IllegalArgumentException.class);
        for (String p : parts) {
            a.hasMessageContaining(p);
        }
    }
}
