package dev.heed.internal.attention;

import dev.heed.internal.Parallel;
import dev.heed.internal.linalg.BatchedMatrices;
import dev.heed.internal.vector.KernelSupport;

/**
 * The backward of attention over given scores ({@link ScoresProblem}): one call laid out for the
 * kernels, and the kernels. Not API: arguments are assumed valid.
 *
 * <p>For one batch element, with {@code P} the forward's weights {@code [L, S]}, {@code O} its
 * output, {@code dO} the upstream gradient and {@code V} the values: {@code dV = Pᵀ dO},
 * {@code dP = dO Vᵀ}, {@code dS = P ∘ (dP − D)} with {@code D = rowsum(dO ∘ O)} — the backward of
 * {@link BackwardKernels} stopped at the scores, which here are the input. The mask is a constant.
 *
 * <p>Every array is dense row-major over the broadcast batch {@code B}: weights and gradScores
 * {@code [B, L, S]}, output and gradOutput {@code [B, L, dv]}, logSumExp, delta and rowEnd
 * {@code [B, L]}, gradValue {@code [B, S, dv]}. Gradients are per batch element even where the
 * forward shared an input between batch elements; the caller sums them back afterwards. Each
 * kernel call writes only rows of its own, so the results are bitwise the same for any thread
 * count. The gradient buffers must start zeroed.
 *
 * <p>Two ways to compute it: {@link #queries} then {@link #keys}, matrix products over tiles, when
 * {@link #finite}; otherwise {@link #exact}, row by row, skipping every pair whose weight is 0, so
 * that an infinity behind a blocked key (or in a row with nothing to attend to) does not turn a
 * zero gradient into {@code 0 · inf = NaN}.
 */
public final class ScoreBackward {
    /** The forward problem: values and mask (its scores are not read: the weights replace them). */
    public final ScoresProblem forward;
    /** The forward's weights {@code P}. */
    public final double[] weights;
    /** {@code dO}. */
    public final double[] gradOutput;
    /** The forward's log-sum-exp: {@code -inf} marks a row with nothing to attend to. */
    public final double[] logSumExp;
    /** {@code D_i = Σ_c dO_ic · O_ic}; 0 for a row with nothing to attend to. */
    public final double[] delta;
    /** {@link MaskPlan#keyEnd} of every row, asked once. */
    public final int[] rowEnd;
    /** {@code dS}, written by the kernels. */
    public final double[] gradScores;
    /** {@code dV}, written by the kernels. */
    public final double[] gradValue;
    /**
     * Whether the values, the upstream gradient, every {@code D} and every log-sum-exp are finite
     * or {@code -inf} (the latter for the log-sum-exp only): then the tiled kernels give the exact
     * answer. A NaN row of the forward (a NaN or {@code +inf} score at an allowed key) or an
     * infinite input sends the call to {@link #exact}.
     */
    public final boolean finite;

    /**
     * @param forward    the forward problem; not modified
     * @param weights    {@code [B, L, S]}; not modified
     * @param output     {@code [B, L, dv]}; not modified
     * @param gradOutput {@code [B, L, dv]}; not modified
     * @param logSumExp  {@code [B, L]}; not modified
     * @param gradScores modified: zeroed {@code [B, L, S]}
     * @param gradValue  modified: zeroed {@code [B, S, dv]}
     */
    public ScoreBackward(
            ScoresProblem forward,
            double[] weights,
            double[] output,
            double[] gradOutput,
            double[] logSumExp,
            double[] gradScores,
            double[] gradValue) {
        this.forward = forward;
        this.weights = weights;
        this.gradOutput = gradOutput;
        this.logSumExp = logSumExp;
        this.gradScores = gradScores;
        this.gradValue = gradValue;
        int L = forward.queries;
        int dv = forward.valueDepth;
        int rows = forward.batches * L;
        this.delta = new double[rows];
        this.rowEnd = new int[rows];
        boolean ok = forward.valuesFinite;
        for (int row = 0; row < rows; row++) {
            rowEnd[row] = forward.mask.keyEnd(row / L, row % L);
            double lse = logSumExp[row];
            double s = 0;
            for (int c = row * dv; c < (row + 1) * dv; c++) {
                ok &= Double.isFinite(gradOutput[c]);
                s += gradOutput[c] * output[c];
            }
            if (lse == Double.NEGATIVE_INFINITY) {
                continue; // nothing attended: O = 0, and D = 0 even when dO holds an infinity
            }
            delta[row] = s;
            ok &= Double.isFinite(s) && !Double.isNaN(lse) && lse != Double.POSITIVE_INFINITY;
        }
        this.finite = ok;
    }

