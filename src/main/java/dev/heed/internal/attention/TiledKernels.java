package dev.heed.internal.attention;

import dev.heed.internal.Parallel;
import dev.heed.internal.Softmax;
import dev.heed.internal.linalg.BatchedMatrices;
import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.PackedGemm;
import java.util.Arrays;

/**
 * Attention kernels built from matrix-product tiles: the fast path. Not API.
 *
 * <p>Every inner loop is a {@link KernelSupport} call — a register-blocked matrix product, a
 * max, an exponential — so the same code runs on the scalar and the Vector API support.
 *
 * <p>{@link #online} is FlashAttention's recurrence on a CPU. For a tile of {@code rows} queries
 * it keeps a running maximum {@code m}, running sum {@code l} and output accumulator per row, and
 * visits key tiles in order. It holds each score tile <em>transposed</em>, {@code Sᵀ = K·Qᵀ}
 * ({@code keys × rows}): then the per-query max, shift and sum run down the columns as
 * elementwise vector operations, and the output update {@code O += P·V} reads {@code Sᵀ} at unit
 * row stride, so nothing is transposed back. From 64 queries on, the score product runs as the
 * packed GEMM's inner loops, K in panels ({@link #keysInPanels}) and {@code Qᵀ} in slivers, and on
 * the Vector API {@code V} may come in slivers too ({@link #valuesInSlivers}); every layout gives
 * the same bits.
 *
 * <p>{@link #materialised} writes scores straight into the weights rows
 * ({@code Q·Kᵀ} with a transposed copy of K made once per batch element, see
 * {@link #transposeKeys}), takes the softmax in place and multiplies the weights into the values.
 *
 * <p>Keys past {@link MaskPlan#keyEnd} for every row of a tile are never scored; keys blocked
 * within a tile get weight exactly 0. A blocked key's value is still multiplied by that 0, so these
 * kernels require finite values ({@link AttentionProblem#valuesFinite}); {@link RowKernels}
 * handles the rest.
 *
 * <p>Each call writes only its own rows of the outputs and allocates nothing after warm-up
 * (scratch is per thread), so callers run tiles in parallel and get bitwise the same results
 * whatever the thread count.
 */
public final class TiledKernels {
    private final KernelSupport s;
    /** The support's kernels for {@link #online}'s tiles ({@link KernelSupport#attentionTiles}). */
    private final KernelSupport tiles;
    /** Their packed product, for its panels and slivers. */
    private final PackedGemm pg;
    /** Columns of one sliver when the support has constant-stride tiles for them (Vector API), else 0. */
    private final int nr;

    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    public TiledKernels(KernelSupport support) {
        this.s = support;
        this.tiles = support.attentionTiles();
        this.pg = PackedGemm.of(tiles);
        this.nr = pg != null && tiles.vectorBits() > 64 ? pg.nr() : 0;
    }

    /** The support the tiles run on. */
    public KernelSupport support() {
        return s;
    }

