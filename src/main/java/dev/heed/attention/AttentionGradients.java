package dev.heed.attention;

import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The gradients of a scalar loss with respect to the query, key and value of one attention call,
 * as {@link Attention#backward} returns them.
 *
 * <p>Each gradient has exactly the shape of its input: an input whose batch axes were broadcast in
 * the forward (a key {@code [1, S, d]} against a query {@code [2, L, d]}, or a key {@code [S, d]}
 * shared by every batch element) gets the sum over the batch elements that shared it. A tensor
 * that is itself a stride-0 view ({@link Tensor#broadcastTo}) has as many elements as its shape
 * says, so its gradient is per element of that shape, as in PyTorch. The tensors are new and
 * owned by this object; none is a view of an input.
 */
public final class AttentionGradients {
    private final Tensor query;
    private final Tensor key;
    private final Tensor value;
    private final List<Tensor> scoreParameters;

    /**
     * Gradients as computed by a backward without a score function; the tensors are kept, not copied.
     *
     * @param query ∂loss/∂query; kept, not copied
     * @param key   ∂loss/∂key; kept, not copied
     * @param value ∂loss/∂value; kept, not copied
     * @throws NullPointerException if any is null
     */
    public AttentionGradients(Tensor query, Tensor key, Tensor value) {
        this(query, key, value, List.of());
    }

    /**
     * Gradients as computed by a backward, with those of the score function's parameters; the tensors are kept, not
     * copied.
     *
     * @param query           ∂loss/∂query; kept, not copied
     * @param key             ∂loss/∂key; kept, not copied
     * @param value           ∂loss/∂value; kept, not copied
     * @param scoreParameters ∂loss/∂ each of {@link ScoreFunction#parameters()}, in that order; the list is copied,
     *                        its tensors kept
     * @throws NullPointerException if any is null or the list holds null
     */
    public AttentionGradients(Tensor query, Tensor key, Tensor value, List<Tensor> scoreParameters) {
        this.query = Objects.requireNonNull(query, "query");
        this.key = Objects.requireNonNull(key, "key");
        this.value = Objects.requireNonNull(value, "value");
        this.scoreParameters = List.copyOf(Objects.requireNonNull(scoreParameters, "scoreParameters"));
    }

    /**
     * The gradient with respect to the query.
     *
     * @return shaped like the query: {@code [..., L, d]}, or {@code [d]} for a single query
     */
    public Tensor query() {
        return query;
    }

    /**
     * The gradient with respect to the key.
     *
     * @return shaped like the key, {@code [..., S, d]}
     */
    public Tensor key() {
        return key;
    }

    /**
     * The gradient with respect to the value.
     *
     * @return shaped like the value, {@code [..., S, dv]}
     */
    public Tensor value() {
        return value;
    }

    /**
     * The gradients of the score function's {@linkplain ScoreFunction#parameters() parameters} (a relative-position
     * table, a learned bias), in that order: each shaped like its parameter, the sum over every pair that read each
     * element, bitwise the same for any thread count. Empty without a score function or when it has no parameters.
     *
     * @return an unmodifiable list of new tensors
     */
    public List<Tensor> scoreParameters() {
        return scoreParameters;
    }

    @Override
    public String toString() {
        return "AttentionGradients{query=" + Arrays.toString(query.shape()) + ", key=" + Arrays.toString(key.shape())
                + ", value=" + Arrays.toString(value.shape())
                + (scoreParameters.isEmpty() ? "" : ", scoreParameters=" + scoreParameters.size()) + "}";
    }
}
