package dev.heed.attention;

import dev.heed.tensor.Tensor;
import dev.heed.testing.Fixtures;

/**
 * Turns a fixture's mask expression into a {@link Mask}: terms joined by {@code &}, combined left to
 * right with {@link Mask#and(Mask)}. Terms: {@code none}, {@code causal}, {@code allow:<tensor>},
 * {@code block:<tensor>}, {@code bias:<tensor>}, {@code keyPadding:<ints>}.
 */
final class FixtureMasks {

    private FixtureMasks() {}

    static Mask of(Fixtures.Case c) {
        return parse(c, c.string("mask"));
    }

    static Mask parse(Fixtures.Case c, String expression) {
        Mask mask = null;
        for (String term : expression.split("&")) {
            Mask next = term(c, term.strip());
            mask = mask == null ? next : mask.and(next);
        }
        if (mask == null) {
            throw new IllegalArgumentException(c + ": empty mask expression");
        }
        return mask;
    }

    private static Mask term(Fixtures.Case c, String term) {
        int colon = term.indexOf(':');
        String kind = colon < 0 ? term : term.substring(0, colon);
        String arg = colon < 0 ? null : term.substring(colon + 1);
        return switch (kind) {
            case "none" -> Mask.none();
            case "causal" -> Mask.causal();
            case "allow" -> Mask.allow(tensor(c, arg));
            case "block" -> Mask.block(tensor(c, arg));
            case "bias" -> Mask.bias(tensor(c, arg));
            case "keyPadding" -> Mask.keyPadding(c.ints(arg));
            default -> throw new IllegalArgumentException(c + ": unknown mask term '" + term + "'");
        };
    }

    private static Tensor tensor(Fixtures.Case c, String name) {
        Fixtures.TensorData t = c.tensor(name);
        return Tensor.of(t.copyOfData(), t.shape());
    }
}