    /**
     * Online-softmax attention for queries {@code [i0, i1)} of batch element {@code b}, in key
     * tiles of {@code keyChunk}; never holds more than one {@code keyChunk × rows} score tile.
     *
     * @param out modified: rows {@code [i0, i1)} of {@code [L, dv]} at {@code b·L·dv}
     * @param lse modified: entries {@code [i0, i1)} at {@code b·L}
     */
    public void online(AttentionProblem p, int b, int i0, int i1, int keyChunk, double[] out, double[] lse) {
        int rows = i1 - i0;
        int d = p.depth;
        int dv = p.valueDepth;
        Scratch w = scratch.get().ensure(rows, d, dv, keyChunk);
        double[] qt = w.qt;
        double[] st = w.scores;
        double[] acc = w.acc;
        double[] m = w.m;
        double[] l = w.l;
        double[] tileMax = w.tileMax;
        double[] shift = w.shift;
        double[] sum = w.sum;
        int[] rowEnd = w.rowEnd;
        // Each row's key end once per task: most tiles then need no masking call at all, which
        // also keeps the hot loop independent of how the JIT compiled the masking code.
        int minEnd = p.keys;
        for (int r = 0; r < rows; r++) {
            rowEnd[r] = p.mask.keyEnd(b, i0 + r);
            minEnd = Math.min(minEnd, rowEnd[r]);
        }
        boolean elementwise = p.mask.isElementwise();
        // Plain scaled scores: keep the tile as raw dot products and scale them inside the
        // exponential, which saves a pass over every tile (same bits, see scaleOnlyInExp).
        boolean rawTile = p.scaleOnlyInExp();
        double expScale = rawTile ? p.scale : 1.0;
        Arrays.fill(m, 0, rows, Double.NEGATIVE_INFINITY);
        Arrays.fill(l, 0, rows, 0.0);
        Arrays.fill(acc, 0, rows * dv, 0.0);
        int kOff = p.kOffset[b];
        // The score product as the packed GEMM's inner loops: K in panels of the micro-tile's rows
        // (per thread and call) times Qᵀ in slivers of its columns (per query tile), so that every
        // micro-tile reads both operands at unit stride. Same bits as reading K in place.
        double[] kp = keysInPanels(p, b, keyChunk, w);
        int panelStride = kp == null ? 0 : pg.paddedRows(keyChunk) * d;
        if (kp != null) {
            if (w.edge.length < pg.mr() * pg.nr()) {
                w.edge = new double[pg.mr() * pg.nr()];
            }
            if (w.qSlivers.length < pg.paddedColumns(rows) * d) {
                w.qSlivers = new double[pg.paddedColumns(rows) * d];
            }
            // Qᵀ's slivers straight from Q's rows: one pass, where transposing Q first and then
            // packing took two (the transpose alone was 6 % of a 256-token forward at 512 bits).
            pg.packBTransposed(d, rows, p.q, p.qOffset[b] + i0 * d, d, w.qSlivers, 0);
        } else {
            packTransposed(p.q, p.qOffset[b] + i0 * d, rows, d, qt);
        }
        // On the Vector API, V too in slivers (per thread and call), when the output product is
        // whole slivers wide (64 columns in slivers of 8 or 4 at 256 and 128 bits on x86, of 32 on
        // the 4 × 4 twin at 512 bits): a partial sliver is one more product call and an edge tile,
        // and measured no faster.
        double[] vs = kp != null && nr > 0 && rows % nr == 0 && dv % nr == 0 ? valuesInSlivers(p, b, w) : null;
        int vOff = p.vOffset[b];
        int tileEnd = p.mask.keyEnd(b, i0, i1);
        // Key tiles left of every row's start (a sliding window) are never scored either. Tiles
        // start at multiples of keyChunk — the panels' tiles — whatever the path, so every path
        // visits the same tiles and gives the same bits; keys it adds are blocked by the mask.
        int tileStart = p.mask.keyStart(b, i0, i1);
        tileStart -= tileStart % keyChunk;
        for (int j0 = tileStart; j0 < tileEnd; j0 += keyChunk) {
            int n = Math.min(keyChunk, tileEnd - j0);
            if (p.mask.blocksAll(b, i0, i1, j0, j0 + n)) {
                continue; // an empty tile of a block mask: it would add exactly nothing
            }
            // Sᵀ[n × rows] = K[j0 : j0+n] · Qᵀ, then — unless the scale waits for the exponential —
            // scaled: scale·(q·k), as the full kernel does.
            if (kp != null) {
                Arrays.fill(st, 0, n * rows, 0.0);
                pg.multiplyPacked(n, rows, d, kp, j0 / keyChunk * panelStride, w.qSlivers, 0, st, 0, rows, w.edge);
            } else {
                tiles.gemm(n, rows, d, p.k, kOff + j0 * d, d, 1, qt, 0, rows, st, 0, rows, false);
            }
            if (!rawTile) {
                p.toScores(tiles, st, 0, n * rows);
                p.modifyScores(b, i0, rows, j0, n, st, 0, 1, rows);
            }
            if (elementwise || j0 + n > minEnd) {
                maskTransposed(p, b, i0, rows, j0, n, st, rowEnd);
            }
            Arrays.fill(tileMax, 0, rows, Double.NEGATIVE_INFINITY);
            tiles.maxOverRows(st, 0, n, rows, tileMax);
            for (int r = 0; r < rows; r++) {
                double mNew = Math.max(m[r], expScale * tileMax[r]);
                // A column with nothing allowed yet keeps m = -inf: shift by 0 so exp(-inf) = 0,
                // not exp(-inf - -inf) = NaN. NaN in mNew flows on into the row, as it should.
                shift[r] = mNew == Double.NEGATIVE_INFINITY ? 0.0 : mNew;
                double alpha = mNew == Double.NEGATIVE_INFINITY ? 1.0 : Math.exp(m[r] - mNew);
                if (alpha != 1.0 && m[r] != Double.NEGATIVE_INFINITY) {
                    tiles.scale(acc, r * dv, dv, alpha);
                }
                l[r] *= alpha;
                m[r] = mNew;
            }
            Arrays.fill(sum, 0, rows, 0.0);
            tiles.expShiftAccumulate(st, 0, n, rows, expScale, shift, sum);
            for (int r = 0; r < rows; r++) {
                l[r] += sum[r];
            }
            if (p.dropout != null) {
                // Dropout after the sums: l normalises the undropped weights, only O sees P ∘ Z.
                for (int r = 0; r < rows; r++) {
                    p.dropout.apply(b, i0 + r, j0, j0 + n, st, r, rows);
                }
            }
            // O[rows × dv] += P · V[j0 : j0+n], reading P = (Sᵀ)ᵀ through strides.
            if (vs != null) {
                for (int c0 = 0, sb = j0 * nr; c0 < dv; c0 += nr, sb += p.keys * nr) {
                    tiles.gemm(rows, Math.min(nr, dv - c0), n, st, 0, 1, rows, vs, sb, nr, acc, c0, dv, true);
                }
            } else {
                tiles.gemm(rows, dv, n, st, 0, 1, rows, p.v, vOff + j0 * dv, dv, acc, 0, dv, true);
            }
        }
        int L = p.queries;
        for (int r = 0; r < rows; r++) {
            int o = (b * L + i0 + r) * dv;
            if (m[r] == Double.NEGATIVE_INFINITY) {
                Arrays.fill(out, o, o + dv, 0.0);
                lse[b * L + i0 + r] = Double.NEGATIVE_INFINITY;
                continue;
            }
            // Scaled in place by the vector kernel, then copied: C2 leaves a loop from acc into out
            // scalar (it cannot tell the arrays apart); the same multiplications either way.
            tiles.scale(acc, r * dv, dv, 1.0 / l[r]);
            System.arraycopy(acc, r * dv, out, o, dv);
            lse[b * L + i0 + r] = m[r] + Math.log(l[r]);
        }
    }

