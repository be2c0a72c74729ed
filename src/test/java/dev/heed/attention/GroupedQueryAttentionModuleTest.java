package dev.heed.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.attention.AttentionChecks.Kernel;
import dev.heed.attention.AttentionChecks.Layout;
import dev.heed.encoding.RotaryEncoding;
import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link GroupedQueryAttention} (the Llama-family block; the kernels' grouped-query heads are tested in
 * {@code GroupedQueryAttentionTest}) against the loop reference {@link NaiveGroupedQueryAttention} over
 * odd sizes, every kernel and input layout; its backward against finite differences; defaults, shapes and
 * bad input.
 */
class GroupedQueryAttentionModuleTest {
    private static final String[] NAMES = {"q_proj", "k_proj", "v_proj", "o_proj"};

    /** A layer with random weights (and the biases {@code biasMask} selects: bit p for projection p). */
    static GroupedQueryAttention layer(
            int e, int hq, int hkv, int d, int rot, int window, int biasMask, Attention kernel, long seed) {
        int[][] shapes = {{hq * d, e}, {hkv * d, e}, {hkv * d, e}, {e, hq * d}};
        Tensor[] w = new Tensor[4];
        Tensor[] b = new Tensor[4];
        for (int p = 0; p < 4; p++) {
            w[p] = Tensor.random(seed + p).normal(shapes[p]).scale(0.5);
            b[p] = (biasMask >> p & 1) == 1
                    ? Tensor.random(seed + 10 + p).normal(shapes[p][0]).scale(0.5)
                    : null;
        }
        GroupedQueryAttention.Builder builder = GroupedQueryAttention.builder(e, hq, hkv)
                .headDim(d)
                .rotary(rot == 0 ? null : RotaryEncoding.of(rot).withBase(500.0))
                .kernel(kernel)
                .weights(w[0], w[1], w[2], w[3])
                .biases(b[0], b[1], b[2], b[3]);
        if (window > 0) {
            builder.slidingWindow(window);
        }
        return builder.build();
    }

    static NaiveGroupedQueryAttention naive(GroupedQueryAttention gqa) {
        RotaryEncoding r = gqa.rotary();
        return new NaiveGroupedQueryAttention(
                gqa.embedDim(),
                gqa.numHeads(),
                gqa.numKeyValueHeads(),
                gqa.headDim(),
                r == null ? 0 : r.dim(),
                r == null ? 0 : r.base(),
                gqa.slidingWindow(),
                1.0 / Math.sqrt(gqa.headDim()));
    }

    @ParameterizedTest(name = "E={0} Hq={1} Hkv={2} d={3} rot={4} window={5} T={6} B={7} start={8} biases={9}")
    @CsvSource({
        "8, 2, 2, 4, 4, 0, 7, 1, 0, 0",
        "12, 4, 1, 4, 4, 0, 13, 2, 3, 7",
        "16, 8, 2, 4, 2, 0, 13, 1, 0, 15",
        "16, 8, 2, 2, 2, 0, 1, 2, 9, 8",
        "12, 4, 2, 3, 2, 4, 13, 2, 0, 1",
        "6, 3, 3, 5, 0, 1, 7, 1, 2, 0",
        "10, 6, 3, 2, 2, 5, 65, 1, 100, 15",
        "8, 4, 2, 6, 6, 64, 67, 1, 0, 2"
    })
    void matchesTheLoopReferenceInEveryKernelAndLayout(
            int e, int hq, int hkv, int d, int rot, int window, int t, int batch, int start, int biases) {
        for (Kernel kernel : AttentionChecks.fewKernels()) {
            GroupedQueryAttention gqa = layer(e, hq, hkv, d, rot, window, biases, kernel.attention(), 40 + t);
            NaiveGroupedQueryAttention ref = naive(gqa);
            for (Layout layout : Layout.values()) {
                Tensor x = AttentionChecks.random(t + e, layout, batch, t, e);
                String where = kernel + ", " + layout;
                Tensor expected = ref.forward(gqa.parameters(), x, start, null);
                AttentionChecks.assertClose(
                        where,
                        expected.toArray(),
                        expected.shape(),
                        gqa.forward(x, start).output(),
                        1e-12);
                if (batch == 2) {
                    int[] lengths = {t, Math.max(1, t / 2)};
                    Tensor padded = ref.forward(gqa.parameters(), x, start, lengths);
                    AttentionChecks.assertClose(
                            where + ", key padding",
                            padded.toArray(),
                            padded.shape(),
                            gqa.forward(x, start, Mask.keyPadding(lengths)).output(),
                            1e-12);
                }
            }
        }
    }

