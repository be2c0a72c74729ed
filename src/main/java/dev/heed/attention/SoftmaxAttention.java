package dev.heed.attention;

import dev.heed.internal.attention.ScoresProblem;
import dev.heed.internal.vector.KernelSupport;
import dev.heed.tensor.Tensor;

/**
 * Attention over scores the caller computed: {@code weights = softmax(scores + mask)} over the
 * last axis, {@code output = weights · value}. The second half of every attention, for scores
 * that are not {@code scale · q kᵀ} — additive (Bahdanau) or bilinear scores, a learned pooling
 * query, scores from another library — with the same masks, edges and kernels as
 * {@link ScaledDotProductAttention}: given {@code scale · q kᵀ} as its scores, it returns what
 * that class returns, to rounding.
 *
 * <p><b>Shapes.</b> scores {@code [..., L, S]} (L queries, S keys) and value {@code [..., S, dv]},
 * with leading batch axes that broadcast against each other by NumPy's rules (an {@code [L, S]}
 * scores tensor serves every batch element of the value, and the other way round). Output
 * {@code [..., L, dv]}, weights {@code [..., L, S]} and logSumExp {@code [..., L]} — all new
 * tensors; scores and value may be any views (transposed, sliced, broadcast) and are not modified.
 * The scores are read in place, never copied.
 *
 * <p><b>Masks.</b> Any {@link Mask}, broadcast against {@code [..., L, S]}: a bias is added to the
 * scores, a key that {@code allow}, {@code block}, {@code causal} or {@code keyPadding} blocks gets
 * weight exactly 0 and contributes nothing to the output, whatever its score or its value hold.
 *
 * <p><b>Edges.</b> The softmax is stable (the row maximum is subtracted), so scores of ±1e6 give
 * exact weights. A score of {@code -inf} blocks its key, as a {@code -inf} bias does. A query that
 * may attend to nothing (every key blocked) gets output 0, weights 0 and logSumExp {@code -inf},
 * never NaN. A NaN or {@code +inf} score at a key the mask allows makes that query's output,
 * weights and logSumExp NaN — IEEE arithmetic's answer ({@code exp(inf − inf)}), kept to that one
 * row, as everywhere in Heed — while other rows are unaffected; at a key the mask blocks it is
 * never looked at. NaN or an infinity in the values propagates as IEEE says, except through a
 * blocked key.
 *
 * <p>Work is split over (batch element, tile of 64 queries) on fork/join — the common pool, or the
 * caller's pool when called from inside one — on at most {@link #withParallelism} threads; results
 * are bitwise the same whatever the thread count. The inner loops use the Vector API when the JVM
 * runs with {@code --add-modules jdk.incubator.vector}.
 *
 * <p>Immutable and thread-safe.
 */
public final class SoftmaxAttention {
    private final AttentionDriver driver;

    /** Attention over given scores on the default number of threads. */
    public SoftmaxAttention() {
        this(AttentionDriver.of(null, 0));
    }

    private SoftmaxAttention(AttentionDriver driver) {
        this.driver = driver;
    }

    /**
     * The same attention running on at most {@code threads} threads (1 = the calling thread only).
     * The default is {@code -Ddev.heed.parallelism}, else the processor count.
     *
     * @param threads the most threads one call uses, {@code >= 1}
     * @return a new {@code SoftmaxAttention}; this one is unchanged
     * @throws IllegalArgumentException unless {@code threads >= 1}
     */
    public SoftmaxAttention withParallelism(int threads) {
        return new SoftmaxAttention(AttentionDriver.of(driver.support(), AttentionInputs.checkParallelism(threads)));
    }

    /** For tests and benchmarks: the same attention on the given inner loops. */
    SoftmaxAttention withSupport(KernelSupport support) {
        return new SoftmaxAttention(AttentionDriver.of(support, driver.parallelism()));
    }

    /**
     * {@code softmax(scores + mask) · value}, the softmax over the last axis.
     *
     * @param scores {@code [..., L, S]}; any view, not modified, not copied
     * @param value  {@code [..., S, dv]}, batch axes broadcasting against those of {@code scores};
     *               not modified
     * @param mask   broadcast against {@code [..., L, S]}; {@link Mask#none()} for none
     * @return output {@code [..., L, dv]}, weights {@code [..., L, S]} and logSumExp
     *         {@code [..., L]}, where {@code ...} is the broadcast batch shape; new tensors
     * @throws IllegalArgumentException if an argument is null, a rank is below 2, the number of
     *                                  keys S differs, the batch axes or the mask do not
     *                                  broadcast, or the weights would exceed 2³¹−1 elements —
     *                                  naming the shapes
     */
    public AttentionResult apply(Tensor scores, Tensor value, Mask mask) {
        ScoreInputs in = ScoreInputs.of(scores, value, mask);
        ScoresProblem p = in.problem;
        // Tensor.zeros refuses a shape past 2^31-1 elements, naming it, before anything is computed.
        Tensor weights = Tensor.zeros(in.weightsShape());
        Tensor out = Tensor.zeros(in.outputShape());
        Tensor lse = Tensor.zeros(in.logSumExpShape());
        driver.fromScores(p, weights.data(), out.data(), lse.data());
        return new AttentionResult(out, weights, lse);
    }

    /** {@return a description with the parallelism and the kernels, for logs} */
    @Override
    public String toString() {
        return "SoftmaxAttention{parallelism=" + driver.parallelism() + ", kernels="
                + driver.support().name() + "}";
    }
}