    /** Fewest queries per batch element for which {@link #keysInPanels} pays for its copy. */
    static final int MIN_QUERIES_TO_PACK = 64;
    /** Most doubles of packed keys (or values) a thread keeps (16 MiB: 32,768 keys of depth 64). */
    static final int MAX_PACKED_KEYS = 1 << 21;

    /**
     * Batch element {@code b}'s keys packed for the score product {@code Sᵀ = K·Qᵀ} as the
     * packed GEMM's A operand ({@link PackedGemm#packA}): key tile {@code t} (keys
     * {@code [t·keyChunk, (t+1)·keyChunk)}) at {@code t·paddedRows(keyChunk)·d}, in panels of the
     * micro-tile's rows, each stored dimension by dimension. The micro-tiles then read A at unit
     * stride; the transposed K, read at a stride of S (a power of two: one L1 set for every row
     * of a tile), ran the product at 68–74 % of this layout's rate at 256 and 128 bits. Kept per thread for the call
     * ({@link AttentionProblem#serial}) and the key slice, so each thread packs each batch element
     * once: {@code S·d} copies against {@code 4·L·S·d} flops. Null — read K in place, same bits —
     * without a packed GEMM, with too few queries to repay the copy (decoding), key tiles
     * narrower than two panels (padding would waste work) or more than {@link #MAX_PACKED_KEYS}.
     */
    private double[] keysInPanels(AttentionProblem p, int b, int keyChunk, Scratch w) {
        if (pg == null || p.queries < MIN_QUERIES_TO_PACK || keyChunk < 2 * pg.mr()) {
            return null;
        }
        int tiles = (p.keys + keyChunk - 1) / keyChunk;
        long size = (long) tiles * pg.paddedRows(keyChunk) * p.depth;
        if (size > MAX_PACKED_KEYS) {
            return null;
        }
        return w.keys.inPanels(pg, p.serial, p.k, p.kOffset[b], p.keys, p.depth, keyChunk);
    }

