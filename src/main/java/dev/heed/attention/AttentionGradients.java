package dev.heed.attention;

import dev.heed.tensor.Tensor;
import java.util.Arrays;
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

    /**
     * Gradients as computed by a backward; the tensors are kept, not copied.
     *
     * @param query ∂loss/∂query; kept, not copied
     * @param key   ∂loss/∂key; kept, not copied
     * @param value ∂loss/∂value; kept, not copied
     * @throws NullPointerException if any is null
     */
    public AttentionGradients(Tensor query, Tensor key, Tensor value) {
        this.query = Objects.requireNonNull(query, "query");
        this.key = Objects.requireNonNull(key, "key");
        this.value = Objects.requireNonNull(value, "value");
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

    @Override
    public String toString() {
        return "AttentionGradients{query=" + Arrays.toString(query.shape()) + ", key=" + Arrays.toString(key.shape())
                + ", value=" + Arrays.toString(value.shape()) + "}";
    }
}