    /**
     * {@code dS} for queries {@code [i0, i1)} of batch element {@code b}: {@code dP = dO Vᵀ}
     * written into the {@code dS} rows (keys up to the tile's last visible one), then
     * {@code dS = P ∘ (dP − D)} in place. Keys past a row's end keep {@code dS = 0}.
     *
     * @param s        the inner loops
     * @param vt       the values transposed by {@link #transposeValues}
     * @param vtOffset where each batch element's transposed values start
     */
    public void queries(KernelSupport s, double[] vt, int[] vtOffset, int b, int i0, int i1) {
        ScoresProblem p = forward;
        int L = p.queries;
        int S = p.keys;
        int dv = p.valueDepth;
        int rows = i1 - i0;
        int row0 = b * L + i0;
        int tileEnd = 0;
        for (int r = 0; r < rows; r++) {
            tileEnd = Math.max(tileEnd, rowEnd[row0 + r]);
        }
        int w0 = row0 * S;
        // dP[rows × tileEnd] = dO[i0 : i1] · Vᵀ[:, 0 : tileEnd], in place of the dS rows (row stride S).
        s.gemm(rows, tileEnd, dv, gradOutput, row0 * dv, dv, 1, vt, vtOffset[b], S, gradScores, w0, S, false);
        for (int r = 0; r < rows; r++) {
            s.subtractMultiply(gradScores, w0 + r * S, tileEnd, delta[row0 + r], weights, w0 + r * S);
        }
    }

    /**
     * {@code dV = Pᵀ dO} for keys {@code [j0, j1)} of batch element {@code b}, {@code Pᵀ} read
     * through strides. Query rows before the first one that may see key {@code j0} are skipped (the
     * upper triangle of a causal mask); later rows that may not see these keys add exact zeros.
     *
     * @param s the inner loops
     */
    public void keys(KernelSupport s, int b, int j0, int j1) {
        ScoresProblem p = forward;
        int L = p.queries;
        int S = p.keys;
        int dv = p.valueDepth;
        int first = 0;
        while (first < L && rowEnd[b * L + first] <= j0) {
            first++;
        }
        int rows = L - first;
        if (rows == 0) {
            return; // no query sees these keys: their gradients stay 0
        }
        s.gemm(
                j1 - j0,
                dv,
                rows,
                weights,
                (b * L + first) * S + j0,
                1,
                S,
                gradOutput,
                (b * L + first) * dv,
                dv,
                gradValue,
                (b * S + j0) * dv,
                dv,
                false);
    }

    /**
     * The whole backward of batch element {@code b}, one query row and one key at a time. A pair
     * whose weight is exactly 0 (blocked, or underflowed) is skipped, so an infinity in a value or
     * in the upstream gradient where no weight falls leaves the gradients it would otherwise meet
     * at 0. A NaN row of the forward has NaN weights at every key, blocked ones included; there the
     * blocked keys are found again from the scores and the mask, as the forward found them, and
     * skipped, so NaN reaches the row's allowed keys only.
     */
    public void exact(int b) {
        ScoresProblem p = forward;
        int L = p.queries;
        int S = p.keys;
        int dv = p.valueDepth;
        double[] blocked = null;
        for (int i = 0; i < L; i++) {
            int row = b * L + i;
            if (logSumExp[row] == Double.NEGATIVE_INFINITY) {
                continue; // nothing attended: no gradient from or to this row
            }
            int oi = row * dv;
            int end = rowEnd[row];
            boolean nanRow = Double.isNaN(logSumExp[row]);
            if (nanRow) {
                // The forward's masked scores of this row: -inf exactly where a key is blocked.
                blocked = blocked == null ? new double[S] : blocked;
                for (int j = 0, q = p.scoresOffset[b] + i * p.rowStride; j < end; j++, q += p.colStride) {
                    blocked[j] = p.scores[q];
                }
                if (p.mask.isElementwise()) {
                    p.mask.apply(b, i, 0, end, blocked, 0, 1);
                }
            }
            for (int j = 0; j < end; j++) {
                double pj = weights[row * S + j];
                if (pj == 0 || nanRow && blocked[j] == Double.NEGATIVE_INFINITY) {
                    continue;
                }
                int vj = p.vOffset[b] + j * dv;
                int gj = (b * S + j) * dv;
                double dp = 0;
                for (int c = 0; c < dv; c++) {
                    gradValue[gj + c] += pj * gradOutput[oi + c];
                    dp += gradOutput[oi + c] * p.v[vj + c];
                }
                gradScores[row * S + j] = pj * (dp - delta[row]);
            }
        }
    }

    /**
     * The values of every distinct batch element transposed to {@code [dv, S]}, for
     * {@link #queries}; {@code offsets[b]} receives where batch element {@code b}'s copy starts.
     * Batch elements that share their values (broadcast) share the copy.
     */
    public static double[] transposeValues(ScoresProblem p, int[] offsets, int parallelism) {
        int S = p.keys;
        int dv = p.valueDepth;
        BatchedMatrices.Distinct distinct = BatchedMatrices.distinct(p.vOffset);
        for (int b = 0; b < p.batches; b++) {
            offsets[b] = distinct.slot(b) * S * dv;
        }
        int blocks = distinct.count();
        double[] vt = new double[blocks * S * dv];
        Parallel.forEach(
                blocks,
                2.0 * blocks * S * dv,
                parallelism,
                t -> TiledKernels.transposeBlock(p.v, distinct.offset(t), S, dv, vt, t * S * dv));
        return vt;
    }
}