    /**
     * Batch element {@code b}'s values packed in slivers of {@code nr} columns (sliver {@code c}
     * at {@code c·S·nr}, row {@code j} of it at {@code + j·nr}), kept like {@link #keysInPanels}
     * and under the same conditions (null otherwise): any key tile is then a slice of each sliver.
     */
    private double[] valuesInSlivers(AttentionProblem p, int b, Scratch w) {
        long padded = (long) pg.paddedColumns(p.valueDepth) * p.keys;
        if (padded > MAX_PACKED_KEYS) {
            return null;
        }
        return w.values.inSlivers(pg, p.serial, p.v, p.vOffset[b], p.keys, p.valueDepth);
    }

    /** Blocks keys past each row's key end and applies the elementwise mask, in a transposed tile. */
    static void maskTransposed(AttentionProblem p, int b, int i0, int rows, int j0, int n, double[] st, int[] rowEnd) {
        boolean elementwise = p.mask.isElementwise();
        for (int r = 0; r < rows; r++) {
            int end = rowEnd[r] - j0;
            for (int j = Math.max(end, 0); j < n; j++) {
                st[j * rows + r] = Double.NEGATIVE_INFINITY;
            }
            if (elementwise && end > 0) {
                p.mask.apply(b, i0 + r, j0, j0 + Math.min(end, n), st, r, rows);
            }
        }
    }

    /**
     * Materialised attention for queries {@code [i0, i1)} of batch element {@code b}: scores into
     * the weights rows, softmax in place, weights times values.
     *
     * @param kt      the keys transposed by {@link #transposeKeys}, or null to read K as it is (worth it
     *                for a few queries only: each row's scores are then a one-column product)
     * @param weights modified: rows {@code [i0, i1)} of {@code [L, S]} at {@code b·L·S}
     * @param out     modified: rows {@code [i0, i1)} of {@code [L, dv]} at {@code b·L·dv}; null to
     *                compute the weights only
     * @param lse     modified: entries {@code [i0, i1)} at {@code b·L}
     */
    public void materialised(
            AttentionProblem p,
            double[] kt,
            int[] ktOffset,
            int b,
            int i0,
            int i1,
            double[] weights,
            double[] out,
            double[] lse) {
        int rows = i1 - i0;
        int L = p.queries;
        int S = p.keys;
        int d = p.depth;
        int dv = p.valueDepth;
        int w0 = (b * L + i0) * S;
        int tileEnd = p.mask.keyEnd(b, i0, i1);
        // Columns [0, tileStart) are blocked for every row (left of a sliding window): never scored.
        int tileStart = Math.min(p.mask.keyStart(b, i0, i1), tileEnd);
        int width = tileEnd - tileStart;
        // W[rows × width] = Q[i0 : i1] · Kᵀ[:, tileStart : tileEnd], written in place with row stride S.
        if (kt == null) {
            // Without the transposed keys (few queries: a decoding step), each row's scores as the
            // column K·q: the same chain of FMAs per score, so the same bits.
            for (int r = 0; r < rows; r++) {
                s.gemm(
                        width,
                        1,
                        d,
                        p.k,
                        p.kOffset[b] + tileStart * d,
                        d,
                        1,
                        p.q,
                        p.qOffset[b] + (i0 + r) * d,
                        1,
                        weights,
                        w0 + r * S + tileStart,
                        1,
                        false);
            }
        } else {
            s.gemm(
                    rows,
                    width,
                    d,
                    p.q,
                    p.qOffset[b] + i0 * d,
                    d,
                    1,
                    kt,
                    ktOffset[b] + tileStart,
                    S,
                    weights,
                    w0 + tileStart,
                    S,
                    false);
        }
        for (int r = 0; r < rows; r++) {
            int w = w0 + r * S;
            int end = Math.max(tileStart, p.mask.keyEnd(b, i0 + r));
            p.toScores(s, weights, w + tileStart, end - tileStart);
            p.modifyScores(b, i0 + r, 1, tileStart, end - tileStart, weights, w + tileStart, 0, 1);
            if (p.mask.isElementwise()) {
                p.mask.apply(b, i0 + r, tileStart, end, weights, w + tileStart, 1);
            }
            lse[b * L + i0 + r] = Softmax.inPlace(s, weights, w + tileStart, end - tileStart);
            if (p.dropout != null) {
                p.dropout.apply(b, i0 + r, tileStart, end, weights, w + tileStart, 1);
            }
            Arrays.fill(weights, w, w + tileStart, 0.0);
            Arrays.fill(weights, w + end, w + S, 0.0);
        }
        if (out == null) {
            return;
        }
        // O[rows × dv] = W[rows × width] · V[tileStart : tileEnd]; empty rows are all-zero weights.
        s.gemm(
                rows,
                dv,
                width,
                weights,
                w0 + tileStart,
                S,
                1,
                p.v,
                p.vOffset[b] + tileStart * dv,
                dv,
                out,
                (b * L + i0) * dv,
                dv,
                false);
    }

