package dev.heed.attention;

import static dev.heed.testing.ReferenceAssertions.assertMatches;
import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.encoding.RotaryEncoding;
import dev.heed.tensor.Tensor;
import dev.heed.testing.Fixtures;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link GroupedQueryAttention} against Hugging Face's LlamaAttention written out in PyTorch float64
 * ({@code llama.txt}, from {@code src/test/python/make_llama_fixtures.py}): MHA, MQA and 8-over-2 GQA,
 * Qwen-style and full biases, explicit and odd head sizes, partial and no rotary, rope_theta, a sliding
 * window, position offsets, a padded batch with rows that see nothing, a custom scale; forward (output,
 * weights, log-sum-exp) and autograd's gradients of the input and every parameter, to 1e-10, in the full
 * kernel and in chunked kernels at odd tiles, loaded from a state dict with and without a prefix.
 */
class GroupedQueryAttentionFixturesTest {
    private static final double TOL = 1e-10;

    static Stream<Arguments> cases() {
        return Fixtures.load("llama.txt").stream().map(c -> Arguments.of(Named.of(c.name(), c)));
    }

    private static Tensor tensor(Fixtures.Case c, String name) {
        Fixtures.TensorData t = c.tensor(name);
        return Tensor.of(t.copyOfData(), t.shape());
    }

    /** The case's parameters under Hugging Face's names, behind {@code prefix}. */
    static Map<String, Tensor> stateDict(Fixtures.Case c, String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String proj : GroupedQueryWeights.NAMES) {
            for (String kind : new String[] {".weight", ".bias"}) {
                if (c.hasTensor(proj + kind)) {
                    out.put(prefix + proj + kind, tensor(c, proj + kind));
                }
            }
        }
        return out;
    }

    /** The layer a case describes, loaded from its state dict through the builder. */
    static GroupedQueryAttention layer(Fixtures.Case c, Attention kernel, String prefix) {
        int[] cfg = c.ints("config"); // E Hq Hkv d rot window start
        GroupedQueryAttention.Builder b = GroupedQueryAttention.builder(cfg[0], cfg[1], cfg[2])
                .headDim(cfg[3])
                .rotary(cfg[4] == 0 ? null : RotaryEncoding.of(cfg[4]).withBase(c.scalar("base")))
                .kernel(kernel)
                .scale(c.scalar("scale"));
        if (cfg[5] > 0) {
            b.slidingWindow(cfg[5]);
        }
        Map<String, Tensor> model = new LinkedHashMap<>(stateDict(c, prefix));
        model.put("model.embed_tokens.weight", Tensor.zeros(3, cfg[0])); // outside the prefix: ignored
        return b.stateDict(prefix.isEmpty() ? stateDict(c, "") : model, prefix).build();
    }

    static Mask mask(Fixtures.Case c) {
        try {
            return Mask.keyPadding(c.ints("key_padding"));
        } catch (IllegalArgumentException absent) {
            return Mask.none();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardAndGradientsMatchHuggingFacesLayerInEveryKernel(Fixtures.Case c) {
        int start = c.ints("config")[6];
        Tensor x = tensor(c, "x");
        Tensor gradOut = tensor(c, "grad_out");
        List<Attention> kernels =
                List.of(new ScaledDotProductAttention(), new ChunkedAttention(), new ChunkedAttention(3, 5));
        for (Attention kernel : kernels) {
            for (String prefix : new String[] {"", "model.layers.0.self_attn."}) {
                GroupedQueryAttention gqa = layer(c, kernel, prefix);
                String where = c.name() + " with " + kernel + " and prefix '" + prefix + "'";
                AttentionResult r = gqa.forward(x, start, mask(c));
                assertMatches(where + ": output", c.tensor("out"), r.output(), TOL, TOL);
                assertMatches(where + ": weights", c.tensor("weights"), r.weights(), TOL, TOL);
                assertMatches(where + ": lse", c.tensor("lse"), r.logSumExp(), TOL, TOL);

                GroupedQueryAttention.Gradients g = gqa.backward(x, start, mask(c), gradOut);
                assertMatches(where + ": grad x", c.tensor("grad.x"), g.input(), TOL, TOL);
                Map<String, Tensor> expected = stateDict(c, "");
                assertThat(g.parameters().keySet()).as(where).containsExactlyElementsOf(expected.keySet());
                for (String name : expected.keySet()) {
                    assertMatches(
                            where + ": grad " + name,
                            c.tensor("grad." + name),
                            g.parameters().get(name),
                            TOL,
                            TOL);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void parametersGiveBackTheStateDictUnderItsNames(Fixtures.Case c) {
        String prefix = "model.layers.3.self_attn.";
        GroupedQueryAttention gqa = layer(c, new ScaledDotProductAttention(), prefix);
        Map<String, Tensor> expected = stateDict(c, prefix);
        Map<String, Tensor> actual = gqa.parameters(prefix);
        assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
        expected.forEach((name, t) -> AttentionChecks.assertBitwise(name, t, actual.get(name)));
        assertThat(gqa.parameters().keySet()).allMatch(k -> !k.startsWith("model."));
    }
}
