package dev.heed.internal.vector;

/**
 * The inner loops every Heed kernel is built from, on raw arrays. Not API.
 *
 * <p>Two implementations: {@link ScalarKernelSupport}, plain Java that always works, and
 * {@code PanamaKernelSupport}, which uses the Vector API ({@code jdk.incubator.vector}) when the
 * JVM was started with {@code --add-modules jdk.incubator.vector}. {@link VectorizationProvider}
 * picks one. Both give the same results up to rounding (sums may be added in another order,
 * exponentials may differ by an ulp); tests hold them to that.
 *
 * <p>Callers check arguments; implementations assume them valid. Matrices are row-major with unit
 * column stride and a leading dimension {@code ld} between rows.
 */
public interface KernelSupport {

    /**
     * {@code C = A·B} (or {@code C += A·B} when {@code accumulate}), with A {@code [m×k]}, B
     * {@code [k×n]} and C {@code [m×n]}. A may have any strides — element {@code (i, p)} is at
     * {@code a[aOff + i·ars + p·acs]}, so a transposed A needs no copy — while B and C have unit
     * column stride. C must not overlap A or B.
     *
     * @param c modified
     */
    void gemm(
            int m,
            int n,
            int k,
            double[] a,
            int aOff,
            int ars,
            int acs,
            double[] b,
            int bOff,
            int ldb,
            double[] c,
            int cOff,
            int ldc,
            boolean accumulate);

    /** Largest of {@code x[off, off+n)}, {@code -inf} when {@code n == 0}; NaN if any element is NaN. */
    double max(double[] x, int off, int n);

    /**
     * {@code acc[c] = max(acc[c], x[off + r·cols + c])} for {@code r < rows}, {@code c < cols}: the
     * column maxima of a row-major block, such as each query's maximum over a transposed score
     * tile, folded into {@code acc} ({@code rows = 1}: one row into {@code acc}). A maximum does
     * not depend on the order of its operands, so every implementation gives the same values;
     * NaN propagates. The vector implementation keeps the maxima in registers down the rows.
     *
     * @param acc modified: {@code [0, cols)}
     */
    void maxOverRows(double[] x, int off, int rows, int cols, double[] acc);

    /**
     * {@code x[o] = exp(scale · x[o] − shift[c])} and {@code sum[c] += x[o]} at
     * {@code o = off + r·cols + c} for {@code r < rows}, {@code c < cols}: a transposed score tile
     * (a row per key, a column per query), each column with its own shift, the sums added row by
     * row in order. {@code scale · x} is rounded before the shift, so {@code scale = 1} is
     * {@code exp(x − shift)}. The vector implementation holds a column vector's shift and sum in
     * registers down the rows.
     *
     * <p>For an online softmax: arguments must not exceed 665 ({@code shift} is a running maximum
     * of the scaled row, so they are ≤ 0 or NaN); above, the result is unspecified. The vector
     * implementation leaves out the exponential's upper clamp and builds {@code 2ⁿ} in one factor
     * instead of two, which only holds there: together a third fewer operations.
     *
     * @param x   modified
     * @param sum modified: {@code [0, cols)}
     */
    void expShiftAccumulate(double[] x, int off, int rows, int cols, double scale, double[] shift, double[] sum);

    /**
     * Replaces {@code x[off, off+n)} by {@code exp(x − shift)} and returns their sum.
     * {@code exp(-inf) = 0}; NaN propagates.
     *
     * @param x modified
     */
    double expShiftSum(double[] x, int off, int n, double shift);

    /**
     * {@code x[off, off+n) *= alpha}.
     *
     * @param x modified
     */
    void scale(double[] x, int off, int n, double alpha);

    /**
     * {@code x[off + i] = p[pOff + i] · (x[off + i] − shift)} for {@code i < n}: the softmax
     * backward {@code dS = P ∘ (dP − D)} along one row, {@code D} the row's
     * {@code rowsum(dO ∘ O)}. Two exactly rounded operations per element, so every implementation
     * gives the same bits.
     *
     * @param x modified
     */
    void subtractMultiply(double[] x, int off, int n, double shift, double[] p, int pOff);

    /**
     * {@code x[off + i] = p[pOff + i] · (x[off + i] − shift[i])} for {@code i < n}: the softmax
     * backward along one row of a transposed tile, each column with its own {@code D}. Same bits
     * in every implementation.
     *
     * @param x modified
     */
    void subtractMultiply(double[] x, int off, int n, double[] shift, double[] p, int pOff);

    /**
     * One row of a score tile to its weights and their score gradient, in one pass: for
     * {@code i < n}, {@code w = exp(scale · x[off + i] − shift)}, {@code x[off + i] = w} and
     * {@code g[gOff + i] = w · (g[gOff + i] − delta)}. With {@code g} holding {@code dP = dO Vᵀ},
     * {@code shift} the row's log-sum-exp and {@code delta} its {@code D}, that is the weights
     * {@code P} and {@code dS = P ∘ (dP − D)} of the softmax backward. The exponential is
     * {@link #expShiftSum}'s and {@code scale · x} is rounded before the shift, so
     * {@code scale = 1} gives {@code expShiftSum}'s weights bit for bit; the gradient is
     * {@link #subtractMultiply}'s two exactly rounded operations.
     *
     * @param x modified
     * @param g modified
     */
    void expSubtractMultiply(
            double[] x, int off, int n, double scale, double shift, double[] g, int gOff, double delta);

    /**
     * {@code acc[accOff + i] += x[off + i]} for {@code i < n}: one exactly rounded addition per
     * element, so every implementation gives the same bits.
     *
     * @param acc modified
     */
    void addInto(double[] x, int off, int n, double[] acc, int accOff);

    /**
     * The kernels for FlashAttention's tiles ({@code TiledKernels.online}): these, or a twin whose
     * micro-tile's slivers divide the default 64-wide attention tiles where these do not (8 × 3
     * vectors of 8 doubles is 24 columns; 4 × 4 is 32). Same bits either way: every micro-tile
     * adds each element's products in the order of {@code k}.
     */
    default KernelSupport attentionTiles() {
        return this;
    }

    /** A short name for logs and benchmarks: "scalar" or "vector-512" etc. */
    String name();

    /** Bits of one vector the kernels compute on: 64 for the scalar kernels (one double). */
    int vectorBits();
}
