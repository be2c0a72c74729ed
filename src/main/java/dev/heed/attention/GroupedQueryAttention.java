package dev.heed.attention;

import dev.heed.encoding.RotaryEncoding;
import dev.heed.layers.Linear;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The self-attention block of Llama-family decoders (Llama 2 and 3, Mistral, Qwen 2, Gemma, ...) in
 * Hugging Face's parameter layout: grouped-query heads, rotary positions, a causal mask and optionally a
 * sliding window, and a key/value cache for decoding.
 *
 * <p>For {@code x [B, T, E]} whose token {@code t} sits at position {@code start + t}:
 * <pre>
 *   q = x·Wqᵀ + bq  → [B, Hq, T, d]      k = x·Wkᵀ + bk, v = x·Wvᵀ + bv  → [B, Hkv, T, d]
 *   q, k ← rotary(q, start), rotary(k, start)      (Hugging Face's apply_rotary_pos_emb; v is not rotated)
 *   o = attention(q, k, v, causal [∧ window] [∧ mask])   query head h reads key/value head h / (Hq/Hkv)
 *   output = merge(o)·Woᵀ + bo                      ([B, T, E])
 * </pre>
 * with weights {@code q_proj.weight [Hq·d, E]}, {@code k_proj.weight} and {@code v_proj.weight}
 * {@code [Hkv·d, E]}, {@code o_proj.weight [E, Hq·d]} in PyTorch's {@code [out, in]} layout, and each bias
 * optional on its own (Llama and Mistral have none, Qwen 2 has q, k and v biases). The head size {@code d}
 * is {@code E/Hq} unless given ({@link Builder#headDim}, as Qwen 3 and Gemma do). The key/value heads are
 * shared by groups of {@code Hq/Hkv} query heads through the kernels' own grouped-query indexing: no
 * {@code repeat_kv} copy is made. {@code Hkv = Hq} is plain multi-head attention, {@code Hkv = 1}
 * multi-query attention.
 *
 * <p><b>Masks.</b> Attention is causal: token {@code i} sees tokens {@code j <= i}. With a sliding window
 * of {@code W} tokens ({@link Builder#slidingWindow}, Mistral's {@code sliding_window}) it sees
 * {@code i − W < j <= i}, {@code Mask.slidingWindow(W − 1, 0)}. An extra mask given to
 * {@link #forward(Tensor, int, Mask)} is combined with {@link Mask#and}: it broadcasts against the scores
 * {@code [B, Hq, T, T]}; {@code Mask.keyPadding(lengths)} masks the padding of a right-padded batch. A row
 * that may attend to nothing gets attention output 0 (its output is {@code bo}), never NaN.
 *
 * <p><b>Scale and kernel.</b> Scores are scaled by {@code 1/sqrt(d)} unless {@link Builder#scale} says
 * otherwise; the kernel is {@link ScaledDotProductAttention} unless {@link Builder#kernel} gives another
 * ({@link ChunkedAttention} for O(T) memory), as in {@link MultiHeadAttention}.
 *
 * <p><b>Decoding.</b> {@link #newCache()} and {@link #forward(Tensor, KeyValueCache)} decode a sequence
 * in steps of any size; the cache holds keys after rotation, as real decoders do, so a step rotates
 * only its own tokens. Every step equals the rows of the full forward to rounding (about 1e-15).
 *
 * <p><b>Loading.</b> {@link Builder#stateDict(Map, String)} takes a layer's parameters from a Hugging
 * Face state dict, such as {@code dev.heed.io.SafeTensors.read} returns for a checkpoint, under a prefix
 * like {@code "model.layers.0.self_attn."}; {@link #parameters(String)} gives them back under the same
 * names. The sizes and rotary settings come from the model's {@code config.json}:
 * <pre>{@code
 * Map<String, Tensor> weights = SafeTensors.read(Path.of("model.safetensors"));
 * GroupedQueryAttention layer0 = GroupedQueryAttention.builder(4096, 32, 8)   // hidden_size, heads, KV heads
 *         .rotary(RotaryEncoding.of(128).withBase(500_000))                    // head_dim, rope_theta
 *         .stateDict(weights, "model.layers.0.self_attn.")
 *         .build();
 * }</pre>
 *
 * <p>Instances are immutable (weights are copied in and out) and safe to share between threads.
 */
public final class GroupedQueryAttention {
    private final int embedDim;
    private final int numHeads;
    private final int numKeyValueHeads;
    private final int headDim;
    /** Tokens a query sees, itself included; 0 for plain causal attention. */
    private final int slidingWindow;

    private final RotaryEncoding rotary;
    private final Attention kernel;
    /** Query, key, value, output. */
    private final Linear[] projections;

    private GroupedQueryAttention(Builder b, int headDim, RotaryEncoding rotary, Attention kernel, Linear[] p) {
        this.embedDim = b.embedDim;
        this.numHeads = b.numHeads;
        this.numKeyValueHeads = b.numKeyValueHeads;
        this.headDim = headDim;
        this.slidingWindow = b.slidingWindow;
        this.rotary = rotary;
        this.kernel = kernel;
        this.projections = p;
    }

    /**
     * Starts building a layer with hidden size {@code embedDim}, {@code numHeads} query heads and
     * {@code numKeyValueHeads} key/value heads (Hugging Face's {@code hidden_size},
     * {@code num_attention_heads}, {@code num_key_value_heads}). The builder starts with head size
     * {@code E/Hq}, full rotary over it at base 10,000, no window, scale {@code 1/sqrt(d)}, the
     * {@link ScaledDotProductAttention} kernel, seeded weights and no biases.
     *
     * @param embedDim         the hidden size {@code E}, {@code >= 1}
     * @param numHeads         the query heads {@code Hq}, {@code >= 1}
     * @param numKeyValueHeads the key/value heads {@code Hkv}, {@code >= 1}, dividing {@code Hq}
     * @return a new builder
     * @throws IllegalArgumentException unless all are positive and {@code Hkv} divides {@code Hq}
     */
    public static Builder builder(int embedDim, int numHeads, int numKeyValueHeads) {
        return new Builder(embedDim, numHeads, numKeyValueHeads);
    }

    /**
     * Causal self-attention of a sequence starting at position 0: {@code forward(x, 0, Mask.none())}.
     *
     * @param x {@code [B, T, E]} or {@code [T, E]}; not modified
     * @return as {@link #forward(Tensor, int, Mask)}
     * @throws IllegalArgumentException as {@link #forward(Tensor, int, Mask)}
     */
    public AttentionResult forward(Tensor x) {
        return forward(x, 0, Mask.none());
    }

    /**
     * Causal self-attention of a sequence whose first token sits at {@code startPosition}:
     * {@code forward(x, startPosition, Mask.none())}.
     *
     * @param x             {@code [B, T, E]} or {@code [T, E]}; not modified
     * @param startPosition the rotary position of token 0, {@code >= 0}
     * @return as {@link #forward(Tensor, int, Mask)}
     * @throws IllegalArgumentException as {@link #forward(Tensor, int, Mask)}
     */
    public AttentionResult forward(Tensor x, int startPosition) {
        return forward(x, startPosition, Mask.none());
    }

    /**
     * Causal (or windowed) self-attention of {@code x}, token {@code t} at rotary position
     * {@code startPosition + t}, with {@code mask} combined by {@link Mask#and}. The position offset moves
     * the rotations only: the scores depend on the distance between tokens, so any offset gives the same
     * output up to rounding, exactly as Hugging Face's {@code position_ids} do.
     *
     * @param x             {@code [B, T, E]} or {@code [T, E]} (unbatched); any view; not modified
     * @param startPosition the rotary position of token 0, {@code >= 0}
     * @param mask          an extra mask broadcast against the per-head scores {@code [B, Hq, T, T]} (e.g.
     *                      {@code Mask.keyPadding(lengths)}); {@link Mask#none()} for none
     * @return output {@code [B, T, E]}, weights {@code [B, Hq, T, T]}, logSumExp {@code [B, Hq, T]} (no
     *         {@code B} axis when unbatched); new tensors (the weights computed lazily by
     *         {@link ChunkedAttention})
     * @throws IllegalArgumentException if an argument is null, {@code x} is not {@code [B, T, E]} or
     *                                  {@code [T, E]}, {@code startPosition} is negative or the positions
     *                                  overflow, or the mask does not fit the scores
     */
    public AttentionResult forward(Tensor x, int startPosition, Mask mask) {
        Tensor x3 = batched(x, "forward");
        checkPositions(startPosition, x3.shape(1));
        if (mask == null) {
            throw new IllegalArgumentException("mask must not be null; use Mask.none()");
        }
        Tensor[] qkv = project(x3, startPosition);
        AttentionResult heads = kernel.apply(qkv[0], qkv[1], qkv[2], selfMask().and(mask));
        return result(heads, x.rank() == 2);
    }

    /**
     * A new, empty cache for {@link #forward(Tensor, KeyValueCache)}: {@code Hkv} heads of size
     * {@code d}, keys stored after rotation. With a sliding window of {@code W} tokens it keeps only the
     * last {@code W − 1} tokens between steps, so its memory stays bounded (see {@link KeyValueCache}).
     *
     * @return a new cache, not thread-safe, that only this layer accepts
     */
    public KeyValueCache newCache() {
        return new KeyValueCache(
                this, numKeyValueHeads, headDim, slidingWindow > 0 ? slidingWindow - 1 : Integer.MAX_VALUE);
    }

    /**
     * Decoding: the new tokens {@code x}, at positions {@code cache.position()} on, attend causally (within
     * the window) to the cached tokens and to themselves; their rotated keys and values are appended to
     * the cache. In any chunks, token by token or all at once, the outputs are the rows of
     * {@code forward(whole sequence)}, to rounding.
     *
     * @param x     the new tokens {@code [B, T, E]} or {@code [T, E]}; not modified
     * @param cache from this layer's {@link #newCache()}; <b>modified</b>: it then holds the new tokens
     *              too (and, with a window, no more of the earlier ones than the window reaches)
     * @return output {@code [B, T, E]}, weights {@code [B, Hq, T, S]} and logSumExp {@code [B, Hq, T]}
     *         (no {@code B} when unbatched), where {@code S} is {@code cache.length()} after the step: the
     *         keys held, oldest first
     * @throws IllegalArgumentException if x or cache is null, x is not {@code [B, T, E]}/{@code [T, E]}, the
     *                                  cache is another layer's or holds another batch, or the positions
     *                                  or cache would overflow; the cache is then unchanged
     */
    public AttentionResult forward(Tensor x, KeyValueCache cache) {
        if (cache == null) {
            throw new IllegalArgumentException("cache must not be null; make one with newCache()");
        }
        Tensor x3 = batched(x, "decoding with a cache");
        if (cache.owner() != this) {
            throw new IllegalArgumentException("this cache was made by another module (" + cache.owner()
                    + "): its keys and values were projected by that module's weights");
        }
        boolean unbatched = x.rank() == 2;
        cache.checkStep(x, x3.shape(0), unbatched, x3.shape(1));
        int position = cache.position();
        checkPositions(position, x3.shape(1));
        Tensor[] qkv = project(x3, position);
        cache.appendHeads(qkv[1], qkv[2], unbatched);
        AttentionResult heads = cache.attend(kernel, qkv[0], selfMask());
        return result(heads, unbatched);
    }

    /**
     * The gradients of a scalar loss with respect to {@code x} and every parameter, given
     * {@code gradOutput}, the loss's gradient with respect to the output of
     * {@code forward(x, startPosition, mask)}.
     *
     * <p>The forward is recomputed (projections, rotations, attention), then worked back: the output
     * projection ({@code dWo = Σ dyᵀ·merge(o)}, {@code dbo = Σ dy}), the merge of the heads, the kernel's
     * own {@link Attention#backward backward} (which sums each group's key and value gradients into its
     * shared head), the inverse rotation of the query and key gradients ({@link RotaryEncoding#backward}),
     * and the three input projections, whose input gradients add up in {@link Gradients#input()}. A row
     * that may attend to nothing passes no gradient through the attention; the mask gets none.
     *
     * @param x             {@code [B, T, E]} or {@code [T, E]}, as given to {@code forward}; not modified
     * @param startPosition as given to {@code forward}
     * @param mask          as given to {@code forward}
     * @param gradOutput    ∂loss/∂output, shaped like the output (and {@code x}); not modified
     * @return the input gradient and the parameter gradients under Hugging Face's names; new tensors
     * @throws IllegalArgumentException as {@link #forward(Tensor, int, Mask)}, or if {@code gradOutput} is
     *                                  null or not shaped like the output, naming both shapes
     */
    public Gradients backward(Tensor x, int startPosition, Mask mask, Tensor gradOutput) {
        Tensor x3 = batched(x, "backward");
        checkPositions(startPosition, x3.shape(1));
        if (mask == null) {
            throw new IllegalArgumentException("mask must not be null; use Mask.none()");
        }
        if (gradOutput == null || !Arrays.equals(gradOutput.shape(), x.shape())) {
            throw new IllegalArgumentException("gradOutput must be shaped like the output " + Arrays.toString(x.shape())
                    + ", got " + (gradOutput == null ? "null" : Arrays.toString(gradOutput.shape())));
        }
        Tensor gy = x.rank() == 2 ? gradOutput.unsqueeze(0) : gradOutput;
        Mask m = selfMask().and(mask);
        Tensor[] qkv = project(x3, startPosition);
        AttentionResult heads = kernel.apply(qkv[0], qkv[1], qkv[2], m);
        Tensor merged = merge(heads.output());

        Tensor[] dy = new Tensor[4];
        Tensor[] inputs = {x3, x3, x3, merged};
        dy[3] = gy;
        Tensor dMerged = ParameterGradients.input(gy, projections[3].weight());
        AttentionGradients g = kernel.backward(qkv[0], qkv[1], qkv[2], m, heads, split(dMerged, numHeads));
        dy[0] = merge(unrotate(g.query(), startPosition));
        dy[1] = merge(unrotate(g.key(), startPosition));
        dy[2] = merge(g.value());
        Tensor dx = ParameterGradients.input(dy[0], projections[0].weight())
                .add(ParameterGradients.input(dy[1], projections[1].weight()))
                .add(ParameterGradients.input(dy[2], projections[2].weight()));
        Map<String, Tensor> parameters = new LinkedHashMap<>();
        for (int p = 0; p < 4; p++) {
            String name = GroupedQueryWeights.NAMES[p];
            parameters.put(name + ".weight", ParameterGradients.weight(dy[p], inputs[p]));
            if (projections[p].hasBias()) {
                parameters.put(name + ".bias", ParameterGradients.bias(dy[p]));
            }
        }
        return new Gradients(x.rank() == 2 ? dx.squeeze(0) : dx, parameters);
    }

    /**
     * Every parameter under Hugging Face's names, without a prefix: {@code q_proj.weight},
     * {@code q_proj.bias} (if any), {@code k_proj.weight}, ..., {@code o_proj.weight}, {@code o_proj.bias}
     * (if any), in that order.
     *
     * @return a new insertion-ordered map of new tensors (copies); {@link Builder#stateDict} reads it back
     */
    public Map<String, Tensor> parameters() {
        return GroupedQueryWeights.parameters(projections, "");
    }

    /**
     * {@link #parameters()} with every name behind {@code prefix}, e.g. {@code "model.layers.0.self_attn."},
     * ready to join a model's state dict or to be written by {@code dev.heed.io.SafeTensors.write}.
     *
     * @param prefix prepended to every name; {@code ""} for none
     * @return a new insertion-ordered map of new tensors (copies)
     * @throws IllegalArgumentException if {@code prefix} is null
     */
    public Map<String, Tensor> parameters(String prefix) {
        if (prefix == null) {
            throw new IllegalArgumentException("prefix must not be null; use \"\" for none");
        }
        return GroupedQueryWeights.parameters(projections, prefix);
    }

    /** {@return the hidden size {@code E}: the last axis of the input and the output} */
    public int embedDim() {
        return embedDim;
    }

    /** {@return the number of query heads {@code Hq}} */
    public int numHeads() {
        return numHeads;
    }

    /** {@return the number of key/value heads {@code Hkv}, dividing {@code Hq}} */
    public int numKeyValueHeads() {
        return numKeyValueHeads;
    }

    /** {@return the head size {@code d}: {@code E/Hq} unless the builder gave another} */
    public int headDim() {
        return headDim;
    }

    /** {@return the tokens a query sees with the sliding window, itself included; 0 without a window} */
    public int slidingWindow() {
        return slidingWindow;
    }

    /** {@return the rotary encoding of the queries and keys, or null if the layer has none} */
    public RotaryEncoding rotary() {
        return rotary;
    }

    /** {@return the attention kernel, with the layer's scale applied; shared, not copied (kernels are immutable)} */
    public Attention kernel() {
        return kernel;
    }

    @Override
    public String toString() {
        return "GroupedQueryAttention{embedDim=" + embedDim + ", numHeads=" + numHeads + ", numKeyValueHeads="
                + numKeyValueHeads + ", headDim=" + headDim + ", slidingWindow=" + slidingWindow + ", rotary="
                + rotary + ", biases=" + biasNames() + ", kernel=" + kernel + "}";
    }

    private String biasNames() {
        StringBuilder b = new StringBuilder("[");
        for (int p = 0; p < 4; p++) {
            if (projections[p].hasBias()) {
                b.append(b.length() > 1 ? ", " : "").append(GroupedQueryWeights.NAMES[p]);
            }
        }
        return b.append(']').toString();
    }

    /** The causal mask, or the window's band ending at the diagonal. */
    private Mask selfMask() {
        return slidingWindow > 0 ? Mask.slidingWindow(slidingWindow - 1, 0) : Mask.causal();
    }

    /** Checks x and returns it as {@code [B, T, E]} (a view). */
    private Tensor batched(Tensor x, String what) {
        if (x == null) {
            throw new IllegalArgumentException(what + " needs x, got null");
        }
        if ((x.rank() != 2 && x.rank() != 3) || x.shape(-1) != embedDim) {
            throw new IllegalArgumentException(what + " needs x [B, T, " + embedDim + "] or [T, " + embedDim + "], got "
                    + Arrays.toString(x.shape()));
        }
        return x.rank() == 2 ? x.unsqueeze(0) : x;
    }

    private static void checkPositions(int start, int tokens) {
        if (start < 0 || (long) start + tokens > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("positions " + start + ".." + ((long) start + tokens)
                    + " must lie in 0..2^31-1 (startPosition >= 0)");
        }
    }

    /** Rotated queries {@code [B, Hq, T, d]}, rotated keys and values {@code [B, Hkv, T, d]}. */
    private Tensor[] project(Tensor x3, int start) {
        Tensor q = split(projections[0].forward(x3), numHeads);
        Tensor k = split(projections[1].forward(x3), numKeyValueHeads);
        Tensor v = split(projections[2].forward(x3), numKeyValueHeads);
        if (rotary != null) {
            q = rotary.apply(q, start);
            k = rotary.apply(k, start);
        }
        return new Tensor[] {q, k, v};
    }

    private Tensor unrotate(Tensor gradient, int start) {
        return rotary == null ? gradient : rotary.backward(gradient, start);
    }

    /** {@code [B, T, n·d] → [B, n, T, d]}, a view of a contiguous input. */
    private Tensor split(Tensor x, int heads) {
        return x.reshape(x.shape(0), x.shape(1), heads, headDim).permute(0, 2, 1, 3);
    }

    /** {@code [B, n, T, d] → [B, T, n·d]}, a new row-major tensor. */
    private Tensor merge(Tensor x) {
        return x.permute(0, 2, 1, 3).copy().reshape(x.shape(0), x.shape(2), x.shape(1) * headDim);
    }

    private AttentionResult result(AttentionResult heads, boolean unbatched) {
        Tensor output = projections[3].forward(merge(heads.output()));
        Tensor lse = heads.logSumExp();
        if (unbatched) {
            return AttentionResult.withLazyWeights(
                    output.squeeze(0), () -> heads.weights().squeeze(0), lse.squeeze(0));
        }
        return AttentionResult.withLazyWeights(output, heads::weights, lse);
    }

    /**
     * What {@link #backward} returns: the gradient of the input and of every parameter, keyed by Hugging
     * Face's names without a prefix in {@link #parameters()}'s order ({@code q_proj.weight},
     * {@code q_proj.bias} if the layer has it, ..., {@code o_proj.bias} if it has it). All tensors are new.
     *
     * @param input      ∂loss/∂x, shaped like {@code x}: {@code [B, T, E]} or {@code [T, E]}
     * @param parameters ∂loss/∂parameter by name; an unmodifiable, insertion-ordered map
     */
    public record Gradients(Tensor input, Map<String, Tensor> parameters) {
        /**
         * Checks and keeps the gradients, as computed by {@code backward}.
         *
         * @param input      ∂loss/∂x; kept, not copied
         * @param parameters ∂loss/∂parameter by name; the map is copied (its order kept), the tensors are not
         * @throws NullPointerException if any argument, name or tensor is null
         */
        public Gradients {
            Objects.requireNonNull(input, "input");
            parameters = ParameterGradients.frozen(parameters);
        }

        /** {@return the shapes, for logs} */
        @Override
        public String toString() {
            return "GroupedQueryAttention.Gradients{input=" + Arrays.toString(input.shape()) + ", "
                    + ParameterGradients.shapes(parameters) + "}";
        }
    }

    /** Configures a {@link GroupedQueryAttention}; each setter returns this builder. Not thread-safe. */
    public static final class Builder {
        private final int embedDim;
        private final int numHeads;
        private final int numKeyValueHeads;
        private int headDim;
        private int slidingWindow;
        private boolean rotarySet;
        private RotaryEncoding rotary;
        private double scale = Double.NaN;
        private Attention kernel = new ScaledDotProductAttention();
        private final Tensor[] weights = new Tensor[4];
        private final Tensor[] biases = new Tensor[4];
        private final boolean[] seededBias = new boolean[4];
        private long seed;
        private Map<String, Tensor> stateDict;
        private String prefix;

        private Builder(int embedDim, int numHeads, int numKeyValueHeads) {
            if (embedDim <= 0 || numHeads <= 0 || numKeyValueHeads <= 0) {
                throw new IllegalArgumentException("embedDim, numHeads and numKeyValueHeads must be positive, got "
                        + embedDim + ", " + numHeads + ", " + numKeyValueHeads);
            }
            if (numHeads % numKeyValueHeads != 0) {
                throw new IllegalArgumentException("numKeyValueHeads " + numKeyValueHeads + " does not divide numHeads "
                        + numHeads + " (each key/value head serves a group)");
            }
            this.embedDim = embedDim;
            this.numHeads = numHeads;
            this.numKeyValueHeads = numKeyValueHeads;
        }

        /**
         * The head size {@code d} (Hugging Face's {@code head_dim}); default {@code E/Hq}, which then must
         * divide evenly. The projections are {@code [Hq·d, E]}, {@code [Hkv·d, E]} and {@code [E, Hq·d]}.
         *
         * @param headDim the size of each query, key and value head, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException unless {@code headDim >= 1}
         */
        public Builder headDim(int headDim) {
            if (headDim <= 0) {
                throw new IllegalArgumentException("headDim must be positive, got " + headDim);
            }
            this.headDim = headDim;
            return this;
        }

        /**
         * The rotary encoding of queries and keys; default {@code RotaryEncoding.of(d)} (rotate-half, base
         * 10,000, every feature). Give {@code RotaryEncoding.of(d).withBase(theta)} for another
         * {@code rope_theta}, a smaller dim for partial rotary, {@code interleaved()} for GPT-J's layout,
         * or null for none (NoPE layers).
         *
         * @param rotary the encoding, its dim at most {@code d} (checked at {@link #build()}); or null
         * @return this builder
         */
        public Builder rotary(RotaryEncoding rotary) {
            this.rotary = rotary;
            this.rotarySet = true;
            return this;
        }

        /**
         * A sliding window of {@code window} tokens (Mistral's {@code sliding_window}): token {@code i}
         * sees tokens {@code i − window < j <= i}. Default none (plain causal).
         *
         * @param window the tokens a query sees, itself included, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException unless {@code window >= 1}
         */
        public Builder slidingWindow(int window) {
            if (window <= 0) {
                throw new IllegalArgumentException("the sliding window must be >= 1 token, got " + window);
            }
            this.slidingWindow = window;
            return this;
        }

        /**
         * The score scale; default {@code 1/sqrt(d)} (Gemma 2's {@code query_pre_attn_scalar} {@code s}
         * gives {@code 1/sqrt(s)}). Applied at {@link #build()} through the kernel's {@code withScale}.
         *
         * @param scale the factor of {@code q·k}, finite
         * @return this builder
         * @throws IllegalArgumentException if {@code scale} is not finite
         */
        public Builder scale(double scale) {
            if (!Double.isFinite(scale)) {
                throw new IllegalArgumentException("scale must be finite, got " + scale);
            }
            this.scale = scale;
            return this;
        }

        /**
         * The attention the heads run through, called with queries {@code [B, Hq, T, d]} and keys and
         * values {@code [B, Hkv, S, d]}; default {@link ScaledDotProductAttention}. With
         * {@link #scale(double)}, it must be a {@link ScaledDotProductAttention} or {@link ChunkedAttention}.
         *
         * @param kernel the attention, e.g. {@link ChunkedAttention} for O(T) memory
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
         * The projection weights in PyTorch's layout: {@code q_proj [Hq·d, E]}, {@code k_proj} and
         * {@code v_proj [Hkv·d, E]}, {@code o_proj [E, Hq·d]}. Kept by reference until {@link #build()},
         * which checks and copies them; without them (or a state dict) the weights are drawn from the
         * {@link #seed} as {@code nn.Linear}'s default, {@code U(±1/sqrt(in))}.
         *
         * @param wq query weight; not modified
         * @param wk key weight; not modified
         * @param wv value weight; not modified
         * @param wo output weight; not modified
         * @return this builder
         * @throws IllegalArgumentException if any is null
         */
        public Builder weights(Tensor wq, Tensor wk, Tensor wv, Tensor wo) {
            if (wq == null || wk == null || wv == null || wo == null) {
                throw new IllegalArgumentException("all four weights are needed (q_proj, k_proj, v_proj, o_proj)");
            }
            weights[0] = wq;
            weights[1] = wk;
            weights[2] = wv;
            weights[3] = wo;
            return this;
        }

        /**
         * The projection biases, each optional: {@code bq [Hq·d]}, {@code bk} and {@code bv [Hkv·d]},
         * {@code bo [E]}; null for none (Qwen 2: {@code biases(bq, bk, bv, null)}). Kept by reference until
         * {@link #build()}, which checks and copies them.
         *
         * @param bq query bias or null; not modified
         * @param bk key bias or null; not modified
         * @param bv value bias or null; not modified
         * @param bo output bias or null; not modified
         * @return this builder
         */
        public Builder biases(Tensor bq, Tensor bk, Tensor bv, Tensor bo) {
            biases[0] = bq;
            biases[1] = bk;
            biases[2] = bv;
            biases[3] = bo;
            return this;
        }

        /**
         * For seeded weights: which projections get a (zero) bias, as Hugging Face's
         * {@code attention_bias} (all four) or Qwen 2 (q, k, v). Default none. Ignored for a projection
         * whose bias {@link #biases} gives, and when weights are given or loaded.
         *
         * @param queryKeyValue whether q, k and v have biases
         * @param output        whether o has a bias
         * @return this builder
         */
        public Builder bias(boolean queryKeyValue, boolean output) {
            seededBias[0] = queryKeyValue;
            seededBias[1] = queryKeyValue;
            seededBias[2] = queryKeyValue;
            seededBias[3] = output;
            return this;
        }

        /**
         * The seed of the weights drawn when none are given or loaded; default 0.
         *
         * @param seed the seed of the {@link java.util.Random} the weights come from
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Takes the weights and biases from a Hugging Face state dict, under {@code prefix}: the keys
         * {@code prefix + "q_proj.weight"}, {@code "k_proj.weight"}, {@code "v_proj.weight"} and
         * {@code "o_proj.weight"}, and each {@code ".bias"} that is present (a bias is there iff its key
         * is). Keys outside the prefix are ignored (the rest of the model); under it, any other key is an
         * error, except {@code rotary_emb.inv_freq}, the buffer older transformers versions saved, which must
         * then match the layer's rotary frequencies to 1% (a float16 copy passes; another
         * {@code rope_theta} or rotary dim fails). Read at {@link #build()}, which copies the tensors;
         * replaces {@link #weights} and {@link #biases}.
         *
         * @param stateDict name → tensor, e.g. from {@code dev.heed.io.SafeTensors.read}; not modified
         * @param prefix    the layer's prefix such as {@code "model.layers.0.self_attn."}; {@code ""} for none
         * @return this builder
         * @throws IllegalArgumentException if an argument is null
         */
        public Builder stateDict(Map<String, Tensor> stateDict, String prefix) {
            if (stateDict == null || prefix == null) {
                throw new IllegalArgumentException("stateDict and prefix must not be null (use \"\" for no prefix)");
            }
            this.stateDict = stateDict;
            this.prefix = prefix;
            return this;
        }

        /**
         * Builds the layer; the builder may be changed and used again afterwards without affecting it.
         *
         * @return a new, immutable layer
         * @throws IllegalArgumentException if the head size is not given and {@code Hq} does not divide
         *                                  {@code E}, the rotary dim exceeds {@code d} (or {@code d} is odd
         *                                  without a rotary given), a scale is set on a kernel without
         *                                  {@code withScale}, a weight or bias is mis-shaped, or a state dict
         *                                  key is missing, extra or mis-shaped (naming the key and shapes)
         */
        public GroupedQueryAttention build() {
            int d = headDim;
            if (d == 0) {
                if (embedDim % numHeads != 0) {
                    throw new IllegalArgumentException("numHeads " + numHeads + " does not divide embedDim " + embedDim
                            + "; give headDim(d) explicitly");
                }
                d = embedDim / numHeads;
            }
            RotaryEncoding r = rotary;
            if (!rotarySet) {
                if (d % 2 != 0) {
                    throw new IllegalArgumentException("the default rotary encoding needs an even head size, got " + d
                            + "; give rotary(RotaryEncoding.of(even dim <= " + d + ")) or rotary(null)");
                }
                r = RotaryEncoding.of(d);
            } else if (r != null && r.dim() > d) {
                throw new IllegalArgumentException("rotary dim " + r.dim() + " exceeds the head size " + d);
            }
            Attention k = kernel;
            if (!Double.isNaN(scale)) {
                if (k instanceof ScaledDotProductAttention s) {
                    k = s.withScale(scale);
                } else if (k instanceof ChunkedAttention c) {
                    k = c.withScale(scale);
                } else {
                    throw new IllegalArgumentException("scale(" + scale + ") needs a ScaledDotProductAttention or "
                            + "ChunkedAttention kernel; set the scale on " + k + " itself");
                }
            }
            int[][] shapes = new int[4][];
            for (int p = 0; p < 4; p++) {
                shapes[p] = GroupedQueryWeights.weightShape(p, embedDim, numHeads, numKeyValueHeads, d);
            }
            Tensor[] w = weights.clone();
            Tensor[] b = biases.clone();
            if (stateDict != null) {
                Tensor[][] loaded = GroupedQueryWeights.read(stateDict, prefix, shapes, r);
                w = loaded[0];
                b = loaded[1];
            }
            Linear[] projections = GroupedQueryWeights.of(shapes, w, b, seededBias, seed);
            return new GroupedQueryAttention(this, d, r, k, projections);
        }
    }
}
