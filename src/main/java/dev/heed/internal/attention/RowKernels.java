package dev.heed.internal.attention;

import dev.heed.internal.Softmax;
import dev.heed.internal.vector.KernelSupport;
import java.util.Arrays;

/**
 * Row-at-a-time attention kernels on an {@link AttentionProblem}: the simple, exact path. Not
 * API: arguments are assumed valid. {@link TiledKernels} is the fast path; these serve the cases
 * it cannot: values holding an infinity or NaN, where a blocked key must contribute exactly
 * nothing (a matrix product would compute {@code 0 · inf = NaN} for it).
 *
 * <p>Each method handles one batch element (or one query tile of it) and writes only its own
 * slice of the outputs, so callers may run them in parallel and get bitwise the same result
 * whatever the order.
 *
 * <p>Keys at or past {@link MaskPlan#keyEnd} are never scored and never touch the output: a
 * blocked key contributes exactly nothing, even when its value holds an infinity.
 */
public final class RowKernels {
    private RowKernels() {}

    /**
     * Materialises the weights of batch element {@code b}, then multiplies them into the values.
     *
     * @param s       the inner loops of the softmax
     * @param weights modified: {@code [L, S]} at {@code b·L·S}
     * @param out     modified: {@code [L, dv]} at {@code b·L·dv}
     * @param lse     modified: {@code [L]} at {@code b·L}
     */
    public static void materialised(
            KernelSupport s, AttentionProblem p, int b, double[] weights, double[] out, double[] lse) {
        int L = p.queries;
        int S = p.keys;
        int dv = p.valueDepth;
        int wBase = b * L * S;
        int oBase = b * L * dv;
        for (int i = 0; i < L; i++) {
            int w = wBase + i * S;
            int end = p.mask.keyEnd(b, i);
            lse[b * L + i] = weightsRow(s, p, b, i, end, weights, w);
            if (p.dropout != null) {
                // A dropped weight becomes +0.0 and meets its value; a blocked one keeps its marker (-0.0 · Z).
                p.dropout.apply(b, i, 0, end, weights, w, 1);
            }
            weightedValues(weights, w, end, lse[b * L + i], p.v, p.vOffset[b], dv, out, oBase + i * dv);
        }
    }

    /**
     * One output row {@code out[o, o+dv) = Σ_j weights[w+j] · v[vOff + j·dv, +dv)} over keys
     * {@code j < end}, from weights written by {@link Softmax#inPlaceMarkingBlocked}: a blocked key
     * is skipped (its marker cleared to {@code +0.0}), since {@code 0 · inf} would put NaN in the
     * row, while an allowed key whose weight underflowed to {@code +0.0} still meets its value, so a
     * NaN there comes through as IEEE says. A row with log-sum-exp {@code -inf} (nothing to attend
     * to) stays exactly zero.
     *
     * @param weights modified: markers cleared
     * @param out     modified: the row, overwritten
     */
    static void weightedValues(
            double[] weights, int w, int end, double lse, double[] v, int vOff, int dv, double[] out, int o) {
        Arrays.fill(out, o, o + dv, 0.0);
        if (lse == Double.NEGATIVE_INFINITY) {
            return;
        }
        for (int j = 0; j < end; j++) {
            if (Softmax.isBlocked(weights[w + j])) {
                weights[w + j] = 0.0;
            } else {
                axpy(dv, weights[w + j], v, vOff + j * dv, out, o);
            }
        }
    }

