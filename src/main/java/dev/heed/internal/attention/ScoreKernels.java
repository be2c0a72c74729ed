package dev.heed.internal.attention;

import dev.heed.internal.Softmax;
import dev.heed.internal.vector.KernelSupport;
import java.util.Arrays;

/**
 * The kernel behind attention over given scores ({@link ScoresProblem}). Not API: arguments are
 * assumed valid.
 *
 * <p>For a tile of query rows it builds each weights row from its scores row — copied in through
 * the scores' strides (the weights are an output, so this is the one write they need), keys at or
 * past {@link MaskPlan#keyEnd} left at 0 and never read, the elementwise mask applied, then the
 * {@link Softmax} in place — and then multiplies the weights into the values: with finite values
 * as one matrix product over the tile (as {@link TiledKernels#materialised} does), otherwise row by
 * row so that a blocked key contributes exactly nothing (as {@link RowKernels#materialised} does).
 *
 * <p>Each call writes only its own rows of the outputs, so callers run tiles in parallel and get
 * bitwise the same results whatever the thread count.
 */
public final class ScoreKernels {
    private ScoreKernels() {}

    /**
     * Weights, output and log-sum-exp of queries {@code [i0, i1)} of batch element {@code b}.
     *
     * @param s       the inner loops
     * @param weights modified: rows {@code [i0, i1)} of {@code [L, S]} at {@code b·L·S}
     * @param out     modified: rows {@code [i0, i1)} of {@code [L, dv]} at {@code b·L·dv}
     * @param lse     modified: entries {@code [i0, i1)} at {@code b·L}
     */
    public static void forward(
            KernelSupport s, ScoresProblem p, int b, int i0, int i1, double[] weights, double[] out, double[] lse) {
        int L = p.queries;
        int S = p.keys;
        int dv = p.valueDepth;
        boolean exact = !p.valuesFinite;
        int w0 = (b * L + i0) * S;
        for (int i = i0; i < i1; i++) {
            int w = w0 + (i - i0) * S;
            int end = p.mask.keyEnd(b, i);
            for (int j = 0, q = p.scoresOffset[b] + i * p.rowStride; j < end; j++, q += p.colStride) {
                weights[w + j] = p.scores[q];
            }
            Arrays.fill(weights, w + end, w + S, 0.0);
            if (p.mask.isElementwise()) {
                p.mask.apply(b, i, 0, end, weights, w, 1);
            }
            if (exact) {
                lse[b * L + i] = Softmax.inPlaceMarkingBlocked(s, weights, w, end);
                RowKernels.weightedValues(
                        weights, w, end, lse[b * L + i], p.v, p.vOffset[b], dv, out, (b * L + i) * dv);
            } else {
                lse[b * L + i] = Softmax.inPlace(s, weights, w, end);
            }
        }
        if (!exact) {
            // O[rows × dv] = W[rows × tileEnd] · V[0 : tileEnd]; a row with nothing to attend to has zero weights.
            int tileEnd = p.mask.keyEnd(b, i0, i1);
            s.gemm(i1 - i0, dv, tileEnd, weights, w0, S, 1, p.v, p.vOffset[b], dv, out, (b * L + i0) * dv, dv, false);
        }
    }
}
