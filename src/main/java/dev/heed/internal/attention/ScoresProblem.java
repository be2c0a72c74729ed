package dev.heed.internal.attention;

/**
 * One call of attention over scores the caller computed, checked and laid out for the kernels:
 * {@code batches} independent problems, each {@code softmax(scores + mask) · v} with scores
 * {@code [L, S]} and v {@code [S, dv]}. The twin of {@link AttentionProblem}, with the scores in
 * place of {@code scale · q kᵀ}.
 *
 * <p>Not API. The scores are read where the caller keeps them, through any strides (0 for a
 * broadcast axis, negative for a reversed one): score {@code (i, j)} of batch element {@code b} is
 * {@code scores[scoresOffset[b] + i·rowStride + j·colStride]}. Values are row-major with unit
 * column stride: row {@code j} of batch element {@code b} starts at {@code v[vOffset[b] + j·dv]}.
 * Outputs are dense: weights {@code [batches, L, S]}, output {@code [batches, L, dv]}, logSumExp
 * {@code [batches, L]}.
 */
public final class ScoresProblem {
    public final int batches;
    public final int queries;
    public final int keys;
    public final int valueDepth;
    public final double[] scores;
    public final int[] scoresOffset;
    public final int rowStride;
    public final int colStride;
    public final double[] v;
    public final int[] vOffset;
    public final MaskPlan mask;
    /** Whether every value element is finite: then weights times values is one matrix product per tile. */
    public final boolean valuesFinite;

    public ScoresProblem(
            int batches,
            int queries,
            int keys,
            int valueDepth,
            double[] scores,
            int[] scoresOffset,
            int rowStride,
            int colStride,
            double[] v,
            int[] vOffset,
            MaskPlan mask) {
        this.batches = batches;
        this.queries = queries;
        this.keys = keys;
        this.valueDepth = valueDepth;
        this.scores = scores;
        this.scoresOffset = scoresOffset;
        this.rowStride = rowStride;
        this.colStride = colStride;
        this.v = v;
        this.vOffset = vOffset;
        this.mask = mask;
        this.valuesFinite = AttentionProblem.allFinite(v, vOffset, keys * valueDepth);
    }

    /** Floating-point operations of the one matrix product, 2·L·S·dv per batch element. */
    public double flops() {
        return 2.0 * batches * queries * (double) keys * valueDepth;
    }
}
