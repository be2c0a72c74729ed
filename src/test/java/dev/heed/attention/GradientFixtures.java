package dev.heed.attention;

import dev.heed.tensor.Tensor;
import dev.heed.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * The attention cases of {@code grad_sdpa.txt} and {@code grad_simple.txt} (written by
 * {@code src/test/python/make_gradient_fixtures.py}) as ready-to-use inputs: query, key and value
 * (a transposed, non-contiguous view where the case says so), the mask both as the naive
 * reference's {@link NaiveAttention.Spec} and as the {@link Mask} under test, the scale and the
 * upstream gradient. The expected values stay in {@link AttentionCase#fixture()}: {@code out},
 * {@code weights}, {@code lse} (SDPA only), {@code dq}, {@code dk}, {@code dv}.
 */
final class GradientFixtures {

    private GradientFixtures() {}

    /** One attention case; every tensor is a fresh copy of the fixture's values. */
    record AttentionCase(
            Fixtures.Case fixture,
            Tensor query,
            Tensor key,
            Tensor value,
            NaiveAttention.Spec spec,
            OptionalDouble customScale,
            Tensor gradOutput) {

        /** The mask under test, built term by term with {@link Mask#and}. */
        Mask mask() {
            return spec.toMask();
        }

        /** The scale to hand the naive reference: the custom one, or NaN for {@code 1/sqrt(d)}. */
        double scaleOrNaN() {
            return customScale.orElse(Double.NaN);
        }

        String name() {
            return fixture.name();
        }

        @Override
        public String toString() {
            return fixture.name() + " [mask " + fixture.string("mask") + "]";
        }
    }

    /** The cases of {@code grad_sdpa.txt}: ScaledDotProductAttention / ChunkedAttention. */
    static List<AttentionCase> sdpa() {
        return load("grad_sdpa.txt", OptionalDouble.empty());
    }

    /** The cases of {@code grad_simple.txt}: SimpleAttention, scale 1 (query {@code [d]} in some). */
    static List<AttentionCase> simple() {
        return load("grad_simple.txt", OptionalDouble.of(1.0));
    }

    private static List<AttentionCase> load(String file, OptionalDouble fixedScale) {
        List<AttentionCase> cases = new ArrayList<>();
        for (Fixtures.Case c : Fixtures.load(file)) {
            Tensor q = tensor(c, "q");
            Tensor k = tensor(c, "k");
            if (c.optionalString("q_layout").filter("transposed"::equals).isPresent()) {
                q = q.transpose(-2, -1); // stored [..., d, L]
            }
            if (c.optionalString("k_layout").filter("transposed"::equals).isPresent()) {
                k = k.transpose(-2, -1);
            }
            OptionalDouble scale =
                    c.optionalScalar("scale").map(OptionalDouble::of).orElse(fixedScale);
            cases.add(new AttentionCase(c, q, k, tensor(c, "v"), spec(c), scale, tensor(c, "grad_out")));
        }
        return List.copyOf(cases);
    }

    /**
     * The case's mask expression as a naive {@link NaiveAttention.Spec}: terms joined by
     * {@code &}, each {@code none}, {@code causal}, {@code allow:<tensor>}, {@code block:<tensor>},
     * {@code bias:<tensor>} or {@code keyPadding:<ints>} (the syntax {@link FixtureMasks} reads).
     */
    static NaiveAttention.Spec spec(Fixtures.Case c) {
        NaiveAttention.Spec spec = NaiveAttention.Spec.none();
        for (String raw : c.string("mask").split("&")) {
            String term = raw.strip();
            int colon = term.indexOf(':');
            String kind = colon < 0 ? term : term.substring(0, colon);
            String arg = colon < 0 ? null : term.substring(colon + 1);
            NaiveAttention.Spec next = switch (kind) {
                case "none" -> NaiveAttention.Spec.none();
                case "causal" -> NaiveAttention.Spec.causal();
                case "allow" -> NaiveAttention.Spec.allow(tensor(c, arg));
                case "block" -> NaiveAttention.Spec.block(tensor(c, arg));
                case "bias" -> NaiveAttention.Spec.bias(tensor(c, arg));
                case "keyPadding" -> NaiveAttention.Spec.keyPadding(c.ints(arg));
                default -> throw new IllegalArgumentException(c + ": unknown mask term '" + term + "'");
            };
            spec = spec.and(next);
        }
        return spec;
    }

    static Tensor tensor(Fixtures.Case c, String name) {
        Fixtures.TensorData t = c.tensor(name);
        return Tensor.of(t.copyOfData(), t.shape());
    }
}
