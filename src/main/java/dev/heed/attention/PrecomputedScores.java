package dev.heed.attention;

import dev.heed.tensor.Tensor;

/**
 * Softmax attention over scores computed elsewhere: {@code weights = softmax(scores + mask)} over
 * the last axis and {@code output = weights · values}. Package-private: the additive, alignment
 * and hierarchical attentions compute their own scores and share this step.
 *
 * <p>It runs through {@link ScaledDotProductAttention} with queries and keys of zeros, so that
 * every kernel score is exactly 0, and the scores added as a {@link Mask#bias bias} ahead of the
 * caller's mask. Masks, rows that may attend to nothing (weights 0, output 0, logSumExp −∞) and
 * the stable softmax therefore behave exactly as everywhere else in Heed.
 */
final class PrecomputedScores {
    private static final ScaledDotProductAttention KERNEL = new ScaledDotProductAttention().withScale(1.0);

    private PrecomputedScores() {}

    /**
     * @param scores {@code [B, L, S]}, finite where allowed; not modified
     * @param values {@code [B, S, dv]}; not modified
     * @param mask   broadcast against {@code [B, L, S]}
     * @return output {@code [B, L, dv]}, weights {@code [B, L, S]}, logSumExp {@code [B, L]}; new tensors
     */
    static AttentionResult attend(Tensor scores, Tensor values, Mask mask) {
        int batch = scores.shape(0);
        Tensor queries = Tensor.zeros(batch, scores.shape(1), 1);
        Tensor keys = Tensor.zeros(batch, scores.shape(2), 1);
        return KERNEL.apply(queries, keys, values, Mask.bias(scores).and(mask));
    }
}
