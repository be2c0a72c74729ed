package dev.heed.internal.attention;

/**
 * One attention call, checked and laid out for the kernels: {@code batches} independent
 * problems, each {@code softmax(scale · q kᵀ + mask) v} with q {@code [L, d]}, k
 * {@code [S, d]} and v {@code [S, dv]}.
 *
 * <p>Not API. Every matrix is row-major with unit column stride: row {@code i} of the query of
 * batch element {@code b} starts at {@code q[qOffset[b] + i·d]}; keys and values likewise with
 * row strides {@code d} and {@code dv}. Batch elements that broadcast share offsets. Outputs are
 * dense: output {@code [batches, L, dv]}, logSumExp {@code [batches, L]}, weights
 * {@code [batches, L, S]}.
 */
public final class AttentionProblem {
    public final int batches;
    public final int queries;
    public final int keys;
    public final int depth;
    public final int valueDepth;
    public final double scale;
    public final double[] q;
    public final double[] k;
    public final double[] v;
    public final int[] qOffset;
    public final int[] kOffset;
    public final int[] vOffset;
    public final MaskPlan mask;
    /** Whether every value element is finite: the tiled kernels need it (see {@link TiledKernels}). */
    public final boolean valuesFinite;

    public AttentionProblem(
            int batches,
            int queries,
            int keys,
            int depth,
            int valueDepth,
            double scale,
            double[] q,
            int[] qOffset,
            double[] k,
            int[] kOffset,
            double[] v,
            int[] vOffset,
            MaskPlan mask) {
        this.batches = batches;
        this.queries = queries;
        this.keys = keys;
        this.depth = depth;
        this.valueDepth = valueDepth;
        this.scale = scale;
        this.q = q;
        this.k = k;
        this.v = v;
        this.qOffset = qOffset;
        this.kOffset = kOffset;
        this.vOffset = vOffset;
        this.mask = mask;
        this.valuesFinite = allFinite(v, vOffset, keys * valueDepth);
    }

    /** Whether {@code v[off, off + length)} is finite for every distinct offset. */
    static boolean allFinite(double[] v, int[] offsets, int length) {
        int last = -1;
        for (int off : offsets) {
            if (off == last) {
                continue; // broadcast batch elements share their values
            }
            last = off;
            for (int i = off; i < off + length; i++) {
                if (!Double.isFinite(v[i])) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Floating-point operations of the two matrix products, 2·L·S·d + 2·L·S·dv per batch element. */
    public double flops() {
        return 2.0 * batches * queries * (double) keys * (depth + valueDepth);
    }
}
