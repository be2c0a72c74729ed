package dev.heed.attention;

import dev.heed.tensor.Tensor;

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
 * <p>Weights may be computed lazily, on the first call to {@link #weights()}; the call is
 * thread-safe and computes them once. The tensors are owned by the result: callers may read
 * them freely; writing into them changes what later callers see.
 *
 * <p><b>A result does not change when the inputs do.</b> Lazy weights never read the caller's
 * tensors: {@link ChunkedAttention} keeps private copies of the query and key it needs to
 * recompute them (weights do not depend on the values), and masks copy their tensors when made.
 * So writing into the query, key or value after {@code apply} leaves {@link #weights()} what it
 * would have been before, at the cost of {@code (L + S)·d} doubles held while the weights are not
 * yet computed; a supplier given to {@link #withLazyWeights} should likewise read nothing a caller
 * can still change. {@link Attention#backward} is different: it takes the inputs as arguments again and
 * reads them as they are then, together with this result's output and log-sum-exp (and weights,
 * for {@link ScaledDotProductAttention}); pass it the inputs unchanged.
 */
public final class AttentionResult {
    private final Tensor output;
    private final Tensor logSumExp;
    private Supplier<Tensor> weightsSupplier;
    private volatile Tensor weights;

    /** A result whose weights are already computed. */
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

    /** A result whose weights are computed by {@code weights} on the first call to {@link #weights()}. */
    public static AttentionResult withLazyWeights(Tensor output, Supplier<Tensor> weights, Tensor logSumExp) {
        return new AttentionResult(output, weights, logSumExp);
    }

    /** The attended values, {@code [..., L, dv]}. */
    public Tensor output() {
        return output;
    }

    /** The attention weights, {@code [..., L, S]}; computed on first use for lazy results. */
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

    /** {@code log Σ_j exp(score_ij)} per query, {@code [..., L]}; {@code -inf} where nothing may be attended. */
    public Tensor logSumExp() {
        return logSumExp;
    }

    @Override
    public String toString() {
        return "AttentionResult{output=" + java.util.Arrays.toString(output.shape())
                + ", logSumExp=" + java.util.Arrays.toString(logSumExp.shape()) + "}";
    }
}
