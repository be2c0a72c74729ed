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
 * <p>Grouped-query and multi-query attention need no option: axis -3 counts heads, and when the
 * key's (or the value's) head count {@code Hkv} divides the query's {@code Hq}, query head
 * {@code h} attends with key/value head {@code h / (Hq / Hkv)} — PyTorch's
 * {@code scaled_dot_product_attention(..., enable_gqa=True)}, i.e. the key and value repeated with
 * {@code repeat_interleave} — without copying them per head; one head ({@code Hkv = 1}) broadcasts
 * as any size-1 axis does. Their gradients come back shaped like the key and value: each head's is
 * the sum over the query heads of its group, added in head order.
 *
 * <p>Implementations check their arguments and throw {@link IllegalArgumentException} naming
 * the shapes when they do not fit. They never modify their inputs, and the ones in Heed are
 * immutable and safe to share between threads.
 */
public interface Attention {
    /**
     * Attends {@code query} to {@code key}/{@code value} under {@code mask}.
     *
     * <p>A query row that the mask leaves nothing to attend to gets output 0, weights 0 and
     * log-sum-exp {@code -inf}, never NaN. A NaN or infinity in the inputs reaches only the query
     * rows that attend to it: a key or value the mask blocks never leaks into the result.
     *
     * @param query {@code [..., L, d]}; any view (strided, transposed, broadcast); not modified
     * @param key   {@code [..., S, d]}; any view; not modified
     * @param value {@code [..., S, dv]}; any view; not modified
     * @param mask  which keys each query may see, broadcast against the scores {@code [..., L, S]};
     *              {@link Mask#none()} for all
     * @return output {@code [..., L, dv]}, weights {@code [..., L, S]} and log-sum-exp
     *         {@code [..., L]}, where {@code ...} is the broadcast of the inputs' leading axes; new
     *         tensors, none a view of an input
     * @throws IllegalArgumentException if an argument is null, or the shapes or the mask do not
     *                                  fit (the message names the shapes)
     */
    AttentionResult apply(Tensor query, Tensor key, Tensor value, Mask mask);

    /**
     * The gradients of a scalar loss with respect to {@code query}, {@code key} and {@code value},
     * given {@code gradOutput}, the loss's gradient with respect to the output of
     * {@code apply(query, key, value, mask)}.
     *
     * <p>With {@code P} the weights, {@code O} the output and {@code dO} the upstream gradient,
     * per batch element: {@code dV = Pᵀ dO}, {@code dS = P ∘ (dO Vᵀ − rowsum(dO ∘ O))},
     * {@code dQ = scale · dS K}, {@code dK = scale · dSᵀ Q} (docs/gradients.md derives it). The
     * mask is a constant: no gradient flows into it — a learned {@link Mask#bias bias} would get
     * {@code dS}, which this method does not return. A query row that may attend to nothing
     * contributes nothing and gets a zero gradient, never NaN. An input broadcast in the forward gets
     * its gradient summed back to its own shape (see {@link AttentionGradients}).
     *
     * <p>The backward reads {@code forward}'s output and log-sum-exp (and, for kernels that
     * materialise them, its weights) together with the inputs passed here: these must be the
     * tensors, holding the same values, that produced {@code forward} on this same attention (same
     * scale); only the shapes can be checked.
     *
     * @param query      as given to {@code apply}; not modified
     * @param key        as given to {@code apply}; not modified
     * @param value      as given to {@code apply}; not modified
     * @param mask       as given to {@code apply}
     * @param forward    what {@code apply(query, key, value, mask)} returned; not modified
     * @param gradOutput ∂loss/∂output, shaped like {@code forward.output()}; not modified
     * @return new tensors, each shaped like its input
     * @throws IllegalArgumentException if the inputs do not fit each other as in {@code apply}, if
     *                                  {@code forward}'s shapes are not those these inputs give, or if
     *                                  {@code gradOutput}'s shape is not {@code forward.output()}'s
     */
    AttentionGradients backward(
            Tensor query, Tensor key, Tensor value, Mask mask, AttentionResult forward, Tensor gradOutput);

    /**
     * {@link #apply(Tensor, Tensor, Tensor, Mask)} with {@link Mask#none()}: every query may attend
     * to every key.
     *
     * @param query {@code [..., L, d]}; not modified
     * @param key   {@code [..., S, d]}; not modified
     * @param value {@code [..., S, dv]}; not modified
     * @return output {@code [..., L, dv]}, weights {@code [..., L, S]} and log-sum-exp
     *         {@code [..., L]}; new tensors
     * @throws IllegalArgumentException if an argument is null or the shapes do not fit
     */
    default AttentionResult apply(Tensor query, Tensor key, Tensor value) {
        return apply(query, key, value, Mask.none());
    }
}
