package dev.heed.internal.attention;

/**
 * A score function bound to one attention call, FlexAttention's {@code score_mod}: every kernel replaces each score
 * {@code s} (after the scale and the soft cap, before the mask) by {@code f(s)}, and the backward passes the gradient
 * of {@code f(s)} back through it. Not API: {@code dev.heed.attention} adapts its public {@code ScoreFunction} to it.
 *
 * <p>Batch elements are the problem's, numbered row-major over the batch axes. Implementations are called from many
 * threads at once and must be stateless apart from what {@link ScorePartials.Partial} holds.
 */
public interface ScoreMod {
    /**
     * Replaces the scores of queries {@code [i0, i0 + rows)} and keys {@code [j0, j0 + n)} of batch element
     * {@code batch}, held at {@code x[off + r·rowStride + j·colStride]}, by the function's values, in place.
     *
     * @param x modified
     */
    void apply(int batch, int i0, int rows, int j0, int n, double[] x, int off, int rowStride, int colStride);

    /**
     * The backward at one pair: hands {@code gradient}, the loss's gradient with respect to {@code f(score)}, to the
     * gradients of the tensors the function reads (into {@code partial}), and returns the gradient with respect to
     * {@code score}, {@code gradient · f'(score)}.
     *
     * @param partial modified: the calling task's own partial sums
     */
    double backward(int batch, int query, int key, double score, double gradient, ScorePartials.Partial partial);

    /** The number of elements of each tensor the function reads and gives a gradient to; empty for none. */
    int[] parameterSizes();
}