    /**
     * The keys of every distinct batch element transposed to {@code [d, S]}, for
     * {@link #materialised}; {@code offsets[b]} receives where batch element {@code b}'s copy starts.
     * Batch elements that share their keys (broadcast) share the copy. Runs on up to
     * {@code parallelism} threads.
     */
    public static double[] transposeKeys(AttentionProblem p, int[] offsets, int parallelism) {
        int S = p.keys;
        int d = p.depth;
        BatchedMatrices.Distinct distinct = BatchedMatrices.distinct(p.kOffset);
        for (int b = 0; b < p.batches; b++) {
            offsets[b] = distinct.slot(b) * S * d;
        }
        double[] kt = new double[distinct.count() * S * d];
        int blocks = distinct.count();
        Parallel.forEach(
                blocks,
                2.0 * blocks * S * d,
                parallelism,
                t -> transposeBlock(p.k, distinct.offset(t), S, d, kt, t * S * d));
        return kt;
    }

    /** {@code dst[dOff + c·rows + r] = src[sOff + r·cols + c]}, in 8×8 blocks to keep both sides in cache. */
    static void transposeBlock(double[] src, int sOff, int rows, int cols, double[] dst, int dOff) {
        for (int r0 = 0; r0 < rows; r0 += 8) {
            int r1 = Math.min(rows, r0 + 8);
            for (int c0 = 0; c0 < cols; c0 += 8) {
                int c1 = Math.min(cols, c0 + 8);
                for (int r = r0; r < r1; r++) {
                    for (int c = c0; c < c1; c++) {
                        dst[dOff + c * rows + r] = src[sOff + r * cols + c];
                    }
                }
            }
        }
    }

    /** {@code dst[c·rows + r] = src[off + r·d + c]}: a {@code rows × d} block transposed. */
    private static void packTransposed(double[] src, int off, int rows, int d, double[] dst) {
        transposeBlock(src, off, rows, d, dst, 0);
    }

    /** Per-thread working memory of {@link #online}, grown on demand and then reused. */
    private static final class Scratch {
        double[] qt = new double[0];
        double[] scores = new double[0];
        double[] acc = new double[0];
        double[] m = new double[0];
        double[] l = new double[0];
        double[] tileMax = new double[0];
        double[] shift = new double[0];
        double[] sum = new double[0];
        int[] rowEnd = new int[0];
        /** {@link #keysInPanels}' and {@link #valuesInSlivers}' copies. */
        final DerivedBlock keys = new DerivedBlock();

        final DerivedBlock values = new DerivedBlock();
        /** The query tile's {@code Qᵀ} in slivers. */
        double[] qSlivers = new double[0];
        /** The packed product's zero-padded copy of C for partial tiles ({@code mr·nr}). */
        double[] edge = new double[0];

        Scratch ensure(int rows, int d, int dv, int keyChunk) {
            if (qt.length < rows * d) {
                qt = new double[rows * d];
            }
            if (scores.length < rows * keyChunk) {
                scores = new double[rows * keyChunk];
            }
            if (acc.length < rows * dv) {
                acc = new double[rows * dv];
            }
            if (m.length < rows) {
                m = new double[rows];
                l = new double[rows];
                tileMax = new double[rows];
                shift = new double[rows];
                sum = new double[rows];
                rowEnd = new int[rows];
            }
            return this;
        }
    }
}
