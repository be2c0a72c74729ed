package dev.heed.train;

import dev.heed.autograd.Variable;
import dev.heed.encoding.RotaryEncoding;
import java.util.Arrays;
import java.util.List;

/**
 * Rotary position embedding as a {@link Variable} operation, for queries and keys computed in a
 * graph: the forward is {@link RotaryEncoding#apply}, the backward the inverse rotation
 * ({@link RotaryEncoding#backward}), since a rotation is orthogonal.
 */
public final class RotaryOps {
    private RotaryOps() {}

    /**
     * {@code rotary.apply(x.value(), startPosition)} recorded for autograd. The gradient that
     * reaches {@code x} is {@code rotary.backward(gradOutput, startPosition)}: the output's
     * gradient rotated back, features from {@code rotary.dim()} on passed through. The backward
     * does not read {@code x}'s value, so it is unaffected by a later
     * {@linkplain Variable#assign assign} of it (a graph that uses a parameter still refuses
     * {@code backward()} after one, as every recorded operation does).
     *
     * @param rotary        the encoding: dim, base and layout
     * @param x             {@code [..., L, d]}, rank ≥ 2, {@code d >= rotary.dim()}; row {@code t}
     *                      is the token at position {@code startPosition + t}
     * @param startPosition the position of row 0, ≥ 0
     * @return a new variable holding a new row-major tensor shaped like {@code x}
     * @throws IllegalArgumentException if an argument is null, or as
     *                                  {@link RotaryEncoding#apply(dev.heed.tensor.Tensor, int)}
     *                                  (naming the shape and values)
     */
    public static Variable apply(RotaryEncoding rotary, Variable x, int startPosition) {
        if (rotary == null || x == null) {
            throw new IllegalArgumentException("rotary apply needs an encoding and an input, got "
                    + Arrays.asList(rotary, x == null ? null : Arrays.toString(x.shape())));
        }
        return Variable.custom(
                "rotary",
                rotary.apply(x.value(), startPosition),
                List.of(x),
                gradOutput -> List.of(rotary.backward(gradOutput, startPosition)));
    }
}
