package dev.heed.attention;

import dev.heed.layers.Linear;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * Multi-head attention with the semantics of PyTorch's {@code nn.MultiheadAttention}
 * ({@code batch_first=True}, {@code average_attn_weights=False}).
 *
 * <p>For query {@code [B, L, E]}, key {@code [B, S, keyDim]} and value {@code [B, S, valueDim]}:
 * <pre>
 *   q = query·Wqᵀ + bq,  k = key·Wkᵀ + bk,  v = value·Wvᵀ + bv        (each [B, ·, E])
 *   split into H heads of size E/H                                    ([B, H, ·, E/H])
 *   o_h = attention(q_h, k_h, v_h, mask)   with scale 1/sqrt(E/H)     ([B, H, L, E/H])
 *   output = merge(o)·Woᵀ + bo                                         ([B, L, E])
 * </pre>
 * The heads are merged <em>before</em> the output projection (the tutorial forgets to merge
 * them). Each projection is a {@link Linear} layer, with weights in PyTorch's layout
 * {@code [out, in]}: {@code y = x·Wᵀ + b}, so a
 * {@code state_dict}'s {@code in_proj_weight} rows {@code [0, E)}, {@code [E, 2E)},
 * {@code [2E, 3E)} are Wq, Wk, Wv and {@code out_proj.weight} is Wo.
 *
 * <p>The result's weights are per head, {@code [B, H, L, S]}, and its logSumExp is
 * {@code [B, H, L]}. An unbatched query {@code [L, E]} (with key and value {@code [S, ·]})
 * gives output {@code [L, E]}, weights {@code [H, L, S]} and logSumExp {@code [H, L]}, as in
 * PyTorch. The mask broadcasts against the per-head scores {@code [B, H, L, S]}
 * ({@code [1, H, L, S]} when unbatched), so an {@code [L, S]} mask applies to every head,
 * {@code Mask.keyPadding(lengths)} takes one length per batch element, and a PyTorch
 * {@code key_padding_mask} {@code [B, S]} is {@code Mask.block(kpm.reshape(B, 1, 1, S))}.
 * A query row that may attend to nothing gets attention output 0 and therefore the output
 * bias {@code bo} — never NaN, unlike PyTorch.
 *
 * <p>Without given weights, the projections are initialised like PyTorch's from a seeded
 * {@link Random}: Wq, Wk, Wv Xavier-uniform (with the fan of the packed {@code [3E, E]} matrix
 * when key and value dims equal E), Wo uniform in {@code ±1/sqrt(E)}, biases zero.
 *
 * <p>{@link #backward} gives the gradients of the inputs and of every parameter, the latter keyed
 * by PyTorch's state_dict names ({@link Gradients}).
 *
 * <p>Self-attention reads {@code mha.forward(x)} or {@code mha.forward(x, Mask.causal())}.
 * The attention kernel is pluggable ({@link Builder#kernel}); the default materialises the
 * scores ({@link ScaledDotProductAttention}); {@link ChunkedAttention} gives the same numbers
 * in O(L) memory.
 *
 * <p>Instances are immutable (weights are copied in and out) and safe to share between
 * threads.
 */
public final class MultiHeadAttention {
    /** The seed used when neither weights nor a seed are given. */
    public static final long DEFAULT_SEED = 0L;

    private final int embedDim;
    private final int numHeads;
    private final int headDim;
    private final int keyDim;
    private final int valueDim;
    private final boolean bias;
    private final Linear queryProjection;
    private final Linear keyProjection;
    private final Linear valueProjection;
    private final Linear outputProjection;
    private final Attention kernel;

    private MultiHeadAttention(Builder b) {
        this.embedDim = b.embedDim;
        this.numHeads = b.numHeads;
        this.headDim = b.embedDim / b.numHeads;
        this.keyDim = b.keyDim;
        this.valueDim = b.valueDim;
        this.bias = b.bias;
        this.kernel = b.kernel;
        Linear[] projections = MultiHeadProjections.of(
                embedDim,
                keyDim,
                valueDim,
                bias,
                b.seed,
                new Tensor[] {b.wq, b.wk, b.wv, b.wo},
                b.bq == null ? null : new Tensor[] {b.bq, b.bk, b.bv, b.bo});
        queryProjection = projections[0];
        keyProjection = projections[1];
        valueProjection = projections[2];
        outputProjection = projections[3];
    }

    /**
     * Starts building multi-head attention over embeddings of size {@code embedDim} split into
     * {@code numHeads} heads. The builder starts with {@code keyDim = valueDim = embedDim},
     * biases on, seed {@link #DEFAULT_SEED} and the {@link ScaledDotProductAttention} kernel.
     *
     * @param embedDim the embedding size {@code E}, {@code >= 1}
     * @param numHeads the number of heads {@code H}, {@code >= 1}, dividing {@code E}
     * @return a new builder
     * @throws IllegalArgumentException unless both are positive and {@code numHeads} divides
     *                                  {@code embedDim}
     */
    public static Builder builder(int embedDim, int numHeads) {
        return new Builder(embedDim, numHeads);
    }

    /**
     * Self-attention: {@code forward(x, x, x, mask)}; needs {@code keyDim = valueDim = E}.
     *
     * @param x    {@code [B, L, E]} or {@code [L, E]}; not modified
     * @param mask broadcast against the per-head scores {@code [B, H, L, L]}; {@link Mask#none()}
     *             for all, {@link Mask#causal()} for a decoder
     * @return output {@code [B, L, E]}, weights {@code [B, H, L, L]}, logSumExp {@code [B, H, L]}
     *         (without the {@code B} axis when unbatched); new tensors
     * @throws IllegalArgumentException as {@link #forward(Tensor, Tensor, Tensor, Mask)}
     */
    public AttentionResult forward(Tensor x, Mask mask) {
        return forward(x, x, x, mask);
    }

    /**
     * Self-attention without a mask: {@code forward(x, x, x, Mask.none())}.
     *
     * @param x {@code [B, L, E]} or {@code [L, E]}; not modified
     * @return output {@code [B, L, E]}, weights {@code [B, H, L, L]}, logSumExp {@code [B, H, L]}
     *         (without the {@code B} axis when unbatched); new tensors
     * @throws IllegalArgumentException as {@link #forward(Tensor, Tensor, Tensor, Mask)}
     */
    public AttentionResult forward(Tensor x) {
        return forward(x, x, x, Mask.none());
    }

    /**
     * {@link #forward(Tensor, Tensor, Tensor, Mask)} without a mask.
     *
     * @param query {@code [B, L, E]}, or {@code [L, E]} unbatched; not modified
     * @param key   {@code [B, S, keyDim]} or {@code [S, keyDim]}; not modified
     * @param value {@code [B, S, valueDim]} or {@code [S, valueDim]}; not modified
     * @return output {@code [B, L, E]}, weights {@code [B, H, L, S]}, logSumExp {@code [B, H, L]}
     *         (without the {@code B} axis when unbatched); new tensors
     * @throws IllegalArgumentException as {@link #forward(Tensor, Tensor, Tensor, Mask)}
     */
    public AttentionResult forward(Tensor query, Tensor key, Tensor value) {
        return forward(query, key, value, Mask.none());
    }

    /**
     * Attends {@code query} to {@code key}/{@code value}.
     *
     * <p>All three inputs have rank 3, or all rank 2 (unbatched). A query row that may attend to
     * nothing gets attention output 0 in that head, so its output row is {@code merge(o)·Woᵀ + bo}
     * with the head's part zero — just {@code bo} when every head is empty — never NaN. The
     * weights are computed when the kernel computes them: at once for
     * {@link ScaledDotProductAttention}, on the first call to {@link AttentionResult#weights()}
     * for {@link ChunkedAttention}.
     *
     * @param query {@code [B, L, E]}, or {@code [L, E]} unbatched; not modified
     * @param key   {@code [B, S, keyDim]} or {@code [S, keyDim]}; not modified
     * @param value {@code [B, S, valueDim]} or {@code [S, valueDim]}; not modified
     * @param mask  broadcast against the per-head scores {@code [B, H, L, S]} ({@code [1, H, L, S]}
     *              when unbatched); {@link Mask#none()} for all
     * @return output {@code [B, L, E]}, weights {@code [B, H, L, S]}, logSumExp
     *         {@code [B, H, L]} (without the {@code B} axis when unbatched); new tensors
     * @throws IllegalArgumentException if an argument is null, the ranks, feature sizes, batch
     *                                  sizes or key counts do not fit, or the mask does not fit
     *                                  the scores, naming the shapes
     */
    public AttentionResult forward(Tensor query, Tensor key, Tensor value, Mask mask) {
        Tensor[] in = batched(query, key, value, mask);
        boolean unbatched = query.rank() == 2;
        Tensor q = splitHeads(queryProjection.forward(in[0]));
        Tensor k = splitHeads(keyProjection.forward(in[1]));
        Tensor v = splitHeads(valueProjection.forward(in[2]));
        AttentionResult heads = kernel.apply(q, k, v, mask);
        Tensor output = outputProjection.forward(mergeHeads(heads.output()));
        Tensor lse = heads.logSumExp();
        if (unbatched) {
            return AttentionResult.withLazyWeights(
                    output.squeeze(0), () -> heads.weights().squeeze(0), lse.squeeze(0));
        }
        return AttentionResult.withLazyWeights(output, heads::weights, lse);
    }

    /** {@return a new, empty {@link KeyValueCache} for {@link #forward(Tensor, KeyValueCache)}; not thread-safe} */
    public KeyValueCache newCache() {
        return new KeyValueCache(this);
    }

    /**
     * Decoding: causal self-attention of new tokens over the {@code n} cached ones and themselves, appending
     * them to {@code cache}; in any chunks it is {@code forward(x, Mask.causal())} on the whole sequence.
     * @param x     the new tokens {@code [B, T, E]} or {@code [T, E]}; not modified
     * @param cache from this module's {@link #newCache()}; <b>modified</b>: it then holds {@code n + T} tokens
     * @return output {@code [B, T, E]}, weights {@code [B, H, T, n + T]}, logSumExp {@code [B, H, T]} (no B if unbatched)
     * @throws IllegalArgumentException if x or cache is null, x is not {@code [B, T, E]}/{@code [T, E]}, keyDim or
     *                                  valueDim is not E, or the cache is another module's or holds another batch
     */
    public AttentionResult forward(Tensor x, KeyValueCache cache) {
        return CachedSelfAttention.forward(
                this, x, cache, queryProjection, keyProjection, valueProjection, outputProjection);
    }

    /**
     * Checks the arguments of {@link #forward(Tensor, Tensor, Tensor, Mask)} and {@link #backward}
     * and returns query, key and value with a batch axis ({@code [B, ·, ·]} views).
     */
    private Tensor[] batched(Tensor query, Tensor key, Tensor value, Mask mask) {
        if (query == null || key == null || value == null) {
            throw new IllegalArgumentException("query, key and value must not be null");
        }
        if (mask == null) {
            throw new IllegalArgumentException("mask must not be null; use Mask.none()");
        }
        String shapes = "query " + Arrays.toString(query.shape()) + ", key " + Arrays.toString(key.shape()) + ", value "
                + Arrays.toString(value.shape());
        int rank = query.rank();
        if ((rank != 2 && rank != 3) || key.rank() != rank || value.rank() != rank) {
            throw new IllegalArgumentException("multi-head attention needs query [B, L, E], key [B, S, "
                    + "keyDim], value [B, S, valueDim] (or all three without B); got " + shapes);
        }
        boolean unbatched = rank == 2;
        Tensor q3 = unbatched ? query.unsqueeze(0) : query;
        Tensor k3 = unbatched ? key.unsqueeze(0) : key;
        Tensor v3 = unbatched ? value.unsqueeze(0) : value;
        if (q3.shape(2) != embedDim || k3.shape(2) != keyDim || v3.shape(2) != valueDim) {
            throw new IllegalArgumentException("feature sizes must be query " + embedDim + ", key " + keyDim
                    + ", value " + valueDim + " (embedDim, keyDim, valueDim); got " + shapes);
        }
        if (k3.shape(0) != q3.shape(0) || v3.shape(0) != q3.shape(0)) {
            throw new IllegalArgumentException("query, key and value differ in batch size: " + shapes);
        }
        if (k3.shape(1) != v3.shape(1)) {
            throw new IllegalArgumentException("key and value differ in the number of keys S: " + shapes);
        }
        return new Tensor[] {q3, k3, v3};
    }

    /**
     * The gradients of a scalar loss with respect to the inputs and every parameter, given
     * {@code gradOutput}, the loss's gradient with respect to the output of
     * {@code forward(query, key, value, mask)}.
     *
     * <p>Working back through the forward (y = x·Wᵀ + b gives {@code dx = dy·W},
     * {@code dW = Σ dyᵀ·x}, {@code db = Σ dy}, sums over every batch element and position):
     * the output projection, the merge of the heads, the kernel's own
     * {@link Attention#backward backward} on the per-head {@code [B, H, ·, E/H]} tensors, the split,
     * and the three input projections. The attention runs through the module's configured
     * {@linkplain #kernel() kernel} and that kernel's backward, with its memory: the default
     * {@link ScaledDotProductAttention} holds the weights {@code [B, H, L, S]} and its score
     * gradient, {@link ChunkedAttention} O(L + S) per head.
     *
     * <p><b>Recomputation.</b> No forward result is passed in: this method runs the forward again
     * (the three input projections, the attention, the merge — all but the output projection),
     * keeping what the backward needs. That is about the cost of one forward on top of the
     * backward itself (about twice a forward), so a training step of {@code forward} then
     * {@code backward} costs about four forwards; a caller who needs only gradients can skip
     * {@code forward}. The recomputed forward is bitwise the one {@code forward} computes.
     *
     * <p><b>Edges.</b> A query row that may attend to nothing in a head gets no gradient through
     * that head: its output there is the constant 0, so in a row every head leaves empty, whose
     * output is just the output bias, the gradient flows to {@code out_proj.bias} only (and the
     * row's query gradient is 0). Never NaN, unlike PyTorch. A key that no query may attend to gets
     * zero gradient. The mask gets no gradient.
     *
     * <p><b>Self-attention.</b> When one tensor is passed as query, key and value,
     * {@link Gradients#query()}, {@link Gradients#key()} and {@link Gradients#value()} are still the
     * three partial gradients, each with respect to one argument: the gradient of the shared tensor
     * is their sum, which the caller forms (PyTorch accumulates the three into the one leaf).
     *
     * @param query      {@code [B, L, E]}, or {@code [L, E]} unbatched, as given to {@code forward};
     *                   not modified
     * @param key        {@code [B, S, keyDim]} or {@code [S, keyDim]}; not modified
     * @param value      {@code [B, S, valueDim]} or {@code [S, valueDim]}; not modified
     * @param mask       as given to {@code forward}
     * @param gradOutput ∂loss/∂output, shaped like the output: {@code [B, L, E]} ({@code [L, E]}
     *                   unbatched); any view; not modified
     * @return the input gradients, shaped like {@code query}, {@code key} and {@code value}, and
     *         the parameter gradients keyed by PyTorch's state_dict names; all new tensors
     * @throws IllegalArgumentException if an argument is null, the inputs or the mask do not fit
     *                                  as in {@link #forward(Tensor, Tensor, Tensor, Mask)}, or
     *                                  {@code gradOutput} is not shaped like the output — naming the
     *                                  shapes
     */
    public Gradients backward(Tensor query, Tensor key, Tensor value, Mask mask, Tensor gradOutput) {
        Tensor[] in = batched(query, key, value, mask);
        if (gradOutput == null) {
            throw new IllegalArgumentException("gradOutput must not be null");
        }
        boolean unbatched = query.rank() == 2;
        int[] outputShape = query.shape();
        if (!Arrays.equals(gradOutput.shape(), outputShape)) {
            throw new IllegalArgumentException(
                    "gradOutput must be shaped like the output " + Arrays.toString(outputShape)
                            + " (the query's shape), got " + Arrays.toString(gradOutput.shape()));
        }
        Tensor gy = unbatched ? gradOutput.unsqueeze(0) : gradOutput;
        // The forward again, keeping the inputs of every step.
        Tensor q = splitHeads(queryProjection.forward(in[0]));
        Tensor k = splitHeads(keyProjection.forward(in[1]));
        Tensor v = splitHeads(valueProjection.forward(in[2]));
        AttentionResult heads = kernel.apply(q, k, v, mask);
        Tensor merged = mergeHeads(heads.output());
        // Output projection, then the heads, then the input projections.
        Tensor dMerged = ParameterGradients.input(gy, outputProjection.weight());
        AttentionGradients dh = kernel.backward(q, k, v, mask, heads, splitHeads(dMerged));
        Tensor dq = mergeHeads(dh.query());
        Tensor dk = mergeHeads(dh.key());
        Tensor dv = mergeHeads(dh.value());
        // PyTorch keeps one packed [3E, E] in_proj_weight exactly when kdim = vdim = E (_qkv_same_embed_dim).
        boolean packed = keyDim == embedDim && valueDim == embedDim;
        return MultiHeadProjections.gradients(
                new Linear[] {queryProjection, keyProjection, valueProjection},
                packed,
                bias,
                in,
                merged,
                gy,
                new Tensor[] {dq, dk, dv},
                unbatched);
    }

    /**
     * Splits the last axis into heads: {@code [B, L, E] → [B, H, L, E/H]} (and
     * {@code [L, E] → [H, L, E/H]}). Head {@code h} takes features {@code [h·E/H, (h+1)·E/H)}.
     *
     * @param x {@code [B, L, E]} or {@code [L, E]}; not modified
     * @return a <b>view</b> of {@code x} when its layout allows (always for a contiguous
     *         {@code x}), else a copy
     * @throws IllegalArgumentException unless {@code x} has rank 2 or 3 and last axis {@code E}
     */
    public Tensor splitHeads(Tensor x) {
        if ((x.rank() != 2 && x.rank() != 3) || x.shape(-1) != embedDim) {
            throw new IllegalArgumentException("splitHeads needs [B, L, " + embedDim + "] or [L, " + embedDim
                    + "], got " + Arrays.toString(x.shape()));
        }
        if (x.rank() == 2) {
            return x.reshape(x.shape(0), numHeads, headDim).permute(1, 0, 2);
        }
        return x.reshape(x.shape(0), x.shape(1), numHeads, headDim).permute(0, 2, 1, 3);
    }

    /**
     * The inverse of {@link #splitHeads}: {@code [B, H, L, E/H] → [B, L, E]} (and
     * {@code [H, L, E/H] → [L, E]}), heads laid side by side along the last axis.
     *
     * @param x {@code [B, H, L, E/H]} or {@code [H, L, E/H]}; any view; not modified
     * @return a new row-major tensor (a copy)
     * @throws IllegalArgumentException unless {@code x} is {@code [B, H, L, E/H]} or {@code [H, L, E/H]}
     */
    public Tensor mergeHeads(Tensor x) {
        int r = x.rank();
        if ((r != 3 && r != 4) || x.shape(-3) != numHeads || x.shape(-1) != headDim) {
            throw new IllegalArgumentException("mergeHeads needs [B, " + numHeads + ", L, " + headDim + "] or ["
                    + numHeads + ", L, " + headDim + "], got " + Arrays.toString(x.shape()));
        }
        if (r == 3) {
            return x.permute(1, 0, 2).copy().reshape(x.shape(1), embedDim);
        }
        return x.permute(0, 2, 1, 3).copy().reshape(x.shape(0), x.shape(2), embedDim);
    }

    /**
     * Embedding size {@code E}.
     *
     * @return {@code E}, the size of the query input and of the output
     */
    public int embedDim() {
        return embedDim;
    }

    /**
     * Number of heads {@code H}.
     *
     * @return {@code H}
     */
    public int numHeads() {
        return numHeads;
    }

    /**
     * Size of each head, {@code E/H}.
     *
     * @return {@code E/H}; the default kernel scales the scores by {@code 1/sqrt(E/H)}
     */
    public int headDim() {
        return headDim;
    }

    /**
     * Feature size of the key input (PyTorch's {@code kdim}).
     *
     * @return {@code keyDim}; {@code E} unless set
     */
    public int keyDim() {
        return keyDim;
    }

    /**
     * Feature size of the value input (PyTorch's {@code vdim}).
     *
     * @return {@code valueDim}; {@code E} unless set
     */
    public int valueDim() {
        return valueDim;
    }

    /**
     * Whether the projections have biases.
     *
     * @return true if all four projections add a bias, false if none does
     */
    public boolean hasBias() {
        return bias;
    }

    /**
     * The attention kernel the heads run through.
     *
     * @return the kernel given to the builder, or the default {@link ScaledDotProductAttention};
     *         shared, not copied (Heed's kernels are immutable)
     */
    public Attention kernel() {
        return kernel;
    }

    /** {@return the query projection weight Wq: {@code [E, E]} in the layout {@code [out, in]}; a new copy on each
     * call} */
    public Tensor queryWeight() {
        return queryProjection.weight();
    }

    /** {@return the key projection weight Wk: {@code [E, keyDim]} in the layout {@code [out, in]}; a new copy on
     * each call} */
    public Tensor keyWeight() {
        return keyProjection.weight();
    }

    /** {@return the value projection weight Wv: {@code [E, valueDim]} in the layout {@code [out, in]}; a new copy on
     * each call} */
    public Tensor valueWeight() {
        return valueProjection.weight();
    }

    /** {@return the output projection weight Wo: {@code [E, E]} in the layout {@code [out, in]}; a new copy on each
     * call} */
    public Tensor outputWeight() {
        return outputProjection.weight();
    }

    /** {@return the query projection bias bq: {@code [E]}, a new copy on each call; null without biases} */
    public Tensor queryBias() {
        return queryProjection.bias();
    }

    /** {@return the key projection bias bk: {@code [E]}, a new copy on each call; null without biases} */
    public Tensor keyBias() {
        return keyProjection.bias();
    }

    /** {@return the value projection bias bv: {@code [E]}, a new copy on each call; null without biases} */
    public Tensor valueBias() {
        return valueProjection.bias();
    }

    /** {@return the output projection bias bo: {@code [E]}, a new copy on each call; null without biases} */
    public Tensor outputBias() {
        return outputProjection.bias();
    }

    @Override
    public String toString() {
        return "MultiHeadAttention{embedDim=" + embedDim + ", numHeads=" + numHeads + ", keyDim=" + keyDim
                + ", valueDim=" + valueDim + ", bias=" + bias + ", kernel=" + kernel + "}";
    }

    /**
     * What {@link #backward} returns: the gradients with respect to the three inputs and to every
     * parameter. All tensors are new and owned by this object, none a view of an input or of the
     * module's weights.
     *
     * <p>The parameter map is keyed exactly like {@code torch.nn.MultiheadAttention}'s
     * {@code state_dict}, in its order, with only the entries that exist: {@code in_proj_weight}
     * {@code [3E, E]} (rows {@code [0, E)}, {@code [E, 2E)}, {@code [2E, 3E)} for Wq, Wk, Wv) when
     * {@code keyDim = valueDim = E}, otherwise {@code q_proj_weight} {@code [E, E]},
     * {@code k_proj_weight} {@code [E, keyDim]} and {@code v_proj_weight} {@code [E, valueDim]};
     * then, with biases, {@code in_proj_bias} {@code [3E]} (bq, bk, bv); then
     * {@code out_proj.weight} {@code [E, E]}; then, with biases, {@code out_proj.bias} {@code [E]}.
     * So a PyTorch user can apply them to a state_dict as they are.
     *
     * @param query      ∂loss/∂query, shaped like the query: {@code [B, L, E]} or {@code [L, E]}
     * @param key        ∂loss/∂key, shaped like the key: {@code [B, S, keyDim]} or {@code [S, keyDim]}
     * @param value      ∂loss/∂value, shaped like the value: {@code [B, S, valueDim]} or
     *                   {@code [S, valueDim]}
     * @param parameters ∂loss/∂parameter by state_dict name; an unmodifiable, insertion-ordered map
     */
    public record Gradients(Tensor query, Tensor key, Tensor value, Map<String, Tensor> parameters) {
        /**
         * Checks and keeps the gradients, as computed by {@code backward}.
         *
         * @param query      ∂loss/∂query; kept, not copied
         * @param key        ∂loss/∂key; kept, not copied
         * @param value      ∂loss/∂value; kept, not copied
         * @param parameters ∂loss/∂parameter by name; the map is copied (its order kept), the
         *                   tensors are not
         * @throws NullPointerException if any argument, name or tensor is null
         */
        public Gradients {
            Objects.requireNonNull(query, "query");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            parameters = ParameterGradients.frozen(parameters);
        }

        /** {@return the shapes, for logs} */
        @Override
        public String toString() {
            return "MultiHeadAttention.Gradients{query=" + Arrays.toString(query.shape()) + ", key="
                    + Arrays.toString(key.shape()) + ", value=" + Arrays.toString(value.shape()) + ", "
                    + ParameterGradients.shapes(parameters) + "}";
        }
    }

    /** Configures a {@link MultiHeadAttention}; each setter returns this builder. Not thread-safe. */
    public static final class Builder {
        private final int embedDim;
        private final int numHeads;
        private int keyDim;
        private int valueDim;
        private boolean bias = true;
        private Tensor wq;
        private Tensor wk;
        private Tensor wv;
        private Tensor wo;
        private Tensor bq;
        private Tensor bk;
        private Tensor bv;
        private Tensor bo;
        private long seed = DEFAULT_SEED;
        private Attention kernel = new ScaledDotProductAttention();

        private Builder(int embedDim, int numHeads) {
            if (embedDim <= 0 || numHeads <= 0) {
                throw new IllegalArgumentException(
                        "embedDim and numHeads must be positive, got embedDim=" + embedDim + ", numHeads=" + numHeads);
            }
            if (embedDim % numHeads != 0) {
                throw new IllegalArgumentException("numHeads " + numHeads + " does not divide embedDim " + embedDim);
            }
            this.embedDim = embedDim;
            this.numHeads = numHeads;
            this.keyDim = embedDim;
            this.valueDim = embedDim;
        }

        /**
         * Feature size of the key input (PyTorch's {@code kdim}); default {@code embedDim}.
         *
         * @param keyDim the last axis of the key input, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException unless {@code keyDim >= 1}
         */
        public Builder keyDim(int keyDim) {
            if (keyDim <= 0) {
                throw new IllegalArgumentException("keyDim must be positive, got " + keyDim);
            }
            this.keyDim = keyDim;
            return this;
        }

        /**
         * Feature size of the value input (PyTorch's {@code vdim}); default {@code embedDim}.
         *
         * @param valueDim the last axis of the value input, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException unless {@code valueDim >= 1}
         */
        public Builder valueDim(int valueDim) {
            if (valueDim <= 0) {
                throw new IllegalArgumentException("valueDim must be positive, got " + valueDim);
            }
            this.valueDim = valueDim;
            return this;
        }

        /**
         * Whether the four projections have biases; default true, as in PyTorch.
         *
         * @param bias true for biases (zero unless {@link #biases} gives them), false for none
         * @return this builder
         */
        public Builder bias(boolean bias) {
            this.bias = bias;
            return this;
        }

        /**
         * The projection weights in PyTorch's layout {@code [out, in]}: Wq {@code [E, E]}, Wk
         * {@code [E, keyDim]}, Wv {@code [E, valueDim]}, Wo {@code [E, E]}. Kept by reference until
         * {@link #build()}, which checks the shapes and copies them; without weights,
         * {@link #build()} initialises them from the {@link #seed}.
         *
         * @param wq query projection {@code [E, E]}; not modified
         * @param wk key projection {@code [E, keyDim]}; not modified
         * @param wv value projection {@code [E, valueDim]}; not modified
         * @param wo output projection {@code [E, E]}; not modified
         * @return this builder
         * @throws IllegalArgumentException if any of the four is null
         */
        public Builder weights(Tensor wq, Tensor wk, Tensor wv, Tensor wo) {
            if (wq == null || wk == null || wv == null || wo == null) {
                throw new IllegalArgumentException("all four weights are needed (Wq, Wk, Wv, Wo)");
            }
            this.wq = wq;
            this.wk = wk;
            this.wv = wv;
            this.wo = wo;
            return this;
        }

        /**
         * The projection biases, each {@code [E]}; kept by reference until {@link #build()}, which
         * checks the shapes and copies them. Without them (and with {@code bias(true)}) biases are
         * zero; with them, {@code bias(false)} makes {@link #build()} fail.
         *
         * @param bq query projection bias {@code [E]}; not modified
         * @param bk key projection bias {@code [E]}; not modified
         * @param bv value projection bias {@code [E]}; not modified
         * @param bo output projection bias {@code [E]}; not modified
         * @return this builder
         * @throws IllegalArgumentException if any of the four is null
         */
        public Builder biases(Tensor bq, Tensor bk, Tensor bv, Tensor bo) {
            if (bq == null || bk == null || bv == null || bo == null) {
                throw new IllegalArgumentException("all four biases are needed (bq, bk, bv, bo)");
            }
            this.bq = bq;
            this.bk = bk;
            this.bv = bv;
            this.bo = bo;
            return this;
        }

        /**
         * Seed of the initialisation used when no weights are given; default {@link #DEFAULT_SEED}.
         * Same seed and sizes, same weights, on every JVM.
         *
         * @param seed the seed of the {@link Random} the weights are drawn from; ignored when
         *             {@link #weights} are given
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * The attention each head runs through; default {@link ScaledDotProductAttention}. Its
         * default scale {@code 1/sqrt(d)} then means {@code 1/sqrt(E/H)}. The kernel is called
         * with per-head tensors {@code [B, H, ·, E/H]} and the caller's mask.
         *
         * @param kernel the attention to run, e.g. {@link ChunkedAttention} for O(L) memory
         * @return this builder
         * @throws IllegalArgumentException if {@code kernel} is null
         */
        public Builder kernel(Attention kernel) {
            if (kernel == null) {
                throw new IllegalArgumentException("kernel is null");
            }
            this.kernel = kernel;
            return this;
        }

        /**
         * Builds the module from the current settings; the builder may be changed and used again
         * afterwards without affecting it.
         *
         * @return a new, immutable module
         * @throws IllegalArgumentException if a weight or bias has the wrong shape (naming the
         *                                  expected and given shapes) or biases were given with
         *                                  {@code bias(false)}
         */
        public MultiHeadAttention build() {
            return new MultiHeadAttention(this);
        }
    }
}
