package dev.heed.train;

import dev.heed.attention.Attention;
import dev.heed.attention.AttentionGradients;
import dev.heed.attention.AttentionResult;
import dev.heed.attention.Mask;
import dev.heed.autograd.Variable;
import java.util.Arrays;
import java.util.List;

/**
 * Attention kernels as {@link Variable} operations: the forward runs the kernel once, and the
 * backward is the kernel's own fused {@link Attention#backward backward} (FlashAttention-2's for
 * {@link dev.heed.attention.ChunkedAttention}), not a graph of elementary operations. So a model
 * trained through autograd gets the same gradients, memory and speed as a direct call to the
 * kernel.
 */
public final class AttentionOps {
    private AttentionOps() {}

    /**
     * The output of an attention operation as a variable, and the kernel's result for reading
     * its weights and log-sum-exp (which carry no gradient).
     *
     * @param output  the attended values {@code [..., L, dv]}, differentiable with respect to
     *                query, key and value
     * @param forward what the kernel returned; its output is {@code output.value()}
     */
    public record Attended(Variable output, AttentionResult forward) {}

    /**
     * {@code kernel.apply(query, key, value, mask)} recorded for autograd. Gradients reach each of
     * query, key and value that {@linkplain Variable#requiresGrad() requires one}, shaped like it
     * (an input broadcast against the others gets its gradient summed back); none reaches the
     * mask. A query that may attend to nothing has output 0 and passes back zero gradients.
     *
     * <p>The backward reads the values of {@code query}, {@code key} and {@code value} when it runs:
     * like every recorded operation, it refuses to run after one of them was
     * {@linkplain Variable#assign assigned} (for example by an optimiser step).
     *
     * <p>A kernel with dropout ({@link dev.heed.attention.ScaledDotProductAttention#withDropout},
     * {@link dev.heed.attention.ChunkedAttention#withDropout}) drops in the backward exactly the weights
     * its forward dropped: the mask is regenerated from the kernel's seed, not stored. The same kernel
     * drops the same weights at every call, so a training loop passes a new seed per step (as
     * {@link TrainableMultiHeadAttention#dropout} does).
     *
     * @param kernel the attention to run; its scale, tiling and dropout apply to the backward too
     * @param query  {@code [..., L, d]}
     * @param key    {@code [..., S, d]}
     * @param value  {@code [..., S, dv]}
     * @param mask   the mask, a constant; {@link Mask#none()} for none
     * @return the output variable and the kernel's forward result
     * @throws IllegalArgumentException if an argument is null or the kernel rejects the shapes
     *                                  (the message names them)
     */
    public static Attended attention(Attention kernel, Variable query, Variable key, Variable value, Mask mask) {
        if (kernel == null || query == null || key == null || value == null || mask == null) {
            throw new IllegalArgumentException("attention needs a kernel, query, key, value and mask, got "
                    + Arrays.asList(kernel, query, key, value, mask));
        }
        AttentionResult forward = kernel.apply(query.value(), key.value(), value.value(), mask);
        Variable output = Variable.custom("attention", forward.output(), List.of(query, key, value), gradOutput -> {
            AttentionGradients g =
                    kernel.backward(query.value(), key.value(), value.value(), mask, forward, gradOutput);
            return Arrays.asList(
                    query.requiresGrad() ? g.query() : null,
                    key.requiresGrad() ? g.key() : null,
                    value.requiresGrad() ? g.value() : null);
        });
        return new Attended(output, forward);
    }
}