    /**
     * Online-softmax attention for queries {@code [i0, i1)} of batch element {@code b}, visiting
     * keys in tiles of {@code keyChunk} and never holding more than one tile of scores. Key tiles
     * wholly past every row's {@link MaskPlan#keyEnd} are skipped.
     *
     * @param out modified: rows {@code [i0, i1)} of {@code [L, dv]} at {@code b·L·dv}
     * @param lse modified: entries {@code [i0, i1)} at {@code b·L}
     */
    public static void online(AttentionProblem p, int b, int i0, int i1, int keyChunk, double[] out, double[] lse) {
        int L = p.queries;
        int d = p.depth;
        int dv = p.valueDepth;
        int rows = i1 - i0;
        double[] m = new double[rows];
        double[] l = new double[rows];
        double[] acc = new double[rows * dv];
        double[] s = new double[keyChunk];
        Arrays.fill(m, Double.NEGATIVE_INFINITY);
        int tileEnd = p.mask.keyEnd(b, i0, i1);
        for (int j0 = p.mask.keyStart(b, i0, i1); j0 < tileEnd; j0 += keyChunk) {
            int j1 = Math.min(j0 + keyChunk, tileEnd);
            if (p.mask.blocksAll(b, i0, i1, j0, j1)) {
                continue; // an empty tile of a block mask
            }
            for (int r = 0; r < rows; r++) {
                int i = i0 + r;
                int end = Math.min(j1, p.mask.keyEnd(b, i));
                int n = end - j0;
                if (n <= 0) {
                    continue;
                }
                int qi = p.qOffset[b] + i * d;
                for (int j = 0; j < n; j++) {
                    s[j] = p.toScore(dot(d, p.q, qi, p.k, p.kOffset[b] + (j0 + j) * d));
                }
                p.modifyScores(b, i, 1, j0, n, s, 0, 0, 1);
                if (p.mask.isElementwise()) {
                    p.mask.apply(b, i, j0, end, s, 0, 1);
                }
                double tileMax = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    tileMax = Math.max(tileMax, s[j]);
                }
                if (tileMax == Double.NEGATIVE_INFINITY) {
                    continue; // every key of this tile is blocked for this row
                }
                double mNew = Math.max(m[r], tileMax);
                // exp(-inf) = 0 wipes the empty initial state; NaN in mNew propagates to the row.
                double alpha = Math.exp(m[r] - mNew);
                double sum = 0;
                int a = r * dv;
                long dropRow = p.dropout == null ? 0 : p.dropout.row(b, i);
                if (alpha != 1.0) {
                    for (int c = 0; c < dv; c++) {
                        acc[a + c] *= alpha;
                    }
                }
                for (int j = 0; j < n; j++) {
                    double e = Math.exp(s[j] - mNew);
                    sum += e;
                    // A blocked key is skipped (0 · inf would put NaN in the row); an allowed key whose
                    // weight underflowed to 0 still meets its value, so a NaN there comes through.
                    if (s[j] != Double.NEGATIVE_INFINITY) {
                        double z = p.dropout == null ? 1.0 : p.dropout.factor(dropRow, j0 + j);
                        axpy(dv, e * z, p.v, p.vOffset[b] + (j0 + j) * dv, acc, a);
                    }
                }
                l[r] = l[r] * alpha + sum;
                m[r] = mNew;
            }
        }
        for (int r = 0; r < rows; r++) {
            int i = i0 + r;
            int o = (b * L + i) * dv;
            if (m[r] == Double.NEGATIVE_INFINITY) {
                Arrays.fill(out, o, o + dv, 0.0);
                lse[b * L + i] = Double.NEGATIVE_INFINITY;
                continue;
            }
            double inv = 1.0 / l[r];
            for (int c = 0; c < dv; c++) {
                out[o + c] = acc[r * dv + c] * inv;
            }
            lse[b * L + i] = m[r] + Math.log(l[r]);
        }
    }

    /**
     * The softmax weights of row {@code i} of batch element {@code b} into
     * {@code weights[w, w + S)}, keys from {@code end} on zero; returns the row's log-sum-exp.
     */
    private static double weightsRow(
            KernelSupport s, AttentionProblem p, int b, int i, int end, double[] weights, int w) {
        int d = p.depth;
        int qi = p.qOffset[b] + i * d;
        for (int j = 0; j < end; j++) {
            weights[w + j] = p.toScore(dot(d, p.q, qi, p.k, p.kOffset[b] + j * d));
        }
        p.modifyScores(b, i, 1, 0, end, weights, w, 0, 1);
        Arrays.fill(weights, w + end, w + p.keys, 0.0);
        if (p.mask.isElementwise()) {
            p.mask.apply(b, i, 0, end, weights, w, 1);
        }
        return Softmax.inPlaceMarkingBlocked(s, weights, w, end);
    }

    private static double dot(int n, double[] x, int xOff, double[] y, int yOff) {
        double s = 0;
        for (int j = 0; j < n; j++) {
            s += x[xOff + j] * y[yOff + j];
        }
        return s;
    }

    private static void axpy(int n, double alpha, double[] x, int xOff, double[] y, int yOff) {
        for (int j = 0; j < n; j++) {
            y[yOff + j] += alpha * x[xOff + j];
        }
    }
}
