package dev.heed.attention;

import dev.heed.internal.attention.AttentionProblem;
import dev.heed.internal.vector.KernelSupport;
import dev.heed.tensor.Tensor;

/**
 * Scaled dot-product attention with the scores materialised:
 * {@code softmax(q kᵀ · scale + mask) v}, scale {@code 1/sqrt(d)} unless set.
 *
 * <p>Shapes: query {@code [..., L, d]}, key {@code [..., S, d]}, value {@code [..., S, dv]},
 * with any number of leading batch axes that broadcast against each other (rank 2, 3, 4 …).
 * Output {@code [..., L, dv]}, weights {@code [..., L, S]}, logSumExp {@code [..., L]} — all new
 * tensors. The mask is added after scaling and broadcasts against {@code [..., L, S]}.
 *
 * <p>Memory is O(L·S) per call, since the weights are kept; for long sequences use
 * {@link ChunkedAttention}, which gives the same numbers in O(L + S). The softmax is stable
 * (row maximum subtracted), so logits of ±1e6 give exact weights, and a query that may attend to
 * nothing gets output 0, weights 0 and logSumExp {@code -inf}, never NaN.
 *
 * <p>Work is split over (batch element, tile of 64 queries) on fork/join — the common pool, or
 * the caller's pool when called from inside one — on at most {@link #withParallelism} threads;
 * results are bitwise the same whatever the thread count. The inner loops use the Vector API when
 * the JVM runs with {@code --add-modules jdk.incubator.vector}.
 *
 * <p>Immutable and thread-safe.
 */
public final class ScaledDotProductAttention implements Attention {
    private final double scale;
    /** The soft cap of the scores, 0 for none. */
    private final double softCap;

    private final AttentionDriver driver;
    /** The score function, null for none. */
    private final ScoreFunction scoreFunction;

    /** Attention with the default scale {@code 1/sqrt(d)} (1 when {@code d = 0}) and parallelism. */
    public ScaledDotProductAttention() {
        this(Double.NaN, 0.0, AttentionDriver.of(null, 0), null);
    }

    private ScaledDotProductAttention(
            double scale, double softCap, AttentionDriver driver, ScoreFunction scoreFunction) {
        this.scale = scale;
        this.softCap = softCap;
        this.driver = driver;
        this.scoreFunction = scoreFunction;
    }

    /**
     * The same attention with the scores multiplied by {@code scale} instead of {@code 1/sqrt(d)}.
     * Any finite value is accepted, 0 and negative ones included; the mask is applied after
     * scaling.
     *
     * @param scale the factor of {@code q·k}, finite
     * @return a new attention with this one's other settings; this one is unchanged
     * @throws IllegalArgumentException if {@code scale} is NaN or infinite
     */
    public ScaledDotProductAttention withScale(double scale) {
        return new ScaledDotProductAttention(AttentionInputs.checkScale(scale), softCap, driver, scoreFunction);
    }

    /**
     * The same attention with soft-capped scores, Gemma 2's attention logit soft-capping:
     * {@code s = cap · tanh(scale · q·k / cap)}, then the mask and its biases are applied (so an
     * ALiBi or other bias is not capped). Scores stay within {@code (-cap, cap)}; for
     * {@code |scale · q·k|} much smaller than {@code cap} they are nearly unchanged. The backward
     * multiplies each score's gradient by the cap's derivative {@code 1 − tanh²}. PyTorch has no
     * flag for it: FlexAttention writes it as a {@code score_mod}, Hugging Face's Gemma 2 as
     * {@code torch.tanh(scores / cap) * cap}.
     *
     * @param cap the cap, finite and {@code > 0} (Gemma 2 uses 50)
     * @return a new attention with this one's other settings; this one is unchanged
     * @throws IllegalArgumentException if {@code cap} is not finite and positive
     */
    public ScaledDotProductAttention withSoftCap(double cap) {
        return new ScaledDotProductAttention(scale, AttentionInputs.checkSoftCap(cap), driver, scoreFunction);
    }

