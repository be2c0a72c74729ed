package dev.heed.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.attention.AlignmentAttention.Score;
import dev.heed.layers.Linear;
import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link AlignmentAttention#backward} for all four scores (Luong dot, general, concat; Bahdanau
 * additive): central finite differences of the forward with respect to the decoder and encoder
 * states and every parameter, over odd sizes, masks with empty rows, and all four input forms
 * (batched or not, many steps or one); the dot score against ScaledDotProductAttention's backward;
 * parameter names; bad input.
 */
class AlignmentAttentionBackwardTest {

    /** One score function with its parameters, as a factory from parameter tensors (for finite differences). */
    record Model(
            String name,
            Score score,
            List<String> names,
            List<Tensor> parameters,
            Function<Tensor[], AlignmentAttention> factory) {
        AlignmentAttention build() {
            return factory.apply(parameters.toArray(new Tensor[0]));
        }
    }

    static List<Model> models(int hd, int he, int hidden, long seed) {
        List<Model> out = new ArrayList<>();
        out.add(new Model("dot", Score.DOT, List.of(), List.of(), p -> AlignmentAttention.dot()));
        out.add(new Model(
                "general",
                Score.GENERAL,
                List.of("wa"),
                List.of(Tensor.random(seed).normal(hd, he)),
                p -> AlignmentAttention.general(p[0])));
        Tensor w = Tensor.random(seed + 1).normal(hidden, hd + he).scale(0.7);
        Tensor b = Tensor.random(seed + 2).normal(hidden).scale(0.5);
        Tensor va = Tensor.random(seed + 3).normal(hidden);
        out.add(new Model(
                "concat with bias",
                Score.CONCAT,
                List.of("wa.weight", "wa.bias", "va"),
                List.of(w, b, va),
                p -> AlignmentAttention.concat(Linear.of(p[0], p[1]), p[2])));
        out.add(new Model(
                "concat",
                Score.CONCAT,
                List.of("wa.weight", "va"),
                List.of(w, va),
                p -> AlignmentAttention.concat(Linear.of(p[0]), p[1])));
        Tensor wa = Tensor.random(seed + 4).normal(hidden, hd).scale(0.7);
        Tensor ua = Tensor.random(seed + 5).normal(hidden, he).scale(0.7);
        Tensor bu = Tensor.random(seed + 6).normal(hidden).scale(0.5);
        out.add(new Model(
                "additive with biases",
                Score.ADDITIVE,
                List.of("wa.weight", "wa.bias", "ua.weight", "ua.bias", "va"),
                List.of(wa, b, ua, bu, va),
                p -> AlignmentAttention.additive(Linear.of(p[0], p[1]), Linear.of(p[2], p[3]), p[4])));
        out.add(new Model(
                "additive, U_a bias only",
                Score.ADDITIVE,
                List.of("wa.weight", "ua.weight", "ua.bias", "va"),
                List.of(wa, ua, bu, va),
                p -> AlignmentAttention.additive(Linear.of(p[0]), Linear.of(p[1], p[2]), p[3])));
        return out;
    }

    /** Masks for scores [B, T, S] (B = 2): every kind, some leaving a row or a whole sequence empty. */
    static Map<String, Mask> masks(int steps, int sources) {
        Map<String, Mask> m = new LinkedHashMap<>();
        m.put("none", Mask.none());
        m.put("keyPadding(S, 0)", Mask.keyPadding(sources, 0));
        m.put("causal", Mask.causal());
        Tensor allow = AttentionChecks.bits(steps * 7L + sources, 0.6, steps, sources);
        for (int j = 0; j < sources; j++) {
            allow.set(0, steps - 1, j); // the last step may attend to nothing
        }
        m.put("allow with an empty row", Mask.allow(allow));
        m.put(
                "bias(-inf)",
                Mask.bias(Tensor.random(steps + 3L)
                        .normal(2, steps, sources)
                        .map(x -> x < -0.9 ? Double.NEGATIVE_INFINITY : x)));
        return m;
    }

    static Stream<Arguments> sizes() {
        // T, S, Hd, He, H
        return Stream.of(
                Arguments.of(1, 1, 1, 1, 1),
                Arguments.of(3, 5, 2, 3, 3),
                Arguments.of(5, 3, 3, 2, 1),
                Arguments.of(2, 7, 4, 4, 2));
    }

