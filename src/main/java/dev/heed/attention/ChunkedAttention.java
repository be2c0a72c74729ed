package dev.heed.attention;

import dev.heed.internal.attention.AttentionProblem;
import dev.heed.internal.vector.KernelSupport;
import dev.heed.tensor.Tensor;

/**
 * Memory-efficient attention: the same result as {@link ScaledDotProductAttention} without ever
 * holding the {@code L × S} scores.
 *
 * <p>Queries are split into tiles of {@code queryChunk} rows and keys into tiles of
 * {@code keyChunk}; for each query tile the key tiles are visited in order with the online
 * softmax (a running maximum {@code m}, running sum {@code l} and an accumulator rescaled by
 * {@code exp(m_old − m_new)} whenever the maximum grows). Extra memory is
 * O(queryChunk · (keyChunk + d + dv)) per thread, plus, from 64 queries on, one batch element's
 * keys in the micro-tiles' layout ({@code S·d} doubles, rounded up to whole panels per key tile)
 * and on the Vector API its values too ({@code S·dv}, rounded up), each up to 16 MiB (longer
 * sequences read K and V in place), held softly per thread between calls: reused by the next
 * call, released under memory pressure. Key tiles wholly blocked by a causal,
 * key-padding or sliding-window mask are skipped, so causal attention costs about half and a
 * window of {@code W} keys about {@code W/S}.
 *
 * <p>Shapes and semantics are those of {@link Attention}. The result equals
 * {@code ScaledDotProductAttention}'s to about 1e-12 for every chunk size, mask and shape. Its
 * {@link AttentionResult#weights() weights} are not kept: they are recomputed from the inputs on
 * first request — the scores again, normalised by each row's maximum and sum, the two parts of the
 * log-sum-exp — exactly as {@code ScaledDotProductAttention} computes them (bitwise equal), which
 * costs O(L·S) memory at that point only. For that, {@code apply} keeps copies of the query and
 * key ({@code (L + S)·d} doubles per distinct batch element; none when it had to pack a strided
 * input anyway), so writes to the inputs after {@code apply} do not change the weights.
 *
 * <p>Work is split over (batch element, query tile) on fork/join — the common pool, or the
 * caller's pool when called from inside one — on at most {@link #withParallelism} threads;
 * results are bitwise the same whatever the thread count. The inner loops use the Vector API when
 * the JVM runs with {@code --add-modules jdk.incubator.vector}. Immutable and thread-safe.
 */
public final class ChunkedAttention implements Attention {
    /** Default query tile: rows of output accumulated together. */
    public static final int DEFAULT_QUERY_CHUNK = 64;
    /** Default key tile: scores held per query row at a time. */
    public static final int DEFAULT_KEY_CHUNK = 64;

    private final int queryChunk;
    private final int keyChunk;
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

    /**
     * Chunked attention with the default tile sizes ({@link #DEFAULT_QUERY_CHUNK},
     * {@link #DEFAULT_KEY_CHUNK}), scale {@code 1/sqrt(d)} (1 when {@code d = 0}) and parallelism.
     */
    public ChunkedAttention() {
        this(DEFAULT_QUERY_CHUNK, DEFAULT_KEY_CHUNK);
    }

    /**
     * Chunked attention with the given tile sizes and scale {@code 1/sqrt(d)}. A chunk larger than
     * a problem's axis is cut to it, so any positive size is safe; the result does not depend on
     * the sizes beyond rounding (about 1e-12).
     *
     * @param queryChunk query rows per tile, {@code >= 1}
     * @param keyChunk   keys per tile, {@code >= 1}
     * @throws IllegalArgumentException unless both chunks are positive
     */
    public ChunkedAttention(int queryChunk, int keyChunk) {
        this(queryChunk, keyChunk, Double.NaN, 0.0, AttentionDriver.of(null, 0), 0.0, 0L, null);
    }