    @Test
    void unbatchedInputGivesUnbatchedShapesAndTheSameNumbers() {
        GroupedQueryAttention gqa = layer(12, 4, 2, 3, 2, 3, 5, new ChunkedAttention(2, 3), 7);
        Tensor x = Tensor.random(3).normal(1, 9, 12);
        AttentionResult batched = gqa.forward(x, 4);
        AttentionResult single = gqa.forward(x.squeeze(0), 4);
        assertThat(single.output().shape()).containsExactly(9, 12);
        assertThat(single.weights().shape()).containsExactly(4, 9, 9);
        assertThat(single.logSumExp().shape()).containsExactly(4, 9);
        AttentionChecks.assertBitwise("output", batched.output().squeeze(0), single.output());
        AttentionChecks.assertBitwise("weights", batched.weights().squeeze(0), single.weights());
        Tensor g = Tensor.random(4).normal(9, 12);
        GroupedQueryAttention.Gradients gb = gqa.backward(x, 4, Mask.none(), g.unsqueeze(0));
        GroupedQueryAttention.Gradients gs = gqa.backward(x.squeeze(0), 4, Mask.none(), g);
        AttentionChecks.assertBitwise("dx", gb.input().squeeze(0), gs.input());
        gb.parameters()
                .forEach((n, t) ->
                        AttentionChecks.assertBitwise(n, t, gs.parameters().get(n)));
    }