    @ParameterizedTest(name = "T={0} S={1} Hd={2} He={3} H={4}")
    @MethodSource("sizes")
    void everyScoreEqualsCentralFiniteDifferences(int steps, int sources, int hd, int he, int hidden) {
        Tensor encoder = Tensor.random(11).normal(2, sources, he);
        Tensor gradOutput = Tensor.random(13).normal(2, steps, he);
        for (Model model : models(hd, he, hidden, 100L * steps + sources)) {
            Tensor decoder = Tensor.random(12).normal(2, steps, model.score() == Score.DOT ? he : hd);
            for (Map.Entry<String, Mask> e : masks(steps, sources).entrySet()) {
                check(model.name() + " " + e.getKey(), model, decoder, encoder, e.getValue(), gradOutput);
            }
        }
    }

    /** Checks every gradient of {@code Σ gradOutput ∘ context} against central differences. */
    private static void check(String ctx, Model model, Tensor decoder, Tensor encoder, Mask mask, Tensor gradOutput) {
        AlignmentAttention.Gradients g = model.build().backward(decoder, encoder, mask, gradOutput);
        assertThat(g.parameters().keySet()).as(ctx).containsExactlyElementsOf(model.names());
        List<Tensor> inputs = new ArrayList<>(List.of(decoder, encoder));
        inputs.addAll(model.parameters());
        Tensor[] all = inputs.toArray(new Tensor[0]);
        FiniteDifferences.ScalarFunction f = x -> FiniteDifferences.dot(
                model.factory()
                        .apply(Arrays.copyOfRange(x, 2, x.length))
                        .forward(x[0], x[1], mask)
                        .output(),
                gradOutput);
        FiniteDifferences.assertGradient(ctx + " decoder", g.decoder(), f, 0, all);
        FiniteDifferences.assertGradient(ctx + " encoder", g.encoder(), f, 1, all);
        for (int i = 0; i < model.names().size(); i++) {
            FiniteDifferences.assertGradient(
                    ctx + " " + model.names().get(i),
                    g.parameters().get(model.names().get(i)),
                    f,
                    2 + i,
                    all);
        }
    }

    @Test
    void everyInputFormKeepsItsShapeAndEqualsFiniteDifferences() {
        int steps = 3;
        int sources = 4;
        for (Model model : models(3, 2, 2, 7)) {
            int hd = model.score() == Score.DOT ? 2 : 3;
            Tensor[][] forms = {
                {
                    Tensor.random(21).normal(2, hd),
                    Tensor.random(22).normal(2, sources, 2),
                    Tensor.random(23).normal(2, 2)
                },
                {
                    Tensor.random(24).normal(steps, hd),
                    Tensor.random(25).normal(sources, 2),
                    Tensor.random(26).normal(steps, 2)
                },
                {
                    Tensor.random(27).normal(hd),
                    Tensor.random(28).normal(sources, 2),
                    Tensor.random(29).normal(2)
                },
            };
            for (Tensor[] form : forms) {
                String ctx = model.name() + " decoder " + Arrays.toString(form[0].shape());
                check(ctx, model, form[0], form[1], Mask.none(), form[2]);
                AlignmentAttention.Gradients g = model.build().backward(form[0], form[1], form[2]);
                assertThat(g.decoder().shape()).containsExactly(form[0].shape());
                assertThat(g.encoder().shape()).containsExactly(form[1].shape());
            }
            // source lengths, one per sequence: padding gets exactly nothing
            Tensor decoder = Tensor.random(30).normal(2, steps, hd);
            Tensor encoder = Tensor.random(31).normal(2, sources, 2);
            Tensor gradOutput = Tensor.random(32).normal(2, steps, 2);
            AlignmentAttention.Gradients byLengths =
                    model.build().backward(decoder, encoder, new int[] {2, 0}, gradOutput);
            AlignmentAttention.Gradients byMask =
                    model.build().backward(decoder, encoder, Mask.keyPadding(2, 0), gradOutput);
            AttentionChecks.assertBitwise(model.name() + " lengths", byMask.encoder(), byLengths.encoder());
            assertThat(Arrays.stream(byLengths
                                    .encoder()
                                    .select(0, 0)
                                    .slice(0, 2, sources)
                                    .toArray())
                            .allMatch(x -> x == 0))
                    .as("%s: padded sources", model.name())
                    .isTrue();
            assertThat(Arrays.stream(byLengths.decoder().select(0, 1).toArray()).allMatch(x -> x == 0))
                    .as("%s: a sequence with no source", model.name())
                    .isTrue();
        }
    }