    private ChunkedAttention(
            int queryChunk,
            int keyChunk,
            double scale,
            double softCap,
            AttentionDriver driver,
            double dropout,
            long dropoutSeed,
            ScoreFunction scoreFunction) {
        if (queryChunk <= 0 || keyChunk <= 0) {
            throw new IllegalArgumentException(
                    "chunk sizes must be positive, got queryChunk=" + queryChunk + ", keyChunk=" + keyChunk);
        }
        this.queryChunk = queryChunk;
        this.keyChunk = keyChunk;
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
    public ChunkedAttention withScale(double scale) {
        return new ChunkedAttention(
                queryChunk,
                keyChunk,
                AttentionInputs.checkScale(scale),
                softCap,
                driver,
                dropout,
                dropoutSeed,
                scoreFunction);
    }

    /**
     * The same attention with soft-capped scores, Gemma 2's attention logit soft-capping:
     * {@code s = cap · tanh(scale · q·k / cap)}, then the mask and its biases — exactly as
     * {@link ScaledDotProductAttention#withSoftCap}, tile by tile; the backward multiplies each
     * recomputed score's gradient by the cap's derivative {@code 1 − tanh²}.
     *
     * @param cap the cap, finite and {@code > 0} (Gemma 2 uses 50)
     * @return a new attention with this one's other settings; this one is unchanged
     * @throws IllegalArgumentException if {@code cap} is not finite and positive
     */
    public ChunkedAttention withSoftCap(double cap) {
        return new ChunkedAttention(
                queryChunk,
                keyChunk,
                scale,
                AttentionInputs.checkSoftCap(cap),
                driver,
                dropout,
                dropoutSeed,
                scoreFunction);
    }

    /**
     * The same attention with dropout on the weights, exactly as
     * {@link ScaledDotProductAttention#withDropout}: the weights that multiply the values are
     * {@code P ∘ Z}, the log-sum-exp stays the undropped one, the result's (lazy)
     * {@link AttentionResult#weights() weights} are the dropped, rescaled ones, and the same seed drops
     * the same weights in both kernels, for any tile size and thread count (the generator's
     * function is given there). Each tile regenerates its {@code Z} from the seed, in the forward and
     * again in the backward ({@code dP = (dO vᵀ) ∘ Z}, {@code dV = (P ∘ Z)ᵀ dO}): no mask is stored,
     * and memory stays O(L + S). The online softmax's running sum is over the undropped weights.
     *
     * @param p    the probability of dropping each weight, in {@code [0, 1)}; 0 turns dropout off
     * @param seed the seed of the generator
     * @return a new attention with this one's other settings; this one is unchanged
     * @throws IllegalArgumentException unless {@code 0 <= p < 1}
     */
    public ChunkedAttention withDropout(double p, long seed) {
        return new ChunkedAttention(
                queryChunk, keyChunk, scale, softCap, driver, AttentionInputs.checkDropout(p), seed, scoreFunction);
    }

    /**
     * The same attention with a score function, FlexAttention's {@code score_mod}: each score
     * {@code s = scale · q·k} (soft-capped if set) becomes {@code fn.apply(batch, head, query, key, s)}, then the mask
     * and its biases — exactly as {@link ScaledDotProductAttention#withScoreFunction}, tile by tile; tiles the mask
     * blocks entirely are still skipped. The backward recomputes each score tile, keeps the scores {@code fn} was
     * given ({@code queryChunk × keyChunk} more doubles per thread) and takes the gradient through {@code fn}; the
     * gradients of {@code fn}'s {@linkplain ScoreFunction#parameters() parameters} come back in
     * {@link AttentionGradients#scoreParameters()}, summed from one private copy per key-tile task (batch elements ×
     * {@code S / keyChunk} copies of the parameters at most: small for a relative-position table).
     *
     * @param fn the score function; null for none
     * @return a new attention with this one's other settings; this one is unchanged
     */
    public ChunkedAttention withScoreFunction(ScoreFunction fn) {
        return new ChunkedAttention(queryChunk, keyChunk, scale, softCap, driver, dropout, dropoutSeed, fn);
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
    public ChunkedAttention withParallelism(int threads) {
        return new ChunkedAttention(
                queryChunk,
                keyChunk,
                scale,
                softCap,
                AttentionDriver.of(driver.support(), AttentionInputs.checkParallelism(threads)),
                dropout,
                dropoutSeed,
                scoreFunction);
    }

    /** For tests and benchmarks: the same attention on the given inner loops. */
    ChunkedAttention withSupport(KernelSupport support) {
        return new ChunkedAttention(
                queryChunk,
                keyChunk,
                scale,
                softCap,
                AttentionDriver.of(support, driver.parallelism()),
                dropout,
                dropoutSeed,
                scoreFunction);
    }

    /**
     * Rows per query tile.
     *
     * @return the query chunk given at construction
     */
    public int queryChunk() {
        return queryChunk;
    }

    /**
     * Keys per key tile.
     *
     * @return the key chunk given at construction
     */
    public int keyChunk() {
        return keyChunk;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The output and log-sum-exp are computed now; the weights only on the first call to
     * {@link AttentionResult#weights()}, from private copies of the query and key taken during
     * this call, so later writes into the inputs do not change them. That call throws
     * {@link IllegalArgumentException} if the weights would exceed 2³¹−1 elements.
     *
     * @throws IllegalArgumentException if an argument is null, the ranks are below 2, {@code d} or
     *                                  {@code S} differ, or the batch axes or the mask do not
     *                                  broadcast
     */
    @Override
    public AttentionResult apply(Tensor query, Tensor key, Tensor value, Mask mask) {
        return apply(query, key, value, mask, false, false);
    }

    /**
     * {@link #apply(Tensor, Tensor, Tensor, Mask)}, told whether the values are known to be finite and
     * whether the keys' array is kept as it is for as long as the result lives ({@code keysKept}, a
     * {@link KeyValueCache}'s promise): the lazy weights then read the keys in place instead of a copy.
     */
    AttentionResult apply(
            Tensor query, Tensor key, Tensor value, Mask mask, boolean valuesKnownFinite, boolean keysKept) {
        AttentionInputs in = AttentionInputs.of(
                query, key, value, mask, scale, softCap, dropout, dropoutSeed, scoreFunction, valuesKnownFinite);
        AttentionProblem p = in.problem;
        Tensor out = Tensor.zeros(in.outputShape());
        Tensor lse = Tensor.zeros(in.logSumExpShape());
        driver.online(p, queryChunk, keyChunk, out.data(), lse.data());
        int[] weightsShape = in.weightsShape();
        // The lazy weights read private copies of query and key, so that later writes to the
        // caller's tensors cannot change them (see AttentionResult); they do not read the values.
        AttentionProblem own = in.withPrivateQueriesAndKeys(query, key, keysKept);
        return AttentionResult.withLazyWeights(
                out,
                () -> {
                    Tensor weights = Tensor.zeros(weightsShape); // refuses more than 2^31-1 elements, naming the shape
                    driver.materialised(own, weights.data(), null, new double[lse.size()]);
                    return weights;
                },
                lse);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Here by FlashAttention-2's backward: the weights are never materialised (the result's
     * lazy weights are not touched). For each tile of {@code keyChunk} keys, the query tiles are
     * visited in a fixed order and each score tile is recomputed from q, k and the saved
     * log-sum-exp, {@code P = exp(scale · q kᵀ + mask − lse)}, giving that key tile's {@code dK}
     * and {@code dV} and its share of each query's {@code dQ}; the shares of a query tile are added
     * in key-tile order, whichever thread computed them first. Extra memory is
     * O(queryChunk · keyChunk + keyChunk · (d + dv) + queryChunk · d) per thread, besides the
     * gradients, two numbers per query row and a few early {@code dQ} shares held per thread, plus
     * one batch element's queries and upstream gradient in the micro-tiles' layouts (on the Vector
     * API up to four copies of {@code L·d} or {@code L·dv} doubles, each up to 16 MiB, held softly
     * per thread between calls like the forward's; longer sequences read them in place); tiles
     * a causal, key-padding or sliding-window mask blocks entirely are skipped. The gradients are bitwise the same
     * whatever the thread count; they equal {@link ScaledDotProductAttention#backward}'s to about
     * 1e-12 (for scores of magnitude M, {@code exp(s − lse)} carries an extra relative error of
     * about {@code M · 2⁻⁵²}).
     */
    @Override
    public AttentionGradients backward(
            Tensor query, Tensor key, Tensor value, Mask mask, AttentionResult forward, Tensor gradOutput) {
        AttentionInputs in =
                AttentionInputs.of(query, key, value, mask, scale, softCap, dropout, dropoutSeed, scoreFunction);
        return AttentionBackward.chunked(driver, in, queryChunk, keyChunk, query, key, value, forward, gradOutput);
    }

    @Override
    public String toString() {
        return "ChunkedAttention{queryChunk=" + queryChunk + ", keyChunk=" + keyChunk + ", scale="
                + (Double.isNaN(scale) ? "1/sqrt(d)" : scale) + (softCap == 0 ? "" : ", softCap=" + softCap)
                + (dropout == 0 ? "" : ", dropout=" + dropout + ", seed=" + dropoutSeed)
                + (scoreFunction == null ? "" : ", scoreFunction=" + scoreFunction)
                + ", parallelism=" + driver.parallelism()
                + ", kernels=" + driver.support().name() + "}";
    }
}
