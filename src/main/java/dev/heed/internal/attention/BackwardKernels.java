package dev.heed.internal.attention;

import dev.heed.internal.Parallel;
import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.PackedGemm;
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
 * by the cap's derivative {@code 1 − tanh²} at its score; with a score function
 * ({@link AttentionProblem#scoreMod}) it goes back through that function before the cap, at the score
 * the function was given, and hands the function's parameters their gradients
 * ({@link BackwardProblem#scoreGradients}, one partial sum per task). With dropout
 * ({@link AttentionProblem#dropout}) the weights that multiply the values are {@code P ∘ Z}:
 * {@code dV = (P ∘ Z)ᵀ dO}, {@code dP = (dO Vᵀ) ∘ Z}, and {@code D = rowsum(dO ∘ O)} still equals
 * {@code rowsum(dP ∘ P)} since {@code O = (P ∘ Z) V}; {@code Z} is regenerated from the counter for
 * every tile, never stored.
 *
 * <p>Three ways to compute it:
 * <ul>
 *   <li>{@link #materialisedQueries} then {@link #materialisedKeys}: from the forward's
 *       materialised weights, {@code dS} materialised too ({@code L × S}).</li>
 *   <li>{@link #chunked}: FlashAttention-2's backward, never more than one
 *       {@code queryChunk × keyChunk} tile: each score tile is recomputed from q, k and the saved
 *       log-sum-exp, {@code P = exp(scale·q kᵀ + mask − lse)}. A task owns dK and dV of one key
 *       tile and visits the query tiles in a fixed order; its share of each query tile's dQ goes to
 *       a {@link QueryGradientSum}, which adds the shares in key-tile order. So results are bitwise
 *       the same for any thread count with FlashAttention-2's five matrix products (10·L·S·d
 *       flops), where FlashAttention-2 sums dQ with atomic adds in whatever order the key tiles
 *       finish.</li>
 *   <li>{@link #exact}: row by row, skipping every pair whose weight is 0, for inputs holding an
 *       infinity or NaN (see {@link BackwardProblem#finite}).</li>
 * </ul>
 * Tiles whose keys lie past every row's {@link MaskPlan#keyEnd} are skipped in all of them. Every
 * call writes only its own rows of the gradients (the chunked {@code dQ} only through its
 * {@link QueryGradientSum}); scratch is per thread.
 */
public final class BackwardKernels {
    private final KernelSupport s;
    /** The support's packed product (null if it has none): its slivers for dV, dK and the dQ share. */
    private final PackedGemm pg;
    /**
     * The packed product of the support's attention tiles ({@link KernelSupport#attentionTiles}),
     * for S and dP: at 512 bits 4 × 4, whose 32-wide slivers divide 64-key tiles (8 × 3's 24 do not).
     */
    private final PackedGemm scores;

    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    /** Backward kernels whose inner loops run on {@code support}. */
    public BackwardKernels(KernelSupport support) {
        this.s = support;
        this.pg = PackedGemm.of(support);
        this.scores = PackedGemm.of(support.attentionTiles());
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
     * @param weights the forward's weights {@code [B, L, S]} before dropout; not modified
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
            if (p.dropout != null) {
                // The gradient of the undropped weights: dP = (dO Vᵀ) ∘ Z.
                p.dropout.apply(b, i0 + r, tileStart, tileEnd, ds, w0 + r * S, 1);
            }
            // Keys past a row's end have P = 0, hence dS = 0.
            s.subtractMultiply(ds, w0 + r * S, width, g.delta[row0 + r], weights, w0 + r * S);
        }
        if (p.softCap != 0 || p.scoreMod != null) {
            softCapMaterialised(g, b, i0, rows, tileStart, width, ds, w0, S);
        }
        int qo = row0 * d;
        s.gemm(rows, d, width, ds, w0, S, 1, p.k, p.kOffset[b] + tileStart * d, d, g.gradQuery, qo, d, false);
        s.scale(g.gradQuery, qo, rows * d, p.scale);
    }

    /**
     * Turns the materialised {@code dS} of capped scores into that of the scaled ones: the weights
     * do not keep the scores, so {@code Sᵀ = K Qᵀ} is recomputed for the tile (as the forward
     * computed it) and each {@code dS} multiplied by the cap's derivative there. With a score
     * function, each {@code dS} first goes back through it at the recomputed score (its parameters'
     * gradients into this query tile's partial sums).
     */
    private void softCapMaterialised(
            BackwardProblem g, int b, int i0, int rows, int j0, int width, double[] ds, int w0, int S) {
        AttentionProblem p = g.forward;
        ScoreMod fn = p.scoreMod;
        ScorePartials.Partial part = fn == null ? null : g.scoreGradients.of(b, i0);
        int d = p.depth;
        Scratch w = scratch.get();
        double[] qt = w.keysT = grow(w.keysT, d * rows); // Qᵀ here, in the buffer the tiles use for Kᵀ
        double[] st = w.scores = grow(w.scores, width * rows);
        TiledKernels.transposeBlock(p.q, p.qOffset[b] + i0 * d, rows, d, qt, 0);
        s.gemm(width, rows, d, p.k, p.kOffset[b] + j0 * d, d, 1, qt, 0, rows, st, 0, rows, false);
        p.toScores(s, st, 0, width * rows);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < width; j++) {
                int at = w0 + r * S + j;
                double c = st[j * rows + r];
                if (fn != null && ds[at] != 0) {
                    ds[at] = fn.backward(b, i0 + r, j0 + j, c, ds[at], part);
                }
                ds[at] *= p.softCapDerivative(c); // exactly 1 without a cap
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
     * @param weights the weights that multiplied the values {@code [B, L, S]} (after dropout); not
     *                modified
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
     * FlashAttention-2's backward for key tile {@code keyTile} of batch element {@code b}: its
     * {@code dK} and {@code dV}, and its share of every query's {@code dQ}. With this key tile's
     * {@code Kᵀ} and {@code Vᵀ} packed once, for each tile of {@code queryChunk} queries, last to
     * first (skipping tiles none of whose rows may see these keys):
     * <pre>
     *   S  = Q Kᵀ,  dP = dO Vᵀ                       (rows × keys)
     *   P  = exp(scale · S + mask − lse),  dS = P ∘ (dP − D)     one fused pass per row
     *   dV += Pᵀ dO,  dK += dSᵀ Q                      (the transposes read through strides)
     *   dQ share = dS K  →  {@link QueryGradientSum#add}
     * </pre>
     * finally {@code dK *= scale}. Five matrix products per tile pair, FlashAttention-2's count. The
     * caller scales {@code dQ} once every share is in.
     *
     * <p>Why last to first: the share of key tile {@code j} is added after that of tile
     * {@code j − 1}. Under a causal mask key tile {@code j} sees query tiles {@code j…} only, so
     * visiting them from the last, every task of a batch element reaches a given query tile at about
     * the same time, as without a mask; first to last, task {@code j + k} would run {@code k}
     * tiles ahead of task {@code j} and its shares would have to be held for longer.
     */
    public void chunked(BackwardProblem g, int queryChunk, int keyChunk, int b, int keyTile, QueryGradientSum dq) {
        AttentionProblem p = g.forward;
        int L = p.queries;
        int S = p.keys;
        int d = p.depth;
        int dv = p.valueDepth;
        int j0 = keyTile * keyChunk;
        int n = Math.min(keyChunk, S - j0);
        Scratch w = scratch.get();
        double[] kt = w.keysT = grow(w.keysT, d * n);
        double[] vt = w.valuesT = grow(w.valuesT, dv * n);
        double[] st = w.scores = grow(w.scores, queryChunk * n);
        double[] ds = w.gradScores = grow(w.gradScores, queryChunk * n);
        double[] share = w.share = grow(w.share, queryChunk * d);
        boolean capped = p.softCap != 0;
        double[] capGrad = capped ? (w.capGrad = grow(w.capGrad, queryChunk * n)) : null;
        Dropout dropout = p.dropout;
        double[] drop = dropout != null ? (w.drop = grow(w.drop, queryChunk * n)) : null;
        ScoreMod fn = p.scoreMod;
        double[] before = fn != null ? (w.unmodified = grow(w.unmodified, queryChunk * n)) : null;
        ScorePartials.Partial part = fn != null ? g.scoreGradients.of(b, j0) : null;
        int kRows = p.kOffset[b] + j0 * d;
        // S and dP as the packed GEMM's inner loops, as in the forward: Q and dO in panels (per
        // thread and call), Kᵀ and Vᵀ in slivers (per key tile). Same bits as reading them in place.
        // Only for key tiles of whole slivers (partial ones measured 5 % slower than in place, from
        // their zero-padded copies): at 512 bits on the 4 × 4 attention tiles, 9 % faster than in place.
        boolean packed = scores != null
                && n % scores.nr() == 0
                && queryChunk >= 2 * scores.mr()
                && (long) scores.paddedRows(queryChunk) * ((L + queryChunk - 1) / queryChunk) * Math.max(d, dv)
                        <= TiledKernels.MAX_PACKED_KEYS;
        double[] qp = null;
        double[] op = null;
        if (packed) {
            qp = w.queries.inPanels(scores, p.serial, p.q, p.qOffset[b], L, d, queryChunk);
            op = w.gradOutputs.inPanels(scores, p.serial, g.gradOutput, b * L * dv, L, dv, queryChunk);
            w.keySlivers = grow(w.keySlivers, scores.paddedColumns(n) * d);
            w.valueSlivers = grow(w.valueSlivers, scores.paddedColumns(n) * dv);
            w.edge = grow(w.edge, scores.mr() * scores.nr());
            // Kᵀ's and Vᵀ's slivers straight from the key and value rows, without transposing first.
            scores.packBTransposed(d, n, p.k, kRows, d, w.keySlivers, 0);
            scores.packBTransposed(dv, n, p.v, p.vOffset[b] + j0 * dv, dv, w.valueSlivers, 0);
        } else {
            TiledKernels.transposeBlock(p.k, kRows, n, d, kt, 0);
            TiledKernels.transposeBlock(p.v, p.vOffset[b] + j0 * dv, n, dv, vt, 0);
        }
        // dV += Pᵀ dO and dK += dSᵀ Q on the constant-stride tiles, dO and Q in slivers (per thread
        // and call), when both are whole slivers wide (as the forward's values); and the dQ share
        // dS·K from dS in panels (per tile pair) and this key tile's K in slivers. Same bits.
        int nr = pg == null ? 0 : pg.nr();
        boolean slivers = pg != null
                && s.vectorBits() > 64
                && d % nr == 0
                && dv % nr == 0
                && (long) L * Math.max(d, dv) <= TiledKernels.MAX_PACKED_KEYS;
        double[] os = null;
        double[] qs = null;
        if (slivers) {
            os = w.gradOutputSlivers.inSlivers(pg, p.serial, g.gradOutput, b * L * dv, L, dv);
            qs = w.querySlivers.inSlivers(pg, p.serial, p.q, p.qOffset[b], L, d);
        }
        boolean sharePacked = pg != null && d % nr == 0 && queryChunk >= 2 * pg.mr();
        if (sharePacked) {
            w.keyRows = grow(w.keyRows, pg.paddedColumns(d) * n);
            w.scorePanels = grow(w.scorePanels, pg.paddedRows(queryChunk) * n);
            w.edge = grow(w.edge, pg.mr() * pg.nr());
            pg.packB(n, d, p.k, kRows, d, w.keyRows, 0);
        }
        boolean elementwise = p.mask.isElementwise();
        QueryTiles tiles = dq.tiles();
        int ko = (b * S + j0) * d;
        int vo = (b * S + j0) * dv;
        for (int t = tiles.queryTiles() - 1; t >= 0; t--) {
            if (!tiles.visits(b, t, keyTile)) {
                continue; // no row of this query tile may see these keys: no share either
            }
            int i0 = t * queryChunk;
            int rows = Math.min(queryChunk, L - i0);
            int row0 = b * L + i0;
            int qo = p.qOffset[b] + i0 * d;
            int oo = row0 * dv;
            // The same products in the same order as the forward's tiles: bitwise the forward's q·k.
            if (packed) {
                Arrays.fill(st, 0, rows * n, 0.0);
                Arrays.fill(ds, 0, rows * n, 0.0);
                scores.multiplyPacked(
                        rows, n, d, qp, t * scores.paddedRows(queryChunk) * d, w.keySlivers, 0, st, 0, n, w.edge);
                scores.multiplyPacked(
                        rows, n, dv, op, t * scores.paddedRows(queryChunk) * dv, w.valueSlivers, 0, ds, 0, n, w.edge);
            } else {
                s.gemm(rows, n, d, p.q, qo, d, 1, kt, 0, n, st, 0, n, false);
                s.gemm(rows, n, dv, g.gradOutput, oo, dv, 1, vt, 0, n, ds, 0, n, false);
            }
            double scale = p.scale;
            if (capped || fn != null) {
                // Capped scores, as the forward's; the exponential's scale is then 1.
                p.toScores(s, st, 0, rows * n);
                if (capped) {
                    softCapFactors(p, st, capGrad, rows * n);
                }
                if (fn != null) {
                    // The score function's backward needs the scores it was given: kept before it runs.
                    System.arraycopy(st, 0, before, 0, rows * n);
                    p.modifyScores(b, i0, rows, j0, n, st, 0, n, 1);
                }
                scale = 1.0;
            }
            if (elementwise || j0 + n > tiles.minEnd(b, t)) {
                // A mask adds to scaled scores: scale first, then the exponential's scale is 1 (exact).
                if (scale != 1.0) {
                    s.scale(st, 0, rows * n, scale);
                    scale = 1.0;
                }
                maskRows(p, g.rowEnd, b, i0, rows, j0, n, st);
            }
            if (dropout != null) {
                // Z regenerated for the tile: dP = (dO Vᵀ) ∘ Z before dS, and P ∘ Z for dV after.
                dropout.factors(b, i0, rows, j0, n, drop);
                multiply(ds, drop, rows * n);
            }
            for (int r = 0; r < rows; r++) {
                s.expSubtractMultiply(st, r * n, n, scale, shift(g.logSumExp[row0 + r]), ds, r * n, g.delta[row0 + r]);
            }
            if (dropout != null) {
                multiply(st, drop, rows * n);
            }
            if (fn != null) {
                for (int r = 0; r < rows; r++) {
                    for (int j = 0, e = r * n; j < n; j++, e++) {
                        if (ds[e] != 0) { // blocked pairs (P = 0) give nothing to the function's tensors
                            ds[e] = fn.backward(b, i0 + r, j0 + j, before[e], ds[e], part);
                        }
                    }
                }
            }
            if (capped) {
                multiply(ds, capGrad, rows * n); // through the cap: dS · (1 − tanh²)
            }
            // dV[n × dv] += Pᵀ · dO[i0 : i1] and dK[n × d] += dSᵀ · Q[i0 : i1].
            if (slivers) {
                for (int c0 = 0, sb = i0 * nr; c0 < dv; c0 += nr, sb += L * nr) {
                    s.gemm(n, nr, rows, st, 0, 1, n, os, sb, nr, g.gradValue, vo + c0, dv, true);
                }
                for (int c0 = 0, sb = i0 * nr; c0 < d; c0 += nr, sb += L * nr) {
                    s.gemm(n, nr, rows, ds, 0, 1, n, qs, sb, nr, g.gradKey, ko + c0, d, true);
                }
            } else {
                s.gemm(n, dv, rows, st, 0, 1, n, g.gradOutput, oo, dv, g.gradValue, vo, dv, true);
                s.gemm(n, d, rows, ds, 0, 1, n, p.q, qo, d, g.gradKey, ko, d, true);
            }
            // This key tile's share of dQ[i0 : i1].
            if (sharePacked) {
                pg.packA(rows, n, ds, 0, n, 1, w.scorePanels);
                Arrays.fill(share, 0, rows * d, 0.0);
                pg.multiplyPacked(rows, d, n, w.scorePanels, 0, w.keyRows, 0, share, 0, d, w.edge);
            } else {
                s.gemm(rows, d, n, ds, 0, n, 1, p.k, kRows, d, share, 0, d, false);
            }
            dq.add(b, t, keyTile, share, rows);
        }
        s.scale(g.gradKey, ko, n * d, p.scale);
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
     * @param weights the forward's weights {@code [B, L, S]} before dropout, or null to recompute
     *                each row from q, k and the log-sum-exp as {@link #chunked} does
     */
    public void exact(BackwardProblem g, double[] weights, int b) {
        AttentionProblem p = g.forward;
        int L = p.queries;
        int S = p.keys;
        int d = p.depth;
        int dv = p.valueDepth;
        double[] prob = new double[S];
        ScorePartials.Partial part = p.scoreMod == null ? null : g.scoreGradients.of(b, 0);
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
                p.modifyScores(b, i, 1, 0, end, prob, 0, 0, 1);
                if (p.mask.isElementwise()) {
                    p.mask.apply(b, i, 0, end, prob, 0, 1);
                }
                s.expShiftSum(prob, 0, end, g.logSumExp[row]);
            }
            int oi = row * dv;
            long dropRow = p.dropout == null ? 0 : p.dropout.row(b, i);
            for (int j = 0; j < end; j++) {
                double pj = prob[j];
                if (pj == 0) {
                    continue;
                }
                int kj = p.kOffset[b] + j * d;
                int vj = p.vOffset[b] + j * dv;
                double z = p.dropout == null ? 1.0 : p.dropout.factor(dropRow, j);
                // A dropped pair carries no weight to the output: no dV, and dP = 0 (not 0 · inf).
                double dp = 0.0;
                if (z != 0) {
                    axpy(dv, pj * z, g.gradOutput, oi, g.gradValue, (b * S + j) * dv);
                    dp = dot(dv, g.gradOutput, oi, p.v, vj) * z;
                }
                double ds;
                if (p.scoreMod == null) {
                    ds = pj * (dp - g.delta[row]) * p.scale;
                    if (p.softCap != 0) {
                        ds *= p.softCapDerivative(p.toScore(dot(d, p.q, qi, p.k, kj)));
                    }
                } else {
                    // Back through the score function at its input, then the cap, then the scale.
                    double c = p.toScore(dot(d, p.q, qi, p.k, kj));
                    double gs = pj * (dp - g.delta[row]);
                    gs = gs == 0 ? gs : p.scoreMod.backward(b, i, j, c, gs, part);
                    ds = gs * p.softCapDerivative(c) * p.scale;
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

    /** Per-thread working memory of the tile passes, grown on demand and then reused. */
    private static final class Scratch {
        /** Kᵀ of a key tile (Qᵀ of a query tile in the full kernel's soft-cap pass). */
        double[] keysT = new double[0];

        double[] valuesT = new double[0];
        double[] scores = new double[0];
        double[] gradScores = new double[0];
        double[] share = new double[0];
        /** The soft cap's derivative at each score of the tile. */
        double[] capGrad = new double[0];
        /** Dropout's {@code Z} of each pair of the tile. */
        double[] drop = new double[0];
        /** The scores of the tile as the score function received them. */
        double[] unmodified = new double[0];
        /** {@code Kᵀ} and {@code Vᵀ} of the key tile in slivers of the packed product's columns. */
        double[] keySlivers = new double[0];

        double[] valueSlivers = new double[0];
        /** The packed product's zero-padded copy of C for partial tiles. */
        double[] edge = new double[0];
        /** Q and dO of the batch element in panels, kept for the call. */
        final DerivedBlock queries = new DerivedBlock();

        final DerivedBlock gradOutputs = new DerivedBlock();
        /** Q and dO of the batch element in slivers, kept for the call. */
        final DerivedBlock querySlivers = new DerivedBlock();

        final DerivedBlock gradOutputSlivers = new DerivedBlock();
        /** The key tile's K in slivers, and a query tile's dS in panels, for the dQ share. */
        double[] keyRows = new double[0];

        double[] scorePanels = new double[0];
    }
}
