package dev.heed.attention;

import dev.heed.internal.Parallel;
import dev.heed.internal.attention.ScoreBackward;
import dev.heed.internal.attention.ScoresProblem;
import dev.heed.internal.vector.KernelSupport;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.Objects;

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
 * <p><b>Backward.</b> {@link #backward} gives the gradients of a loss with respect to the scores
 * and the value, so whatever computed the scores can pass the gradient on (docs/gradients.md).
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

    /**
     * The gradients of a scalar loss with respect to {@code scores} and {@code value}, given
     * {@code gradOutput}, the loss's gradient with respect to the output of
     * {@code apply(scores, value, mask)}.
     *
     * <p>With {@code P} the weights, {@code O} the output and {@code dO = gradOutput}, per batch
     * element: {@code dValue = Pᵀ dO} and {@code dScores = P ∘ (dP − D)} with {@code dP = dO Vᵀ}
     * and {@code D = rowsum(dO ∘ O)} (the softmax's Jacobian; docs/gradients.md derives it). The
     * mask is a constant and gets no gradient; a {@link Mask#bias bias} added to the scores would
     * get exactly {@code dScores}, summed over the axes it was broadcast along.
     *
     * <p><b>Edges.</b> A key the mask blocks (or a score of {@code -inf}) has weight 0, so its score
     * gets gradient 0 and it adds nothing to its value's gradient; a query row that may attend to
     * nothing gets a zero score gradient and contributes nothing — never NaN, also when an input
     * where no weight falls holds an infinity. A NaN row of the forward (a NaN or {@code +inf}
     * score at an allowed key) gives NaN score gradients at that row's allowed keys and NaN value
     * gradients at the keys it attended, as IEEE arithmetic says; other rows are unaffected.
     *
     * <p><b>Broadcasting.</b> Scores or values whose batch axes were broadcast in the forward (an
     * {@code [L, S]} scores tensor serving a batch of values, a value {@code [1, S, dv]} shared by
     * every batch element) get their gradients summed back to their own shapes. A stride-0 view
     * ({@link Tensor#broadcastTo}) has as many elements as its shape says and gets a gradient per
     * element of that shape, as in PyTorch.
     *
     * <p><b>Cost.</b> Two matrix products, {@code 4·L·S·dv} flops per batch element (the forward
     * has one), from the forward's weights: nothing is recomputed. Memory: the score gradient,
     * {@code [..., L, S]} like the weights, a transposed copy of the values, and the value gradient.
     * Split over (batch element, tile of 64 queries) for the scores, then (batch element, tile of 64
     * keys) for the values; bitwise the same for any thread count. Inputs holding an infinity or
     * NaN take a row-by-row path that skips every pair of weight 0.
     *
     * <p>The backward reads {@code forward}'s weights, output and log-sum-exp and the values passed
     * here: these must be what produced {@code forward}, unchanged. Only the shapes can be checked.
     *
     * @param scores     as given to {@code apply}: {@code [..., L, S]}; not modified (only its
     *                   shape is read)
     * @param value      as given to {@code apply}: {@code [..., S, dv]}; not modified
     * @param mask       as given to {@code apply}
     * @param forward    what {@code apply(scores, value, mask)} returned; not modified
     * @param gradOutput ∂loss/∂output, shaped like {@code forward.output()}; any view; not modified
     * @return the two gradients, new tensors shaped like {@code scores} and {@code value}
     * @throws IllegalArgumentException if the inputs do not fit each other as in {@code apply}, if
     *                                  {@code forward} or {@code gradOutput} is null, if
     *                                  {@code forward}'s output, weights or log-sum-exp do not have
     *                                  the shapes these inputs give, or {@code gradOutput} is not
     *                                  shaped like {@code forward.output()} — naming the shapes
     */
    public Gradients backward(Tensor scores, Tensor value, Mask mask, AttentionResult forward, Tensor gradOutput) {
        ScoreInputs in = ScoreInputs.of(scores, value, mask);
        if (forward == null) {
            throw new IllegalArgumentException("forward must not be null: pass what apply returned for these inputs");
        }
        if (gradOutput == null) {
            throw new IllegalArgumentException("gradOutput must not be null");
        }
        int[] output = forward.output().shape();
        int[] lse = forward.logSumExp().shape();
        int[] weights = forward.weights().shape();
        if (!Arrays.equals(output, in.outputShape())
                || !Arrays.equals(lse, in.logSumExpShape())
                || !Arrays.equals(weights, in.weightsShape())) {
            throw new IllegalArgumentException("forward does not belong to these inputs: its output has shape "
                    + Arrays.toString(output) + ", weights " + Arrays.toString(weights) + " and logSumExp "
                    + Arrays.toString(lse) + ", but scores " + Arrays.toString(scores.shape()) + " and value "
                    + Arrays.toString(value.shape()) + " give output " + Arrays.toString(in.outputShape())
                    + ", weights " + Arrays.toString(in.weightsShape()) + " and logSumExp "
                    + Arrays.toString(in.logSumExpShape()));
        }
        if (!Arrays.equals(gradOutput.shape(), output)) {
            throw new IllegalArgumentException("gradOutput must be shaped like forward.output() "
                    + Arrays.toString(output) + ", got " + Arrays.toString(gradOutput.shape()));
        }
        ScoresProblem p = in.problem;
        Tensor gradScores = Tensor.zeros(in.weightsShape());
        Tensor gradValue = Tensor.zeros(AttentionInputs.append(in.batchShape, p.keys, p.valueDepth));
        ScoreBackward g = new ScoreBackward(
                p,
                AttentionBackward.dense(forward.weights()),
                AttentionBackward.dense(forward.output()),
                AttentionBackward.dense(gradOutput),
                AttentionBackward.dense(forward.logSumExp()),
                gradScores.data(),
                gradValue.data());
        KernelSupport s = driver.support();
        int threads = driver.parallelism();
        if (g.finite) {
            int[] vtOffset = new int[p.batches];
            double[] vt = ScoreBackward.transposeValues(p, vtOffset, threads);
            int tile = AttentionDriver.MATERIALISED_QUERY_TILE;
            int queryTiles = (p.queries + tile - 1) / tile;
            Parallel.forEach(p.batches * queryTiles, p.flops(), threads, t -> {
                int b = t / queryTiles;
                int i0 = (t % queryTiles) * tile;
                g.queries(s, vt, vtOffset, b, i0, Math.min(p.queries, i0 + tile));
            });
            int keyTile = AttentionBackward.MATERIALISED_KEY_TILE;
            int keyTiles = (p.keys + keyTile - 1) / keyTile;
            Parallel.forEach(p.batches * keyTiles, p.flops(), threads, t -> {
                int b = t / keyTiles;
                int j0 = (t % keyTiles) * keyTile;
                g.keys(s, b, j0, Math.min(p.keys, j0 + keyTile));
            });
        } else {
            Parallel.forEach(p.batches, 2 * p.flops(), threads, g::exact);
        }
        return new Gradients(
                AttentionBackward.sumTo(gradScores, scores.shape()), AttentionBackward.sumTo(gradValue, value.shape()));
    }

    /**
     * The gradients {@link #backward} returns. Each has exactly the shape of its input; both are new
     * tensors owned by this object, neither a view of an input.
     *
     * @param scores ∂loss/∂scores, shaped like the scores {@code [..., L, S]}: 0 at every blocked
     *               key and on every row that may attend to nothing
     * @param value  ∂loss/∂value, shaped like the value {@code [..., S, dv]}
     */
    public record Gradients(Tensor scores, Tensor value) {
        /**
         * Checks and keeps the gradients, as computed by {@code backward}.
         *
         * @param scores ∂loss/∂scores; kept, not copied
         * @param value  ∂loss/∂value; kept, not copied
         * @throws NullPointerException if either is null
         */
        public Gradients {
            Objects.requireNonNull(scores, "scores");
            Objects.requireNonNull(value, "value");
        }

        /** {@return the shapes, for logs} */
        @Override
        public String toString() {
            return "SoftmaxAttention.Gradients{scores=" + Arrays.toString(scores.shape()) + ", value="
                    + Arrays.toString(value.shape()) + "}";
        }
    }

    /** {@return a description with the parallelism and the kernels, for logs} */
    @Override
    public String toString() {
        return "SoftmaxAttention{parallelism=" + driver.parallelism() + ", kernels="
                + driver.support().name() + "}";
    }
}
