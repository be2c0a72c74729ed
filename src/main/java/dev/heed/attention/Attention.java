package dev.heed.attention;

import dev.heed.tensor.Tensor;

/**
 * An attention kernel: {@code softmax(score(q, k) + mask) · v}.
 *
 * <p>Shapes: query {@code [..., L, d]}, key {@code [..., S, d]}, value {@code [..., S, dv]},
 * where the leading (batch) axes broadcast against each other as in NumPy. The result has
 * output {@code [..., L, dv]}, weights {@code [..., L, S]} and log-sum-exp {@code [..., L]}.
 * The mask broadcasts against the scores {@code [..., L, S]}; see {@link Mask}.
 *
 * <p>Implementations check their arguments and throw {@link IllegalArgumentException} naming
 * the shapes when they do not fit. They never modify their inputs, and the ones in Heed are
 * immutable and safe to share between threads.
 */
public interface Attention {
    /**
     * Attends {@code query} to {@code key}/{@code value} under {@code mask}.
     *
     * @param query not modified
     * @param key   not modified
     * @param value not modified
     * @param mask  which keys each query may see; {@link Mask#none()} for all
     * @return new tensors; none is a view of an input
     */
    AttentionResult apply(Tensor query, Tensor key, Tensor value, Mask mask);

    /** {@link #apply(Tensor, Tensor, Tensor, Mask)} with {@link Mask#none()}. */
    default AttentionResult apply(Tensor query, Tensor key, Tensor value) {
        return apply(query, key, value, Mask.none());
    }
}
