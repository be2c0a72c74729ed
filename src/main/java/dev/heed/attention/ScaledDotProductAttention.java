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
    /** The probability of dropping a weight, 0 for none. */
    private final double dropout;
    /** The seed of the dropout's generator. */
    private final long dropoutSeed;
    /** The score function, null for none. */
    private final ScoreFunction scoreFunction;

    /** Attention with the default scale {@code 1/sqrt(d)} (1 when {@code d = 0}) and parallelism. */
    public ScaledDotProductAttention() {
        this(Double.NaN, 0.0, AttentionDriver.of(null, 0), 0.0, 0L, null);
    }

    private ScaledDotProductAttention(
            double scale,
            double softCap,
            AttentionDriver driver,
            double dropout,
            long dropoutSeed,
            ScoreFunction scoreFunction) {
        this.scale = scale;
        this.softCap = softCap;
        this.driver = driver;
        this.dropout = dropout;
        this.dropoutSeed = dropoutSeed;
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
        return new ScaledDotProductAttention(
                AttentionInputs.checkScale(scale), softCap, driver, dropout, dropoutSeed, scoreFunction);
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
        return new ScaledDotProductAttention(
                scale, AttentionInputs.checkSoftCap(cap), driver, dropout, dropoutSeed, scoreFunction);
    }

    /**
     * The same attention with dropout on the weights, as in training ({@code torch.nn.functional
     * .scaled_dot_product_attention(..., dropout_p=p)}): the weights {@code P} (after the softmax,
     * the mask and the soft cap) that multiply the values become {@code P ∘ Z}, {@code Z = keep / (1 − p)},
     * so the output is {@code (P ∘ Z) v}. The result's {@link AttentionResult#weights() weights} are
     * those dropped, rescaled weights (what multiplied {@code v}; their rows no longer sum to 1);
     * its {@link AttentionResult#logSumExp() logSumExp} is the undropped one, as FlashAttention
     * returns it. The backward drops exactly the same weights: {@code dV = (P ∘ Z)ᵀ dO},
     * {@code dP = (dO vᵀ) ∘ Z}, {@code dS = P ∘ (dP − D)}; it recomputes the undropped weights
     * (once more the forward's {@code O(L·S)} memory).
     *
     * <p>Whether weight {@code (batch, head, query, key)} is kept is a pure function of the seed and
     * those indices — {@code head} the index on the scores' axis −3 (0 below rank 3), {@code batch}
     * the flat index over the axes before it, as in {@link Mask#where} — so the same call drops the
     * same weights in this kernel and in {@link ChunkedAttention}, for any tile size and thread
     * count, and no mask is stored. With all arithmetic modulo 2⁶⁴ and {@code >>>} the unsigned shift:
     * <pre>{@code
     * mix(z) = z ^= z >>> 30;  z *= 0xbf58476d1ce4e5b9;  z ^= z >>> 27;  z *= 0x94d049bb133111eb;  z ^ (z >>> 31)
     * h      = mix(mix(mix(mix(mix(seed ^ 0x9e3779b97f4a7c15) ^ batch) ^ head) ^ query) ^ key)
     * keep   = (h >>> 11) · 2⁻⁵³ >= p
     * }</pre>
     * ({@code mix} is SplitMix64's finaliser). A new seed draws a new mask: for training, pass a
     * different seed at each step; for evaluation use {@code p = 0}, which is exactly no dropout.
     *
     * @param p    the probability of dropping each weight, in {@code [0, 1)}; 0 turns dropout off
     * @param seed the seed of the generator
     * @return a new attention with this one's other settings; this one is unchanged
     * @throws IllegalArgumentException unless {@code 0 <= p < 1}
     */
    public ScaledDotProductAttention withDropout(double p, long seed) {
        return new ScaledDotProductAttention(
                scale, softCap, driver, AttentionInputs.checkDropout(p), seed, scoreFunction);
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
        return new ScaledDotProductAttention(scale, softCap, driver, dropout, dropoutSeed, fn);
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
                dropout,
                dropoutSeed,
                scoreFunction);
    }

    /** For tests and benchmarks: the same attention on the given inner loops. */
    ScaledDotProductAttention withSupport(KernelSupport support) {
        return new ScaledDotProductAttention(
                scale, softCap, AttentionDriver.of(support, driver.parallelism()), dropout, dropoutSeed, scoreFunction);
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
        return apply(query, key, value, mask, false);
    }

    /** {@link #apply(Tensor, Tensor, Tensor, Mask)}, told whether the values are known to be finite. */
    AttentionResult apply(Tensor query, Tensor key, Tensor value, Mask mask, boolean valuesKnownFinite) {
        AttentionInputs in = AttentionInputs.of(
                query, key, value, mask, scale, softCap, dropout, dropoutSeed, scoreFunction, valuesKnownFinite);
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
        AttentionInputs in =
                AttentionInputs.of(query, key, value, mask, scale, softCap, dropout, dropoutSeed, scoreFunction);
        return AttentionBackward.materialised(driver, in, query, key, value, forward, gradOutput);
    }

    @Override
    public String toString() {
        return "ScaledDotProductAttention{scale=" + (Double.isNaN(scale) ? "1/sqrt(d)" : scale)
                + (softCap == 0 ? "" : ", softCap=" + softCap)
                + (dropout == 0 ? "" : ", dropout=" + dropout + ", seed=" + dropoutSeed)
                + (scoreFunction == null ? "" : ", scoreFunction=" + scoreFunction) + ", parallelism="
                + driver.parallelism() + ", kernels="
                + driver.support().name() + "}";
    }
}
