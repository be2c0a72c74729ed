package dev.heed.internal.attention;

import dev.heed.internal.Parallel;
import dev.heed.internal.vector.KernelSupport;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The backward of softmax attention on a {@link BackwardProblem}. Not API: arguments are assumed
 * valid.
 *
 * <p>For one batch element, with {@code P} the weights, {@code O} the output and {@code dO} the
 * upstream gradient: {@code dV = Pᵀ dO}, {@code dP = dO Vᵀ}, {@code dS = P ∘ (dP − D)} with
 * {@code D = rowsum(dO ∘ O)} (equal to {@code rowsum(dP ∘ P)}), {@code dQ = scale · dS K},
 * {@code dK = scale · dSᵀ Q}. Masks and biases are constants: they shape {@code P} and get no
 * gradient. With a soft cap ({@link AttentionProblem#softCap}) each {@code dS} is first multiplied
 * by the cap's derivative {@code 1 − tanh²} at its score.
 *
 * <p>Three ways to compute it:
 * <ul>
 *   <li>{@link #materialisedQueries} then {@link #materialisedKeys}: from the forward's
 *       materialised weights, {@code dS} materialised too ({@code L × S}).</li>
 *   <li>{@link #chunkedKeys} and {@link #chunkedQueries}: FlashAttention-2's backward, never more
 *       than one {@code queryChunk × keyChunk} tile: each score tile is recomputed from q, k and the
 *       saved log-sum-exp, {@code P = exp(scale·q kᵀ + mask − lse)}. The key pass owns dK and dV
 *       of one key tile and visits the query tiles in order; the query pass owns dQ of one query
 *       tile and visits the key tiles in order. No sum is split between tasks, so results are
 *       bitwise the same for any thread count — at the price of computing the scores and
 *       {@code dP} twice (14·L·S·d flops against FlashAttention-2's 10, whose dQ is summed with
 *       atomic adds in whatever order the key tiles finish).</li>
 *   <li>{@link #exact}: row by row, skipping every pair whose weight is 0, for inputs holding an
 *       infinity or NaN (see {@link BackwardProblem#finite}).</li>
 * </ul>
 * Tiles whose keys lie past every row's {@link MaskPlan#keyEnd} are skipped in all of them. Every
 * call writes only its own rows of the gradients; scratch is per thread.
 */
public final class BackwardKernels {
    private final KernelSupport s;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    /** Backward kernels whose inner loops run on {@code support}. */
    public BackwardKernels(KernelSupport support) {
        this.s = support;
    }

    /** The support the tiles run on. */
    public KernelSupport support() {
        return s;
    }

    // ------------------------------------------------------------------ from the materialised weights

    /**
     * {@code dS} and {@code dQ} for queries {@code [i0, i1)} of batch element {@code b}:
     * {@code dP = dO Vᵀ} written into the {@code dS} rows, {@code dS = P ∘ (dP − D)} in place,
     * {@code dQ = scale · dS K}.
     *
     * @param weights the forward's weights {@code [B, L, S]}; not modified
     * @param vt      the values transposed by {@link #transposeValues}
     * @param ds      modified: rows {@code [i0, i1)} of {@code [B, L, S]}, which must start zeroed
     */
    public void materialisedQueries(
            BackwardProblem g, double[] weights, double[] vt, int[] vtOffset, double[] ds, int b, int i0, int i1) {
        AttentionProblem p = g.forward;
        int L = p.queries;
        int S = p.keys;
        int d = p.depth;
        int dv = p.valueDepth;
        int rows = i1 - i0;
        int row0 = b * L + i0;
        int tileEnd = 0;
        int tileStart = S;
        for (int r = 0; r < rows; r++) {
            tileEnd = Math.max(tileEnd, g.rowEnd[row0 + r]);
            tileStart = Math.min(tileStart, g.rowStart[row0 + r]);
        }
        // Keys outside [tileStart, tileEnd) have P = 0 for every row (a sliding window, causal):
        // their dS stays as allocated, 0, and they are never multiplied.
        tileStart = Math.min(tileStart, tileEnd);
        int width = tileEnd - tileStart;
        int w0 = row0 * S + tileStart;
        // dP[rows × width] = dO[i0 : i1] · Vᵀ[:, tileStart : tileEnd], in place of the dS rows (row stride S).
        s.gemm(rows, width, dv, g.gradOutput, row0 * dv, dv, 1, vt, vtOffset[b] + tileStart, S, ds, w0, S, false);
        for (int r = 0; r < rows; r++) {
            // Keys past a row's end have P = 0, hence dS = 0.
            s.subtractMultiply(ds, w0 + r * S, width, g.delta[row0 + r], weights, w0 + r * S);
        }
        if (p.softCap != 0) {
            softCapMaterialised(p, b, i0, rows, tileStart, width, ds, w0, S);
        }
        int qo = row0 * d;
        s.gemm(rows, d, width, ds, w0, S, 1, p.k, p.kOffset[b] + tileStart * d, d, g.gradQuery, qo, d, false);
        s.scale(g.gradQuery, qo, rows * d, p.scale);
    }

    /**
     * Turns the materialised {@code dS} of capped scores into that of the scaled ones: the weights
     * do not keep the scores, so {@code Sᵀ = K Qᵀ} is recomputed for the tile (as the forward
     * computed it) and each {@code dS} multiplied by the cap's derivative there.
     */
    private void softCapMaterialised(
            AttentionProblem p, int b, int i0, int rows, int j0, int width, double[] ds, int w0, int S) {
        int d = p.depth;
        Scratch w = scratch.get();
        double[] qt = w.packedA = grow(w.packedA, d * rows);
        double[] st = w.scores = grow(w.scores, width * rows);
        TiledKernels.transposeBlock(p.q, p.qOffset[b] + i0 * d, rows, d, qt, 0);
        s.gemm(width, rows, d, p.k, p.kOffset[b] + j0 * d, d, 1, qt, 0, rows, st, 0, rows, false);
        p.toScores(s, st, 0, width * rows);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < width; j++) {
                ds[w0 + r * S + j] *= p.softCapDerivative(st[j * rows + r]);
            }
        }
    }

    /** {@code factor[i] = } the soft cap's derivative at capped score {@code scores[i]}, for {@code i < n}. */
    private static void softCapFactors(AttentionProblem p, double[] scores, double[] factor, int n) {
        for (int i = 0; i < n; i++) {
            factor[i] = p.softCapDerivative(scores[i]);
        }
    }

    /** {@code x[i] *= factor[i]} for {@code i < n}. */
    private static void multiply(double[] x, double[] factor, int n) {
        for (int i = 0; i < n; i++) {
            x[i] *= factor[i];
        }
    }

    /**
     * {@code dV = Pᵀ dO} and {@code dK = scale · dSᵀ Q} for keys {@code [j0, j1)} of batch element
     * {@code b}, both transposes read through strides. Query rows before the first one that may
     * see key {@code j0} are skipped (the upper triangle of a causal mask); later rows that may not
     * see these keys add exact zeros.
     *
     * @param weights the forward's weights {@code [B, L, S]}; not modified
     * @param ds      {@code dS} from {@link #materialisedQueries} for every query of {@code b}
     */
    public void materialisedKeys(BackwardProblem g, double[] weights, double[] ds, int b, int j0, int j1) {
        AttentionProblem p = g.forward;
        int L = p.queries;
        int S = p.keys;
        int d = p.depth;
        int dv = p.valueDepth;
        int n = j1 - j0;
        int first = 0;
        while (first < L && g.rowEnd[b * L + first] <= j0) {
            first++;
        }
        // Likewise the last rows, when their windows start past these keys (a sliding window).
        int last = L;
        while (last > first && g.rowStart[b * L + last - 1] >= j1) {
            last--;
        }
        int rows = last - first;
        if (rows == 0) {
            return; // no query sees these keys: their gradients stay 0
        }
        int a0 = (b * L + first) * S + j0;
        s.gemm(
                n,
                dv,
                rows,
                weights,
                a0,
                1,
                S,
                g.gradOutput,
                (b * L + first) * dv,
                dv,
                g.gradValue,
                (b * S + j0) * dv,
                dv,
                false);
        int ko = (b * S + j0) * d;
        s.gemm(n, d, rows, ds, a0, 1, S, p.q, p.qOffset[b] + first * d, d, g.gradKey, ko, d, false);
        s.scale(g.gradKey, ko, n * d, p.scale);
    }

    /**
     * The values of every distinct batch element transposed to {@code [dv, S]}, for
     * {@link #materialisedQueries}; {@code offsets[b]} receives where batch element {@code b}'s copy
     * starts. Batch elements that share their values (broadcast) share the copy.
     */
    public static double[] transposeValues(AttentionProblem p, int[] offsets, int parallelism) {
        int S = p.keys;
        int dv = p.valueDepth;
        int[] sources = new int[p.batches];
        int distinct = 0;
        Map<Integer, Integer> seen = new HashMap<>();
        for (int b = 0; b < p.batches; b++) {
            Integer at = seen.get(p.vOffset[b]);
            if (at == null) {
                at = distinct;
                seen.put(p.vOffset[b], at);
                sources[distinct++] = p.vOffset[b];
            }
            offsets[b] = at * S * dv;
        }
        double[] vt = new double[distinct * S * dv];
        Parallel.forEach(
                distinct,
                2.0 * distinct * S * dv,
                parallelism,
                t -> TiledKernels.transposeBlock(p.v, sources[t], S, dv, vt, t * S * dv));
        return vt;
    }

    // ------------------------------------------------------------------ FlashAttention-2, recomputed tiles

    /**
     * {@code dK} and {@code dV} for keys {@code [j0, j1)} of batch element {@code b}. With this key
     * tile's {@code Kᵀ} and {@code Vᵀ} packed once, for each query tile of {@code queryChunk} rows
     * in order (skipping tiles none of whose rows may see these keys): {@code S = scale · Q Kᵀ} plus
     * the mask, {@code P = exp(S − lse)} row by row, {@code dV += Pᵀ dO}, {@code dP = dO Vᵀ},
     * {@code dS = P ∘ (dP − D)}, {@code dK += dSᵀ Q}; finally {@code dK *= scale}. Tiles are
     * {@code rows × n}, queries down, keys across.
     */
    public void chunkedKeys(BackwardProblem g, int queryChunk, int b, int j0, int j1) {
        AttentionProblem p = g.forward;
        int L = p.queries;
        int d = p.depth;
        int dv = p.valueDepth;
        int n = j1 - j0;
        Scratch w = scratch.get();
        double[] kt = w.packedA = grow(w.packedA, d * n);
        double[] vt = w.packedB = grow(w.packedB, dv * n);
        double[] st = w.scores = grow(w.scores, queryChunk * n);
        double[] dp = w.gradScores = grow(w.gradScores, queryChunk * n);
        boolean capped = p.softCap != 0;
        double[] capGrad = capped ? (w.capGrad = grow(w.capGrad, queryChunk * n)) : null;
        TiledKernels.transposeBlock(p.k, p.kOffset[b] + j0 * d, n, d, kt, 0);
        TiledKernels.transposeBlock(p.v, p.vOffset[b] + j0 * dv, n, dv, vt, 0);
        boolean elementwise = p.mask.isElementwise();
        int ko = (b * p.keys + j0) * d;
        int vo = (b * p.keys + j0) * dv;
        for (int i0 = 0; i0 < L; i0 += queryChunk) {
            int rows = Math.min(queryChunk, L - i0);
            int row0 = b * L + i0;
            int maxEnd = 0;
            int minEnd = p.keys;
            int minStart = p.keys;
            for (int r = 0; r < rows; r++) {
                maxEnd = Math.max(maxEnd, g.rowEnd[row0 + r]);
                minEnd = Math.min(minEnd, g.rowEnd[row0 + r]);
                minStart = Math.min(minStart, g.rowStart[row0 + r]);
            }
            if (maxEnd <= j0 || minStart >= j1 || p.mask.blocksAll(b, i0, i0 + rows, j0, j1)) {
                continue; // every row of this query tile is blocked from these keys
            }
            int qo = p.qOffset[b] + i0 * d;
            // The same products in the same order as the forward's tiles: bitwise the forward's scores.
            s.gemm(rows, n, d, p.q, qo, d, 1, kt, 0, n, st, 0, n, false);
            p.toScores(s, st, 0, rows * n);
            if (capped) {
                softCapFactors(p, st, capGrad, rows * n);
            }
            if (elementwise || j0 + n > minEnd) {
                maskRows(p, g.rowEnd, b, i0, rows, j0, n, st);
            }
            for (int r = 0; r < rows; r++) {
                s.expShiftSum(st, r * n, n, shift(g.logSumExp[row0 + r]));
            }
            // dV[n × dv] += Pᵀ · dO[i0 : i1], reading Pᵀ through strides.
            s.gemm(n, dv, rows, st, 0, 1, n, g.gradOutput, row0 * dv, dv, g.gradValue, vo, dv, true);
            s.gemm(rows, n, dv, g.gradOutput, row0 * dv, dv, 1, vt, 0, n, dp, 0, n, false);
            for (int r = 0; r < rows; r++) {
                s.subtractMultiply(dp, r * n, n, g.delta[row0 + r], st, r * n);
            }
            if (capped) {
                multiply(dp, capGrad, rows * n);
            }
            // dK[n × d] += dSᵀ · Q[i0 : i1].
            s.gemm(n, d, rows, dp, 0, 1, n, p.q, qo, d, g.gradKey, ko, d, true);
        }
        s.scale(g.gradKey, ko, n * d, p.scale);
    }

    /**
     * {@code dQ} for queries {@code [i0, i1)} of batch element {@code b}. With this query tile's
     * {@code Qᵀ} and {@code dOᵀ} packed once, for each key tile of {@code keyChunk} keys in order up
     * to the tile's last visible key: {@code Sᵀ = scale · K Qᵀ} plus the mask (keys down, queries
     * across, as in the forward), {@code Pᵀ = exp(Sᵀ − lse)}, {@code dPᵀ = V dOᵀ},
     * {@code dSᵀ = Pᵀ ∘ (dPᵀ − D)}, {@code dQ += dS K}; finally {@code dQ *= scale}.
     */
    public void chunkedQueries(BackwardProblem g, int keyChunk, int b, int i0, int i1) {
        AttentionProblem p = g.forward;
        int L = p.queries;
        int d = p.depth;
        int dv = p.valueDepth;
        int rows = i1 - i0;
        int row0 = b * L + i0;
        Scratch w = scratch.get();
        double[] qt = w.packedA = grow(w.packedA, d * rows);
        double[] dot = w.packedB = grow(w.packedB, dv * rows);
        double[] st = w.scores = grow(w.scores, keyChunk * rows);
        double[] dpt = w.gradScores = grow(w.gradScores, keyChunk * rows);
        boolean capped = p.softCap != 0;
        double[] capGrad = capped ? (w.capGrad = grow(w.capGrad, keyChunk * rows)) : null;
        double[] shift = w.shift = grow(w.shift, rows);
        double[] delta = w.delta = grow(w.delta, rows);
        double[] sum = w.sum = grow(w.sum, rows);
        int[] rowEnd = w.rowEnd = w.rowEnd.length >= rows ? w.rowEnd : new int[rows];
        TiledKernels.transposeBlock(p.q, p.qOffset[b] + i0 * d, rows, d, qt, 0);
        TiledKernels.transposeBlock(g.gradOutput, row0 * dv, rows, dv, dot, 0);
        int minEnd = p.keys;
        int tileEnd = 0;
        int tileStart = p.keys;
        for (int r = 0; r < rows; r++) {
            shift[r] = shift(g.logSumExp[row0 + r]);
            delta[r] = g.delta[row0 + r];
            rowEnd[r] = g.rowEnd[row0 + r];
            minEnd = Math.min(minEnd, rowEnd[r]);
            tileEnd = Math.max(tileEnd, rowEnd[r]);
            tileStart = Math.min(tileStart, g.rowStart[row0 + r]);
        }
        Arrays.fill(sum, 0, rows, 0.0);
        boolean elementwise = p.mask.isElementwise();
        int kOff = p.kOffset[b];
        int vOff = p.vOffset[b];
        int qo = row0 * d;
        for (int j0 = tileStart; j0 < tileEnd; j0 += keyChunk) { // keys left of every row's window: skipped
            int n = Math.min(keyChunk, tileEnd - j0);
            if (p.mask.blocksAll(b, i0, i1, j0, j0 + n)) {
                continue; // an empty tile of a block mask: dS = 0 there
            }
            s.gemm(n, rows, d, p.k, kOff + j0 * d, d, 1, qt, 0, rows, st, 0, rows, false);
            p.toScores(s, st, 0, n * rows);
            if (capped) {
                softCapFactors(p, st, capGrad, n * rows);
            }
            if (elementwise || j0 + n > minEnd) {
                TiledKernels.maskTransposed(p, b, i0, rows, j0, n, st, rowEnd);
            }
            for (int j = 0; j < n; j++) {
                s.expShiftAccumulate(st, j * rows, rows, shift, sum); // the sums are not needed
            }
            s.gemm(n, rows, dv, p.v, vOff + j0 * dv, dv, 1, dot, 0, rows, dpt, 0, rows, false);
            for (int j = 0; j < n; j++) {
                s.subtractMultiply(dpt, j * rows, rows, delta, st, j * rows);
            }
            if (capped) {
                multiply(dpt, capGrad, n * rows);
            }
            // dQ[rows × d] += dS · K[j0 : j0+n], reading dS = (dSᵀ)ᵀ through strides.
            s.gemm(rows, d, n, dpt, 0, 1, rows, p.k, kOff + j0 * d, d, g.gradQuery, qo, d, true);
        }
        s.scale(g.gradQuery, qo, rows * d, p.scale);
    }

    /**
     * The shift that turns a score into its weight, {@code P = exp(s − shift)}: the row's
     * log-sum-exp, or {@code +inf} for a row that may attend to nothing, so that its weights come
     * out 0 rather than {@code exp(-inf + inf)} = NaN.
     */
    private static double shift(double logSumExp) {
        return logSumExp == Double.NEGATIVE_INFINITY ? Double.POSITIVE_INFINITY : logSumExp;
    }

    /** Blocks keys past each row's key end and applies the elementwise mask, in a row-major tile. */
    private static void maskRows(
            AttentionProblem p, int[] rowEnd, int b, int i0, int rows, int j0, int n, double[] st) {
        boolean elementwise = p.mask.isElementwise();
        for (int r = 0; r < rows; r++) {
            int end = rowEnd[b * p.queries + i0 + r] - j0;
            Arrays.fill(st, r * n + Math.min(Math.max(end, 0), n), r * n + n, Double.NEGATIVE_INFINITY);
            if (elementwise && end > 0) {
                p.mask.apply(b, i0 + r, j0, j0 + Math.min(end, n), st, r * n, 1);
            }
        }
    }

    // ------------------------------------------------------------------ exact, row by row

    /**
     * The whole backward of batch element {@code b}, one query row and one key at a time. A pair
     * whose weight is exactly 0 (blocked, or underflowed) is skipped, so an infinity in the input
     * of a key or query that carries no weight does not turn its zero gradient into NaN; NaN in a
     * weight propagates. O(S) memory.
     *
     * @param weights the forward's weights {@code [B, L, S]}, or null to recompute each row from q,
     *                k and the log-sum-exp as {@link #chunkedKeys} does
     */
    public void exact(BackwardProblem g, double[] weights, int b) {
        AttentionProblem p = g.forward;
        int L = p.queries;
        int S = p.keys;
        int d = p.depth;
        int dv = p.valueDepth;
        double[] prob = new double[S];
        for (int i = 0; i < L; i++) {
            int row = b * L + i;
            if (g.logSumExp[row] == Double.NEGATIVE_INFINITY) {
                continue; // nothing attended: no gradient from or to this row
            }
            int end = g.rowEnd[row];
            int qi = p.qOffset[b] + i * d;
            if (weights != null) {
                System.arraycopy(weights, row * S, prob, 0, end);
            } else {
                for (int j = 0; j < end; j++) {
                    prob[j] = p.toScore(dot(d, p.q, qi, p.k, p.kOffset[b] + j * d));
                }
                if (p.mask.isElementwise()) {
                    p.mask.apply(b, i, 0, end, prob, 0, 1);
                }
                s.expShiftSum(prob, 0, end, g.logSumExp[row]);
            }
            int oi = row * dv;
            for (int j = 0; j < end; j++) {
                double pj = prob[j];
                if (pj == 0) {
                    continue;
                }
                int kj = p.kOffset[b] + j * d;
                int vj = p.vOffset[b] + j * dv;
                axpy(dv, pj, g.gradOutput, oi, g.gradValue, (b * S + j) * dv);
                double ds = pj * (dot(dv, g.gradOutput, oi, p.v, vj) - g.delta[row]) * p.scale;
                if (p.softCap != 0) {
                    ds *= p.softCapDerivative(p.toScore(dot(d, p.q, qi, p.k, kj)));
                }
                axpy(d, ds, p.k, kj, g.gradQuery, row * d);
                axpy(d, ds, p.q, qi, g.gradKey, (b * S + j) * d);
            }
        }
    }

    private static double dot(int n, double[] x, int xOff, double[] y, int yOff) {
        double sum = 0;
        for (int c = 0; c < n; c++) {
            sum += x[xOff + c] * y[yOff + c];
        }
        return sum;
    }

    private static void axpy(int n, double alpha, double[] x, int xOff, double[] y, int yOff) {
        for (int c = 0; c < n; c++) {
            y[yOff + c] += alpha * x[xOff + c];
        }
    }

    private static double[] grow(double[] a, int n) {
        return a.length >= n ? a : new double[n];
    }

    /** Per-thread working memory of the chunked passes, grown on demand and then reused. */
    private static final class Scratch {
        /** Kᵀ of the key pass, or Qᵀ of the query pass. */
        double[] packedA = new double[0];
        /** Vᵀ of the key pass, or dOᵀ of the query pass. */
        double[] packedB = new double[0];

        double[] scores = new double[0];
        double[] gradScores = new double[0];
        /** The soft cap's derivative at each score of the tile. */
        double[] capGrad = new double[0];

        double[] shift = new double[0];
        double[] delta = new double[0];
        double[] sum = new double[0];
        int[] rowEnd = new int[0];
    }
}
