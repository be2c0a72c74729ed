package dev.heed.train;

import dev.heed.attention.Attention;
import dev.heed.attention.AttentionGradients;
import dev.heed.attention.AttentionResult;
import dev.heed.attention.ChunkedAttention;
import dev.heed.attention.Mask;
import dev.heed.attention.ScaledDotProductAttention;
import dev.heed.attention.ScoreFunction;
import dev.heed.autograd.Variable;
import dev.heed.tensor.Tensor;
import java.util.ArrayList;
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

    /**
     * {@code kernel.apply(query, key, value, mask)} recorded for autograd, with gradients also for the tensors the
     * kernel's {@link ScoreFunction score function} reads: a T5 relative-position table, a learned bias. The
     * variables in {@code scoreParameters} must hold, in order, exactly the tensors of the score function's
     * {@link ScoreFunction#parameters()} (their {@link Variable#value()}, the same objects: build the function on
     * {@code table.value()}); each that requires a gradient gets {@link AttentionGradients#scoreParameters()}'s,
     * shaped like it. Since an optimiser writes a parameter in place, the function built once keeps reading the
     * current table. Otherwise as {@link #attention(Attention, Variable, Variable, Variable, Mask)}.
     *
     * @param kernel          a {@link ScaledDotProductAttention} or {@link ChunkedAttention} with a score function
     * @param query           {@code [..., L, d]}
     * @param key             {@code [..., S, d]}
     * @param value           {@code [..., S, dv]}
     * @param mask            the mask, a constant; {@link Mask#none()} for none
     * @param scoreParameters the variables whose values the score function reads, in the order of its parameters
     * @return the output variable and the kernel's forward result
     * @throws IllegalArgumentException if an argument is null, the kernel has no score function, its parameters are
     *                                  not the values of {@code scoreParameters} in order, or the kernel rejects the
     *                                  shapes (the message names them)
     */
    public static Attended attention(
            Attention kernel, Variable query, Variable key, Variable value, Mask mask, List<Variable> scoreParameters) {
        if (kernel == null
                || query == null
                || key == null
                || value == null
                || mask == null
                || scoreParameters == null) {
            throw new IllegalArgumentException("attention needs a kernel, query, key, value, mask and score "
                    + "parameters, got " + Arrays.asList(kernel, query, key, value, mask, scoreParameters));
        }
        ScoreFunction fn = kernel instanceof ScaledDotProductAttention s
                ? s.scoreFunction()
                : kernel instanceof ChunkedAttention c ? c.scoreFunction() : null;
        if (fn == null) {
            throw new IllegalArgumentException("score parameters need a ScaledDotProductAttention or ChunkedAttention "
                    + "with a score function, got " + kernel);
        }
        List<Tensor> tensors = fn.parameters();
        boolean same = tensors.size() == scoreParameters.size();
        for (int t = 0; same && t < tensors.size(); t++) {
            same = scoreParameters.get(t) != null && scoreParameters.get(t).value() == tensors.get(t);
        }
        if (!same) {
            throw new IllegalArgumentException("the score function " + fn + " reads " + tensors.size()
                    + " tensor(s), which must be the values of the " + scoreParameters.size()
                    + " score parameter(s) given, in order (build the function on variable.value())");
        }
        AttentionResult forward = kernel.apply(query.value(), key.value(), value.value(), mask);
        List<Variable> inputs = new ArrayList<>(List.of(query, key, value));
        inputs.addAll(scoreParameters);
        Variable output = Variable.custom("attention", forward.output(), inputs, gradOutput -> {
            AttentionGradients g =
                    kernel.backward(query.value(), key.value(), value.value(), mask, forward, gradOutput);
            List<Tensor> grads = new ArrayList<>(Arrays.asList(
                    query.requiresGrad() ? g.query() : null,
                    key.requiresGrad() ? g.key() : null,
                    value.requiresGrad() ? g.value() : null));
            for (int t = 0; t < scoreParameters.size(); t++) {
                grads.add(
                        scoreParameters.get(t).requiresGrad()
                                ? g.scoreParameters().get(t)
                                : null);
            }
            return grads;
        });
        return new Attended(output, forward);
    }
}