    @Test
    void theWindowAndCausalMaskSeeExactlyTheirKeys() {
        GroupedQueryAttention gqa = layer(8, 4, 2, 2, 2, 3, 0, new ScaledDotProductAttention(), 11);
        Tensor w = gqa.forward(Tensor.random(1).normal(1, 8, 8)).weights();
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 8; j++) {
                boolean visible = j <= i && j > i - 3;
                assertThat(w.get(0, 1, i, j) > 0).as("query %d key %d", i, j).isEqualTo(visible);
            }
        }
    }

    @Test
    void rotaryMakesTheOutputDependOnDistanceOnly() {
        GroupedQueryAttention gqa = layer(8, 2, 1, 4, 4, 0, 15, new ScaledDotProductAttention(), 12);
        Tensor x = Tensor.random(2).normal(2, 6, 8);
        Tensor at0 = gqa.forward(x, 0).output();
        Tensor at1000 = gqa.forward(x, 1000).output();
        AttentionChecks.assertClose("shifted positions", at0.toArray(), at0.shape(), at1000, 1e-12);
        // The key padding row of a batch element changes nothing else: a real check that masks compose.
        Tensor padded = gqa.forward(x, 0, Mask.keyPadding(6, 3)).output();
        Tensor first = at0.select(0, 0);
        AttentionChecks.assertClose("element 0", first.toArray(), first.shape(), padded.select(0, 0), 1e-14);
        assertThat(padded.select(0, 1).slice(0, 3, 6).allClose(at0.select(0, 1).slice(0, 3, 6)))
                .isFalse();
    }

    @Test
    void theBackwardMatchesFiniteDifferencesForTheInputAndEveryParameter() {
        GroupedQueryAttention gqa = layer(6, 4, 2, 2, 2, 3, 15, new ChunkedAttention(2, 3), 21);
        Tensor x = Tensor.random(22).normal(2, 5, 6);
        Tensor g = Tensor.random(23).normal(2, 5, 6);
        Mask mask = Mask.keyPadding(5, 3);
        int start = 7;
        GroupedQueryAttention.Gradients grads = gqa.backward(x, start, mask, g);
        Map<String, Tensor> params = gqa.parameters();
        List<String> names = new ArrayList<>(params.keySet());
        assertThat(names)
                .containsExactly(
                        "q_proj.weight",
                        "q_proj.bias",
                        "k_proj.weight",
                        "k_proj.bias",
                        "v_proj.weight",
                        "v_proj.bias",
                        "o_proj.weight",
                        "o_proj.bias");
        Tensor[] inputs = new Tensor[names.size() + 1];
        inputs[0] = x;
        for (int i = 0; i < names.size(); i++) {
            inputs[i + 1] = params.get(names.get(i));
        }
        FiniteDifferences.ScalarFunction loss = in -> {
            Map<String, Tensor> p = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                p.put(names.get(i), in[i + 1]);
            }
            GroupedQueryAttention l = GroupedQueryAttention.builder(6, 4, 2)
                    .headDim(2)
                    .rotary(gqa.rotary())
                    .slidingWindow(3)
                    .stateDict(p, "")
                    .build();
            return FiniteDifferences.dot(l.forward(in[0], start, mask).output(), g);
        };
        FiniteDifferences.assertGradient("dx", grads.input(), loss, 0, inputs);
        for (int i = 0; i < names.size(); i++) {
            FiniteDifferences.assertGradient(names.get(i), grads.parameters().get(names.get(i)), loss, i + 1, inputs);
        }
    }

    @Test
    void theBackwardIsTheSameInEveryKernelAndGivesOnlyTheParametersThatExist() {
        Tensor x = Tensor.random(31).normal(2, 13, 12);
        Tensor g = Tensor.random(32).normal(2, 13, 12);
        GroupedQueryAttention.Gradients reference = null;
        for (Kernel kernel : AttentionChecks.fewKernels()) {
            GroupedQueryAttention gqa = layer(12, 4, 1, 4, 2, 5, 0b0111, kernel.attention(), 33);
            GroupedQueryAttention.Gradients grads = gqa.backward(x, 2, Mask.keyPadding(13, 6), g);
            assertThat(grads.parameters().keySet())
                    .containsExactly(
                            "q_proj.weight",
                            "q_proj.bias",
                            "k_proj.weight",
                            "k_proj.bias",
                            "v_proj.weight",
                            "v_proj.bias",
                            "o_proj.weight");
            assertThat(grads.toString()).contains("k_proj.weight=[4, 12]", "input=[2, 13, 12]");
            if (reference == null) {
                reference = grads;
                continue;
            }
            GroupedQueryAttention.Gradients r = reference;
            AttentionChecks.assertClose(
                    kernel + " dx", r.input().toArray(), r.input().shape(), grads.input(), 1e-12);
            grads.parameters()
                    .forEach((n, t) -> AttentionChecks.assertClose(
                            kernel + " " + n, r.parameters().get(n).toArray(), t.shape(), t, 1e-12));
        }
    }

    @Test
    void defaultsAreLlamas() {
        GroupedQueryAttention gqa =
                GroupedQueryAttention.builder(16, 4, 2).seed(3).build();
        assertThat(gqa.headDim()).isEqualTo(4);
        assertThat(gqa.rotary()).isEqualTo(RotaryEncoding.of(4));
        assertThat(gqa.slidingWindow()).isZero();
        assertThat(gqa.kernel()).isInstanceOf(ScaledDotProductAttention.class);
        assertThat(gqa.parameters().keySet())
                .containsExactly("q_proj.weight", "k_proj.weight", "v_proj.weight", "o_proj.weight");
        assertThat(gqa.parameters().get("k_proj.weight").shape()).containsExactly(8, 16);
        assertThat(gqa.parameters().get("k_proj.weight").max()).isLessThanOrEqualTo(0.25); // U(±1/sqrt(16))
        assertThat(gqa.toString()).contains("numKeyValueHeads=2", "headDim=4", "biases=[]");
        // Same seed, same weights; another seed, others.
        Tensor w = gqa.parameters().get("q_proj.weight");
        AttentionChecks.assertBitwise(
                "seeded",
                w,
                GroupedQueryAttention.builder(16, 4, 2)
                        .seed(3)
                        .build()
                        .parameters()
                        .get("q_proj.weight"));
        assertThat(GroupedQueryAttention.builder(16, 4, 2)
                        .seed(4)
                        .build()
                        .parameters()
                        .get("q_proj.weight")
                        .allClose(w))
                .isFalse();
        // bias(qkv, o): Qwen 2's zero q/k/v biases.
        assertThat(GroupedQueryAttention.builder(16, 4, 2)
                        .bias(true, false)
                        .build()
                        .parameters()
                        .keySet())
                .containsExactly(
                        "q_proj.weight",
                        "q_proj.bias",
                        "k_proj.weight",
                        "k_proj.bias",
                        "v_proj.weight",
                        "v_proj.bias",
                        "o_proj.weight");
        // The default scale is 1/sqrt(d): the same as asking for it, and not the same as another.
        Tensor x = Tensor.random(5).normal(1, 6, 16);
        Map<String, Tensor> p = gqa.parameters();
        Tensor byDefault = gqa.forward(x).output();
        Tensor explicit = GroupedQueryAttention.builder(16, 4, 2)
                .stateDict(p, "")
                .scale(0.5)
                .build()
                .forward(x)
                .output();
        AttentionChecks.assertBitwise("scale 1/sqrt(4)", byDefault, explicit);
        Tensor chunked = GroupedQueryAttention.builder(16, 4, 2)
                .stateDict(p, "")
                .kernel(new ChunkedAttention(2, 2))
                .scale(0.3)
                .build()
                .forward(x)
                .output();
        assertThat(chunked.allClose(byDefault)).isFalse();
    }

    @Test
    void badSettingsAreRefusedNamingTheValues() {
        assertThatThrownBy(() -> GroupedQueryAttention.builder(0, 2, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0, 2, 1");
        assertThatThrownBy(() -> GroupedQueryAttention.builder(8, 4, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("numKeyValueHeads 3 does not divide numHeads 4");
        assertThatThrownBy(() -> GroupedQueryAttention.builder(10, 4, 2).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("numHeads 4 does not divide embedDim 10")
                .hasMessageContaining("headDim");
        assertThatThrownBy(() -> GroupedQueryAttention.builder(12, 4, 2).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("even head size, got 3");
        assertThatThrownBy(() -> GroupedQueryAttention.builder(8, 2, 1)
                        .rotary(RotaryEncoding.of(6))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rotary dim 6 exceeds the head size 4");
        assertThatThrownBy(() -> GroupedQueryAttention.builder(8, 2, 1)
                        .kernel(new SimpleAttention())
                        .scale(0.5)
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("scale(0.5) needs");
        assertThatThrownBy(() -> GroupedQueryAttention.builder(8, 2, 1).headDim(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GroupedQueryAttention.builder(8, 2, 1).slidingWindow(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(">= 1");
        assertThatThrownBy(() -> GroupedQueryAttention.builder(8, 2, 1).scale(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GroupedQueryAttention.builder(8, 2, 1).kernel(null))
                .isInstanceOf(IllegalArgumentException.class);
        Tensor sq = Tensor.zeros(8, 8);
        assertThatThrownBy(() -> GroupedQueryAttention.builder(8, 2, 1).weights(sq, sq, sq, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GroupedQueryAttention.builder(8, 2, 1)
                        .weights(sq, sq, sq, sq)
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("k_proj.weight must be [4, 8], got [8, 8]");
        Tensor kv = Tensor.zeros(4, 8);
        assertThatThrownBy(() -> GroupedQueryAttention.builder(8, 2, 1)
                        .weights(sq, kv, kv, sq)
                        .biases(null, null, Tensor.zeros(8), null)
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("v_proj.bias must be [4], got [8]");
        assertThatThrownBy(() -> GroupedQueryAttention.builder(8, 2, 1).stateDict(null, ""))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBadStateDictIsRefusedNamingTheKey() {
        GroupedQueryAttention source =
                GroupedQueryAttention.builder(8, 2, 1).bias(true, false).build();
        String prefix = "model.layers.1.self_attn.";
        GroupedQueryAttention.Builder target = GroupedQueryAttention.builder(8, 2, 1);

        Map<String, Tensor> missing = new LinkedHashMap<>(source.parameters(prefix));
        missing.remove(prefix + "o_proj.weight");
        assertThatThrownBy(() -> target.stateDict(missing, prefix).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no model.layers.1.self_attn.o_proj.weight")
                .hasMessageContaining(prefix + "q_proj.bias");
        assertThatThrownBy(() -> target.stateDict(source.parameters(prefix), "model.layers.2.self_attn.")
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no model.layers.2.self_attn.q_proj.weight");

        Map<String, Tensor> extra = new LinkedHashMap<>(source.parameters(prefix));
        extra.put(prefix + "q_norm.weight", Tensor.ones(4));
        extra.put("model.norm.weight", Tensor.ones(8)); // outside the prefix: fine
        assertThatThrownBy(() -> target.stateDict(extra, prefix).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unexpected keys")
                .hasMessageContaining(prefix + "q_norm.weight")
                .hasMessageNotContaining("model.norm.weight");
        assertThatThrownBy(() -> target.stateDict(source.parameters(prefix), "").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no q_proj.weight");

        Map<String, Tensor> misshaped = new LinkedHashMap<>(source.parameters(prefix));
        misshaped.put(prefix + "k_proj.bias", Tensor.zeros(8));
        assertThatThrownBy(() -> target.stateDict(misshaped, prefix).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(prefix + "k_proj.bias has shape [8], expected [4]");
        assertThatThrownBy(() -> GroupedQueryAttention.builder(8, 4, 1)
                        .stateDict(source.parameters(), "")
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("k_proj.weight has shape [4, 8], expected [2, 8]");

        Map<String, Tensor> nulled = new LinkedHashMap<>(source.parameters());
        nulled.put("v_proj.weight", null);
        assertThatThrownBy(() -> target.stateDict(nulled, "").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("v_proj.weight to null");
    }

    @Test
    void aSavedInverseFrequencyBufferIsCheckedAgainstTheRotary() {
        GroupedQueryAttention source = GroupedQueryAttention.builder(16, 2, 1).build();
        RotaryEncoding llama3 = RotaryEncoding.of(8).withBase(500_000);
        Map<String, Tensor> dict = new LinkedHashMap<>(source.parameters("l."));
        double[] inv = llama3.inverseFrequencies();
        for (int i = 0; i < inv.length; i++) {
            inv[i] = (float) inv[i]; // as transformers saved it, in float32
        }
        dict.put("l.rotary_emb.inv_freq", Tensor.of(inv, inv.length));
        GroupedQueryAttention loaded = GroupedQueryAttention.builder(16, 2, 1)
                .rotary(llama3)
                .stateDict(dict, "l.")
                .build();
        assertThat(loaded.parameters()).doesNotContainKey("rotary_emb.inv_freq");
        assertThatThrownBy(() -> GroupedQueryAttention.builder(16, 2, 1)
                        .stateDict(dict, "l.")
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("l.rotary_emb.inv_freq[1]")
                .hasMessageContaining("rope_theta");
        assertThatThrownBy(() -> GroupedQueryAttention.builder(16, 2, 1)
                        .rotary(RotaryEncoding.of(4).withBase(500_000))
                        .stateDict(dict, "l.")
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has shape [4], expected [2]");
        assertThatThrownBy(() -> GroupedQueryAttention.builder(16, 2, 1)
                        .rotary(null)
                        .stateDict(dict, "l.")
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no rotary encoding");
    }

    @Test
    void badInputIsRefusedNamingTheShapes() {
        GroupedQueryAttention gqa = GroupedQueryAttention.builder(8, 2, 1).build();
        assertThatThrownBy(() -> gqa.forward(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null");
        assertThatThrownBy(() -> gqa.forward(Tensor.zeros(1, 3, 7)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("x [B, T, 8] or [T, 8], got [1, 3, 7]");
        assertThatThrownBy(() -> gqa.forward(Tensor.zeros(8)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got [8]");
        assertThatThrownBy(() -> gqa.forward(Tensor.zeros(1, 3, 8), -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("startPosition >= 0");
        assertThatThrownBy(() -> gqa.forward(Tensor.zeros(1, 3, 8), Integer.MAX_VALUE - 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2^31-1");
        assertThatThrownBy(() -> gqa.forward(Tensor.zeros(1, 3, 8), 0, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Mask.none()");
        assertThatThrownBy(() -> gqa.forward(Tensor.zeros(2, 3, 8), 0, Mask.keyPadding(1, 2, 3)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> gqa.backward(Tensor.zeros(2, 3, 8), 0, Mask.none(), Tensor.zeros(2, 3, 4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3, 8]")
                .hasMessageContaining("[2, 3, 4]");
        assertThatThrownBy(() -> gqa.backward(Tensor.zeros(2, 3, 8), 0, Mask.none(), null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> gqa.backward(Tensor.zeros(2, 3, 8), 0, null, Tensor.zeros(2, 3, 8)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> gqa.parameters(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
