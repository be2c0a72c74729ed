package dev.heed.internal.attention;

import dev.heed.internal.vector.KernelSupport;

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

    /**
     * Gemma 2's logit soft-capping: scores {@code cap · tanh(scale · q·k / cap)} before the mask;
     * 0 for none. See {@link #toScores} and {@link #softCapDerivative}.
     */
    public final double softCap;

    /**
     * Dropout on the weights, or null for none: the weights {@code P} that multiply the values are
     * {@code P ∘ Z} with {@code Z} from {@link Dropout}; the log-sum-exp stays the undropped one.
     */
    public final Dropout dropout;

    /**
     * The score function, FlexAttention's {@code score_mod}, applied after {@link #toScores} and before the mask; null
     * for none. See {@link #modifyScores}.
     */
    public final ScoreMod scoreMod;

    /**
     * A number no other problem in this JVM has: per-thread caches derived from the inputs (the
     * keys transposed by {@link TiledKernels}) are keyed by it, so they never hold on to a
     * finished call's arrays yet are never reused for another call's.
     */
    public final long serial = SERIALS.incrementAndGet();

    private static final java.util.concurrent.atomic.AtomicLong SERIALS = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param softCap      the soft cap, finite and positive, or 0 for none
     * @param dropout      dropout on the weights, or null for none
     * @param scoreMod     the score function, or null for none
     * @param valuesFinite whether every value element is finite, as the caller knows it (a
     *                     {@code KeyValueCache} checks each value it appends); when in doubt, pass
     *                     {@link #allFinite}{@code (v, vOffset, keys·valueDepth)}. True for a value
     *                     that is not finite sends it to kernels that assume finite values.
     */
    public AttentionProblem(
            int batches,
            int queries,
            int keys,
            int depth,
            int valueDepth,
            double scale,
            double softCap,
            double[] q,
            int[] qOffset,
            double[] k,
            int[] kOffset,
            double[] v,
            int[] vOffset,
            MaskPlan mask,
            Dropout dropout,
            ScoreMod scoreMod,
            boolean valuesFinite) {
        this.softCap = softCap;
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
        this.valuesFinite = valuesFinite;
        this.dropout = dropout;
        this.scoreMod = scoreMod;
    }

    /**
     * This problem with another dropout (null for none): the full kernel's backward recomputes the
     * undropped weights with it.
     */
    public AttentionProblem withDropout(Dropout dropout) {
        return with(q, qOffset, k, kOffset, dropout);
    }

    /**
     * This problem reading its queries and keys from other arrays (copies of the same blocks): the
     * values, and so whether they are finite, are this problem's — not scanned again (a decoding
     * step's values are the whole cache, as large as its attention's reads).
     */
    public AttentionProblem withQueriesAndKeys(double[] q, int[] qOffset, double[] k, int[] kOffset) {
        return with(q, qOffset, k, kOffset, dropout);
    }

    /** This problem with these queries, keys and dropout; everything else, and the values' finiteness, kept. */
    private AttentionProblem with(double[] q, int[] qOffset, double[] k, int[] kOffset, Dropout dropout) {
        return new AttentionProblem(
                batches,
                queries,
                keys,
                depth,
                valueDepth,
                scale,
                softCap,
                q,
                qOffset,
                k,
                kOffset,
                v,
                vOffset,
                mask,
                dropout,
                scoreMod,
                valuesFinite);
    }

    /**
     * The score-function hook every kernel calls where it forms scores, after {@link #toScores} and before the mask:
     * queries {@code [i0, i0 + rows)}, keys {@code [j0, j0 + n)} of batch element {@code b}, held at
     * {@code x[off + r·rowStride + j·colStride]}, in place. Nothing without a score function.
     */
    public void modifyScores(
            int b, int i0, int rows, int j0, int n, double[] x, int off, int rowStride, int colStride) {
        if (scoreMod != null && rows > 0 && n > 0) {
            scoreMod.apply(b, i0, rows, j0, n, x, off, rowStride, colStride);
        }
    }

    /**
     * The score hook every kernel calls on raw dot products {@code x[off, off + n)}, in place:
     * {@code scale · x}, then {@code cap · tanh(· / cap)} when soft-capped. Masks come after.
     */
    public void toScores(KernelSupport s, double[] x, int off, int n) {
        s.scale(x, off, n, scale);
        if (softCap != 0) {
            double cap = softCap;
            for (int i = off; i < off + n; i++) {
                x[i] = cap * StrictMath.tanh(x[i] / cap);
            }
        }
    }

    /**
     * Whether a score is nothing but {@code scale · dot} — no soft cap, no score function, no
     * elementwise mask — with {@code scale > 0}. Then a kernel may leave the dot products unscaled
     * until the exponential: rounding {@code scale · x} is monotone, so the largest scaled score is
     * the scaled largest dot product, bit for bit, and {@code −∞} stays {@code −∞}.
     */
    public boolean scaleOnlyInExp() {
        return scale > 0 && softCap == 0 && scoreMod == null && !mask.isElementwise();
    }

    /** {@link #toScores} of one dot product. */
    public double toScore(double dot) {
        double x = scale * dot;
        return softCap == 0 ? x : softCap * StrictMath.tanh(x / softCap);
    }

    /**
     * The derivative of the soft cap at a capped score {@code c = cap · tanh(x / cap)}:
     * {@code 1 − tanh² = (1 − c/cap)(1 + c/cap)}, the factor that turns the gradient of a capped
     * score into that of the scaled one. 1 when not soft-capped.
     */
    public double softCapDerivative(double capped) {
        if (softCap == 0) {
            return 1.0;
        }
        double t = capped / softCap;
        return (1 - t) * (1 + t);
    }

    /** Whether {@code v[off, off + length)} is finite for every distinct offset. */
    public static boolean allFinite(double[] v, int[] offsets, int length) {
        int last = -1;
        for (int off : offsets) {
            if (off == last) {
                continue; // broadcast batch elements share their values
            }
            last = off;
            // x·0 is 0 for finite x and NaN for ±inf or NaN, so a sum of them is NaN exactly when
            // some element is not finite: four independent sums and no branch per element, twice
            // as fast as testing each element (this scan is a few % of a 256-token forward).
            double s0 = 0;
            double s1 = 0;
            double s2 = 0;
            double s3 = 0;
            int i = off;
            for (int end = off + length - 3; i < end; i += 4) {
                s0 += v[i] * 0.0;
                s1 += v[i + 1] * 0.0;
                s2 += v[i + 2] * 0.0;
                s3 += v[i + 3] * 0.0;
            }
            for (; i < off + length; i++) {
                s0 += v[i] * 0.0;
            }
            if (Double.isNaN(s0 + s1 + s2 + s3)) {
                return false;
            }
        }
        return true;
    }

    /** Floating-point operations of the two matrix products, 2·L·S·d + 2·L·S·dv per batch element. */
    public double flops() {
        return 2.0 * batches * queries * (double) keys * (depth + valueDepth);
    }
}