    /** Luong's dot is SimpleAttention with the encoder as key and value: the same gradients. */
    @Test
    void theDotScoreEqualsUnscaledAttentionWithTheEncoderAsKeyAndValue() {
        Tensor decoder = Tensor.random(41).normal(2, 13, 5);
        Tensor encoder = Tensor.random(42).normal(2, 7, 5);
        Tensor gradOutput = Tensor.random(43).normal(2, 13, 5);
        ScaledDotProductAttention unscaled = new ScaledDotProductAttention().withScale(1);
        for (Map.Entry<String, Mask> e : masks(13, 7).entrySet()) {
            Mask mask = e.getValue();
            AttentionGradients expected = unscaled.backward(
                    decoder, encoder, encoder, mask, unscaled.apply(decoder, encoder, encoder, mask), gradOutput);
            AlignmentAttention.Gradients g = AlignmentAttention.dot().backward(decoder, encoder, mask, gradOutput);
            Tensor encoderTotal = expected.key().add(expected.value());
            AttentionChecks.assertClose(
                    e.getKey() + " decoder", expected.query().toArray(), decoder.shape(), g.decoder(), 1e-12);
            AttentionChecks.assertClose(
                    e.getKey() + " encoder", encoderTotal.toArray(), encoder.shape(), g.encoder(), 1e-12);
            assertThat(g.parameters()).isEmpty();
        }
    }

    @Test
    void seededFactoriesNameTheirParametersAndAgreeWithTheirTensors() {
        Tensor decoder = Tensor.random(51).normal(2, 3, 4);
        Tensor encoder = Tensor.random(52).normal(2, 5, 6);
        Tensor gradOutput = Tensor.random(53).normal(2, 3, 6);
        AlignmentAttention.Gradients general =
                AlignmentAttention.general(4, 6, 1).backward(decoder, encoder, gradOutput);
        assertThat(general.parameters().get("wa").shape()).containsExactly(4, 6);
        AlignmentAttention.Gradients concat =
                AlignmentAttention.concat(4, 6, 3, 1).backward(decoder, encoder, gradOutput);
        assertThat(concat.parameters().keySet()).containsExactly("wa.weight", "va");
        assertThat(concat.parameters().get("wa.weight").shape()).containsExactly(3, 10);
        AlignmentAttention.Gradients additive =
                AlignmentAttention.additive(4, 6, 3, 1).backward(decoder, encoder, gradOutput);
        assertThat(additive.parameters().keySet()).containsExactly("wa.weight", "ua.weight", "va");
        assertThat(additive.parameters().get("ua.weight").shape()).containsExactly(3, 6);
        assertThat(additive.toString()).contains("decoder=[2, 3, 4]", "ua.weight=[3, 6]");
        assertThat(AlignmentAttention.dot()
                        .backward(encoder, encoder, Tensor.zeros(2, 5, 6))
                        .toString())
                .isEqualTo("AlignmentAttention.Gradients{decoder=[2, 5, 6], encoder=[2, 5, 6]}");
    }

    @Test
    void badInputIsRefusedNamingTheShapes() {
        AlignmentAttention a = AlignmentAttention.general(4, 6, 1);
        Tensor decoder = Tensor.zeros(2, 3, 4);
        Tensor encoder = Tensor.zeros(2, 5, 6);
        Tensor g = Tensor.zeros(2, 3, 6);
        assertRefused(() -> a.backward(decoder, encoder, Mask.none(), null), "gradOutput must not be null");
        assertRefused(() -> a.backward(decoder, encoder, Mask.none(), Tensor.zeros(2, 3, 4)), "[2, 3, 6]", "[2, 3, 4]");
        assertRefused(() -> a.backward(decoder.select(1, 0), encoder, Mask.none(), g), "[2, 6]", "[2, 3, 6]");
        assertRefused(() -> a.backward(Tensor.zeros(2, 3, 5), encoder, Mask.none(), g), "decoder size 4", "[2, 3, 5]");
        assertRefused(() -> a.backward(decoder, encoder, (Mask) null, g), "Mask.none()");
        assertRefused(() -> a.backward(null, encoder, Mask.none(), g), "must not be null");
        assertRefused(() -> a.backward(decoder, encoder, new int[] {6, 1}, g), "length 6");
        assertRefused(() -> a.backward(decoder, encoder, Mask.allow(Tensor.ones(4, 5)), g), "[4, 5]");
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String... parts) {
        var a = assertThatThrownBy(call).isInstanceOf(IllegalArgumentException.class);
        for (String p : parts) {
            a.hasMessageContaining(p);
        }
    }
}
