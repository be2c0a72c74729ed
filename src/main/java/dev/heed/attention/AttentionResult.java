package dev.heed.attention;

import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What an {@link Attention} call produces: the output, the attention weights and the
 * log-sum-exp of each query's scores.
 *
 * <p>Shapes for query {@code [..., L, d]} and value {@code [..., S, dv]}: output
 * {@code [..., L, dv]}, weights {@code [..., L, S]} (each row sums to 1, or is all 0 for a query
 * that may attend to nothing), logSumExp {@code [..., L]} ({@code log Σ_j exp(score_ij)} over
 * the allowed keys; {@code -inf} for a query that may attend to nothing). The log-sum-exp is
 * what lets attention over separate key blocks be merged exactly.
 *
 * <p>With dropout ({@link ScaledDotProductAttention#withDropout}, {@link ChunkedAttention#withDropout})
 * the weights are those that multiplied the values, {@code P ∘ Z}: dropped entries 0, kept ones
 * divided by {@code 1 − p}, so a row sums to 1 only in expectation. The log-sum-exp is the undropped
 * one, as FlashAttention returns it.
 *
 * <p>Weights may be computed lazily, on the first call to {@link #weights()}; the call is
 * thread-safe and computes them once. The tensors are owned by the result: callers may read
 * them freely; writing into them changes what later callers see.
 *
 * <p><b>A result does not change when the inputs do.</b> Lazy weights never read the caller's
 * tensors: {@link ChunkedAttention} keeps private copies of the query and key it needs to
 * recompute them (weights do not depend on the values), and masks copy their tensors when made.
 * So writing into the query, key or value after {@code apply} leaves {@link #weights()} what it
 * would have been before, at the cost of {@code (L + S)·d} doubles held while the weights are not
 * yet computed (a {@link KeyValueCache} step copies only the queries: the cache itself never
 * overwrites keys a result may still read); a supplier given to {@link #withLazyWeights} should likewise read nothing a caller
 * can still change. {@link Attention#backward} is different: it takes the inputs as arguments again and
 * reads them as they are then, together with this result's output and log-sum-exp (and weights,
 * for {@link ScaledDotProductAttention}); pass it the inputs unchanged.
 */
public final class AttentionResult {
    private final Tensor output;
    private final Tensor logSumExp;
    private Supplier<Tensor> weightsSupplier;
    private volatile Tensor weights;

    /**
     * A result whose weights are already computed. The tensors are kept, not copied.
     *
     * @param output    the attended values, {@code [..., L, dv]}
     * @param weights   the attention weights, {@code [..., L, S]}
     * @param logSumExp the log-sum-exp of each query's allowed scores, {@code [..., L]}
     * @throws NullPointerException if an argument is null
     */
    public AttentionResult(Tensor output, Tensor weights, Tensor logSumExp) {
        this.output = Objects.requireNonNull(output, "output");
        this.weights = Objects.requireNonNull(weights, "weights");
        this.logSumExp = Objects.requireNonNull(logSumExp, "logSumExp");
    }

    private AttentionResult(Tensor output, Supplier<Tensor> weights, Tensor logSumExp) {
        this.output = Objects.requireNonNull(output, "output");
        this.weightsSupplier = Objects.requireNonNull(weights, "weights");
        this.logSumExp = Objects.requireNonNull(logSumExp, "logSumExp");
    }

    /**
     * A result whose weights are computed by {@code weights} on the first call to {@link #weights()},
     * once, however many threads ask.
     *
     * @param output    the attended values, {@code [..., L, dv]}; kept, not copied
     * @param weights   computes the weights {@code [..., L, S]}; called at most once, then dropped
     * @param logSumExp the log-sum-exp of each query's allowed scores, {@code [..., L]}; kept
     * @return the new result
     * @throws NullPointerException if an argument is null
     */
    public static AttentionResult withLazyWeights(Tensor output, Supplier<Tensor> weights, Tensor logSumExp) {
        return new AttentionResult(output, weights, logSumExp);
    }

    /**
     * The attended values.
     *
     * @return the output {@code [..., L, dv]}, owned by this result (not a copy)
     */
    public Tensor output() {
        return output;
    }

    /**
     * The attention weights; computed on first use for lazy results (then kept).
     *
     * @return the weights {@code [..., L, S]}, owned by this result (not a copy); each row sums to 1,
     *         or is all 0 for a query that may attend to nothing
     */
    public Tensor weights() {
        Tensor w = weights;
        if (w == null) {
            synchronized (this) {
                w = weights;
                if (w == null) {
                    w = weightsSupplier.get();
                    weights = w;
                    weightsSupplier = null;
                }
            }
        }
        return w;
    }

    /**
     * {@code log Σ_j exp(score_ij)} per query over its allowed keys.
     *
     * @return the log-sum-exp {@code [..., L]}, owned by this result; {@code -inf} where nothing may
     *         be attended
     */
    public Tensor logSumExp() {
        return logSumExp;
    }

    /** A result of at most this many elements (weights counted once computed) prints its values. */
    private static final int PRINTED_UP_TO = 10_000;

    /**
     * A description for logs and the REPL. A small result (at most 10,000 elements in all) shows each
     * tensor's shape and values, as {@link Tensor#toString()} prints them (summarised past 1000
     * elements); a larger one only the shapes, on one line. Weights computed lazily and not yet asked
     * for show as "lazy, not computed": printing never computes them.
     *
     * @return the description
     */
    @Override
    public String toString() {
        Tensor w = weights; // read once, never through weights(): printing must not start a computation
        String lazy = "lazy, not computed";
        long n = (long) output.size() + logSumExp.size() + (w == null ? 0 : w.size());
        if (n > PRINTED_UP_TO) {
            return "AttentionResult{output " + Arrays.toString(output.shape()) + ", weights "
                    + (w == null ? lazy : Arrays.toString(w.shape())) + ", logSumExp "
                    + Arrays.toString(logSumExp.shape()) + "}";
        }
        StringBuilder sb = new StringBuilder("AttentionResult");
        appendTensor(sb, "output", output);
        if (w == null) {
            sb.append("\n  weights: ").append(lazy);
        } else {
            appendTensor(sb, "weights", w);
        }
        appendTensor(sb, "logSumExp", logSumExp);
        return sb.toString();
    }

    private static void appendTensor(StringBuilder sb, String name, Tensor t) {
        sb.append("\n  ")
                .append(name)
                .append(' ')
                .append(Arrays.toString(t.shape()))
                .append(':');
        for (String line : t.toString().split("\n", -1)) {
            sb.append(line.isEmpty() ? "\n" : "\n    ").append(line); // NumPy's blank line between blocks stays blank
        }
    }
}
