package dev.heed.internal.attention;

/**
 * One attention backward call laid out for {@link BackwardKernels}: the forward
 * {@link AttentionProblem}, what the forward saved, the upstream gradient, and the gradient
 * buffers the kernels fill.
 *
 * <p>Not API. Every array is dense row-major over the broadcast batch {@code B} of the forward:
 * output and gradOutput {@code [B, L, dv]}, logSumExp, delta and rowEnd {@code [B, L]},
 * gradQuery {@code [B, L, d]}, gradKey {@code [B, S, d]}, gradValue {@code [B, S, dv]}. The
 * gradients are per batch element even where the forward shared one input between batch elements
 * (broadcast): each kernel call then writes only rows of its own, and the caller sums the shared
 * ones afterwards in a fixed order. The gradient buffers must start zeroed.
 */
public final class BackwardProblem {
    /** The forward problem: inputs, scale and mask. */
    public final AttentionProblem forward;
    /** {@code dO}, the upstream gradient. */
    public final double[] gradOutput;
    /** The forward's saved log-sum-exp. */
    public final double[] logSumExp;
    /** {@code D_i = Σ_c dO_ic · O_ic} per query row, {@code rowsum(dP ∘ P)} computed the cheap way; 0 for empty rows. */
    public final double[] delta;
    /** {@link MaskPlan#keyEnd} of every query row, asked once: the tile loops read it many times. */
    public final int[] rowEnd;
    /** {@link MaskPlan#keyStart} of every query row (0 unless a sliding window says otherwise). */
    public final int[] rowStart;
    /** {@code dQ}, written by the kernels. */
    public final double[] gradQuery;
    /** {@code dK}, written by the kernels. */
    public final double[] gradKey;
    /** {@code dV}, written by the kernels. */
    public final double[] gradValue;
    /**
     * Whether queries, keys, values and the upstream gradient are all finite. The tiled kernels
     * need it: they multiply a weight of exactly 0 (a blocked key, a row with nothing to attend to)
     * into the other operand, and {@code 0 · inf} would put NaN where the gradient is 0.
     */
    public final boolean finite;

    /** The partial gradients of the tensors the forward's score function reads; null without one. */
    public final ScorePartials scoreGradients;

    /**
     * @param forward    the forward problem; not modified
     * @param output     the forward's output {@code [B, L, dv]}; not modified
     * @param gradOutput {@code [B, L, dv]}; not modified
     * @param logSumExp  the forward's {@code [B, L]}; not modified
     * @param gradQuery  modified: zeroed {@code [B, L, d]}
     * @param gradKey    modified: zeroed {@code [B, S, d]}
     * @param gradValue  modified: zeroed {@code [B, S, dv]}
     */
    public BackwardProblem(
            AttentionProblem forward,
            double[] output,
            double[] gradOutput,
            double[] logSumExp,
            double[] gradQuery,
            double[] gradKey,
            double[] gradValue) {
        this.forward = forward;
        this.gradOutput = gradOutput;
        this.logSumExp = logSumExp;
        this.gradQuery = gradQuery;
        this.gradKey = gradKey;
        this.gradValue = gradValue;
        int rows = forward.batches * forward.queries;
        int dv = forward.valueDepth;
        this.delta = new double[rows];
        this.rowEnd = new int[rows];
        this.rowStart = new int[rows];
        for (int row = 0; row < rows; row++) {
            rowEnd[row] = forward.mask.keyEnd(row / forward.queries, row % forward.queries);
            rowStart[row] = forward.mask.keyStart(row / forward.queries, row % forward.queries);
            if (logSumExp[row] == Double.NEGATIVE_INFINITY) {
                continue; // nothing attended: O = 0, and D = 0 even when dO holds an infinity
            }
            double s = 0;
            for (int c = row * dv; c < (row + 1) * dv; c++) {
                s += gradOutput[c] * output[c];
            }
            delta[row] = s;
        }
        this.finite = AttentionProblem.allFinite(forward.q, forward.qOffset, forward.queries * forward.depth)
                && AttentionProblem.allFinite(forward.k, forward.kOffset, forward.keys * forward.depth)
                && forward.valuesFinite
                && AttentionProblem.allFinite(gradOutput, new int[] {0}, rows * dv);
        this.scoreGradients = forward.scoreMod == null ? null : new ScorePartials(forward.scoreMod.parameterSizes());
    }
}
