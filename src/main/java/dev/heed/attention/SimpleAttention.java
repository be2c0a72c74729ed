package dev.heed.attention;

import dev.heed.tensor.Tensor;
import java.util.Arrays;

/**
 * The plainest attention: unscaled dot-product scores, a softmax, a weighted sum of values —
 * the first example of the attention tutorial, done stably.
 *
 * <p>Shapes: a single query {@code [d]} with key {@code [S, d]} and value {@code [S, dv]} gives
 * output {@code [dv]}, weights {@code [S]} and logSumExp {@code []} (0-d); many queries
 * {@code [..., L, d]} behave as {@link ScaledDotProductAttention} with scale 1. Masks apply as
 * everywhere else (for a single query, as to scores {@code [1, S]}).
 *
 * <p>Without the {@code 1/sqrt(d)} scale, scores grow with {@code d} and the softmax saturates
 * for large vectors; that is why transformers scale. Immutable and thread-safe.
 */
public final class SimpleAttention implements Attention {
    private static final ScaledDotProductAttention UNSCALED = new ScaledDotProductAttention().withScale(1.0);

    /** Unscaled dot-product attention. */
    public SimpleAttention() {}

    /**
     * Attends with unscaled scores {@code q·k}.
     *
     * <p>A single query {@code [d]} is treated as {@code [1, d]} and the query axis is dropped from
     * the result: with key {@code [..., S, d]} and value {@code [..., S, dv]} it gives output
     * {@code [..., dv]}, weights {@code [..., S]} and log-sum-exp {@code [...]} (0-d for a key of
     * rank 2). Any other query behaves exactly as {@link ScaledDotProductAttention} with scale 1.
     * A query that may attend to nothing gets output 0, weights 0 and log-sum-exp {@code -inf}.
     *
     * @param query {@code [d]} or {@code [..., L, d]}; not modified
     * @param key   {@code [..., S, d]}; not modified
     * @param value {@code [..., S, dv]}; not modified
     * @param mask  broadcast against the scores {@code [..., L, S]} ({@code [..., 1, S]} for a
     *              single query); {@link Mask#none()} for all
     * @return output, weights and log-sum-exp as above; new tensors (for a single query, views of
     *         new tensors with the query axis squeezed out), none a view of an input
     * @throws IllegalArgumentException if an argument is null, the key or value has rank below 2,
     *                                  {@code d} or {@code S} differ, the batch axes or the mask do
     *                                  not broadcast, or the weights would exceed 2³¹−1 elements
     */
    @Override
    public AttentionResult apply(Tensor query, Tensor key, Tensor value, Mask mask) {
        if (query != null && query.rank() == 1) {
            AttentionResult r = UNSCALED.apply(query.unsqueeze(0), key, value, mask);
            return new AttentionResult(
                    r.output().squeeze(-2),
                    r.weights().squeeze(-2),
                    r.logSumExp().squeeze(-1));
        }
        return UNSCALED.apply(query, key, value, mask);
    }

    /**
     * {@inheritDoc}
     *
     * <p>For a single query {@code [d]} the forward's shapes are those {@link #apply} gives it
     * (output {@code [dv]}, logSumExp {@code []}), and the query's gradient is {@code [d]}.
     */
    @Override
    public AttentionGradients backward(
            Tensor query, Tensor key, Tensor value, Mask mask, AttentionResult forward, Tensor gradOutput) {
        if (query != null && query.rank() == 1 && forward != null && gradOutput != null) {
            if (forward.output().rank() == 0 || gradOutput.rank() == 0) {
                throw new IllegalArgumentException("for a single query " + Arrays.toString(query.shape())
                        + " the output is [..., dv]: got forward.output() "
                        + Arrays.toString(forward.output().shape())
                        + " and gradOutput " + Arrays.toString(gradOutput.shape()));
            }
            AttentionResult batched = new AttentionResult(
                    forward.output().unsqueeze(-2),
                    forward.weights().unsqueeze(-2),
                    forward.logSumExp().unsqueeze(-1));
            AttentionGradients g =
                    UNSCALED.backward(query.unsqueeze(0), key, value, mask, batched, gradOutput.unsqueeze(-2));
            return new AttentionGradients(g.query().squeeze(-2), g.key(), g.value());
        }
        return UNSCALED.backward(query, key, value, mask, forward, gradOutput);
    }

    @Override
    public String toString() {
        return "SimpleAttention{}";
    }
}