    /**
     * The same attention with a score function, FlexAttention's {@code score_mod}: each score
     * {@code s = scale · q·k} (soft-capped if set) becomes {@code fn.apply(batch, head, query, key, s)}, then the mask
     * and its biases are applied; see {@link ScoreFunction} for the indices, the values it may return and its
     * gradients. The backward recomputes the scores of each query tile to take the gradient through {@code fn}, and
     * gives the gradients of {@code fn}'s {@linkplain ScoreFunction#parameters() parameters} in
     * {@link AttentionGradients#scoreParameters()}, summed from one private copy per task of 64 queries.
     *
     * @param fn the score function; null for none
     * @return a new attention with this one's other settings; this one is unchanged
     */
    public ScaledDotProductAttention withScoreFunction(ScoreFunction fn) {
        return new ScaledDotProductAttention(scale, softCap, driver, fn);
    }

    /**
     * The score function set by {@link #withScoreFunction}.
     *
     * @return the score function, or null for none
     */
    public ScoreFunction scoreFunction() {
        return scoreFunction;
    }

    /**
     * The same attention running on at most {@code threads} threads (1 = the calling thread
     * only). The default is {@code -Ddev.heed.parallelism}, else the processor count. The
     * result does not depend on the thread count, bit for bit.
     *
     * @param threads the most threads one call may use, {@code >= 1}
     * @return a new attention with this one's other settings; this one is unchanged
     * @throws IllegalArgumentException unless {@code threads >= 1}
     */
    public ScaledDotProductAttention withParallelism(int threads) {
        return new ScaledDotProductAttention(
                scale,
                softCap,
                AttentionDriver.of(driver.support(), AttentionInputs.checkParallelism(threads)),
                scoreFunction);
    }

    /** For tests and benchmarks: the same attention on the given inner loops. */
    ScaledDotProductAttention withSupport(KernelSupport support) {
        return new ScaledDotProductAttention(
                scale, softCap, AttentionDriver.of(support, driver.parallelism()), scoreFunction);
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if an argument is null, the ranks are below 2, {@code d} or
     *                                  {@code S} differ, the batch axes or the mask do not broadcast,
     *                                  or the weights would exceed 2³¹−1 elements
     */
    @Override
    public AttentionResult apply(Tensor query, Tensor key, Tensor value, Mask mask) {
        AttentionInputs in = AttentionInputs.of(query, key, value, mask, scale, softCap, scoreFunction);
        AttentionProblem p = in.problem;
        // Tensor.zeros refuses a shape past 2^31-1 elements, naming it, before anything is computed.
        Tensor weights = Tensor.zeros(in.weightsShape());
        Tensor out = Tensor.zeros(in.outputShape());
        Tensor lse = Tensor.zeros(in.logSumExpShape());
        driver.materialised(p, weights.data(), out.data(), lse.data());
        return new AttentionResult(out, weights, lse);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Here from {@code forward}'s materialised weights, with {@code dS} materialised as well:
     * O(L·S) memory again, about twice the forward's arithmetic. Split over (batch element, tile of
     * 64 queries) for {@code dQ}, then (batch element, tile of 64 keys) for {@code dK} and
     * {@code dV}; bitwise the same whatever the thread count.
     *
     * @throws IllegalArgumentException also if {@code forward}'s weights are not {@code [..., L, S]}
     */
    @Override
    public AttentionGradients backward(
            Tensor query, Tensor key, Tensor value, Mask mask, AttentionResult forward, Tensor gradOutput) {
        AttentionInputs in = AttentionInputs.of(query, key, value, mask, scale, softCap, scoreFunction);
        return AttentionBackward.materialised(driver, in, query, key, value, forward, gradOutput);
    }

    @Override
    public String toString() {
        return "ScaledDotProductAttention{scale=" + (Double.isNaN(scale) ? "1/sqrt(d)" : scale)
                + (softCap == 0 ? "" : ", softCap=" + softCap)
                + (scoreFunction == null ? "" : ", scoreFunction=" + scoreFunction) + ", parallelism="
                + driver.parallelism() + ", kernels="
                + driver.support().name() + "}";
    }
}
