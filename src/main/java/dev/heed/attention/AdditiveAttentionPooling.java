package dev.heed.attention;

import dev.heed.layers.Linear;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * Additive attention pooling: a learned query that reads a sequence of vectors and returns their
 * weighted average — the attention layer of text classifiers (Yang et al. 2016, "Hierarchical
 * Attention Networks for Document Classification", built on Bahdanau et al.'s additive score).
 *
 * <p>For a sequence {@code x_1 … x_n} of size-{@code E} vectors:
 * <pre>
 *   u_i = vᵀ tanh(W x_i + b)                       score of position i      (W [H, E], b [H], v [H])
 *   a_i = exp(u_i) / Σ_j exp(u_j)                   softmax over the sequence (padding excluded)
 *   c   = Σ_i a_i x_i                               context vector, size E
 * </pre>
 * The tutorial's {@code TextClassificationAttention} is the special case {@code H = 1}, no bias
 * and {@code v = [1]}, i.e. {@code u_i = tanh(w·x_i)}; {@link #singleVector(Tensor)} builds it.
 * Unlike the tutorial, the softmax runs over the sequence axis of each batch element separately
 * and is stable (the row maximum is subtracted).
 *
 * <p>Shapes: {@code x} is {@code [B, n, E]} (a batch) or {@code [n, E]} (one sequence). The
 * result's {@link AttentionResult#output() output} is the context {@code [B, E]} (or {@code [E]}),
 * its weights are {@code [B, n]} (or {@code [n]}) and its logSumExp {@code log Σ_j exp(u_j)} is
 * {@code [B]} (or 0-d). All are new tensors; {@code x} may be any view and is not modified.
 *
 * <p>Padding: give the number of real positions of each sequence ({@link #forward(Tensor, int...)})
 * or any {@link Mask} that broadcasts against the scores seen as {@code [B, 1, n]} (one query per
 * sequence). A key mask {@code keep [B, n]} (nonzero = real token) is
 * {@code Mask.allow(keep.reshape(B, 1, n))}. Padded positions get weight exactly 0 and add
 * nothing to the context, whatever their vectors hold; a sequence with no real position gets
 * context 0, weights 0 and logSumExp −∞ — never NaN.
 *
 * <p>{@link #backward(Tensor, Mask, Tensor)} gives the gradients of {@code x} and of the
 * parameters {@code projection.weight}, {@code projection.bias} and {@code scoreVector} for a
 * gradient of the context, through {@link SoftmaxAttention#backward}.
 *
 * <p>Seeded initialisation ({@link #seeded(int, int, long)}) draws, from one {@link Random}, W and
 * b as {@code torch.nn.Linear(E, H)} does (uniform in {@code ±1/√E}) and then v as the weight of
 * {@code torch.nn.Linear(H, 1, bias=False)} (uniform in {@code ±1/√H}).
 *
 * <p>Immutable and thread-safe.
 */
public final class AdditiveAttentionPooling {
    /** The softmax and weighted sum over the scores this class computes. */
    private static final SoftmaxAttention SCORES = new SoftmaxAttention();

    private final Linear projection;
    private final Linear scoreVector;

    private AdditiveAttentionPooling(Linear projection, Linear scoreVector) {
        this.projection = projection;
        this.scoreVector = scoreVector;
    }

    /**
     * Pooling with the given parameters.
     *
     * @param projection {@code x ↦ W x + b}, from {@code E} to {@code H} features (bias optional)
     * @param v          the score vector {@code [H]}; copied, not modified
     * @return a new pooling that shares {@code projection} (immutable) and owns its copy of
     *         {@code v}
     * @throws IllegalArgumentException if either is null or {@code v} is not {@code [H]}
     */
    public static AdditiveAttentionPooling of(Linear projection, Tensor v) {
        if (projection == null || v == null) {
            throw new IllegalArgumentException("projection and v must not be null");
        }
        if (v.rank() != 1 || v.shape(0) != projection.outFeatures()) {
            throw new IllegalArgumentException("v must have shape [" + projection.outFeatures()
                    + "] to match the projection's output size, got " + Arrays.toString(v.shape()));
        }
        return new AdditiveAttentionPooling(projection, Linear.of(v.reshape(1, v.shape(0))));
    }

    /**
     * The single-vector form {@code u_i = tanh(w·x_i)} of the tutorial's text classifier: hidden
     * size 1, no bias, {@code v = [1]}.
     *
     * @param w {@code [E]}; copied, not modified
     * @return a new pooling over size-{@code E} vectors with hidden size 1
     * @throws IllegalArgumentException unless {@code w} is a non-empty vector
     */
    public static AdditiveAttentionPooling singleVector(Tensor w) {
        if (w == null || w.rank() != 1 || w.shape(0) < 1) {
            throw new IllegalArgumentException("singleVector needs w of shape [E] with E >= 1, got "
                    + (w == null ? "null" : Arrays.toString(w.shape())));
        }
        return of(Linear.of(w.reshape(1, w.shape(0))), Tensor.ones(1));
    }

    /**
     * Pooling over size-{@code inputDim} vectors with a hidden layer of {@code hiddenDim},
     * initialised from {@code new Random(seed)}: same seed, same pooling.
     *
     * @param inputDim  the size {@code E} of the pooled vectors, ≥ 1
     * @param hiddenDim the hidden size {@code H}, ≥ 1
     * @param seed      the seed of the {@link Random} the parameters are drawn from
     * @return a new pooling with a bias in its projection
     * @throws IllegalArgumentException unless both sizes are ≥ 1
     */
    public static AdditiveAttentionPooling seeded(int inputDim, int hiddenDim, long seed) {
        return seeded(inputDim, hiddenDim, new Random(seed));
    }

    /**
     * Like {@link #seeded(int, int, long)} but drawing from {@code random}: W, then b, then v.
     *
     * @param inputDim  the size {@code E} of the pooled vectors, ≥ 1
     * @param hiddenDim the hidden size {@code H}, ≥ 1
     * @param random    modified: advanced by {@code H·E + H + H} draws
     * @return a new pooling with a bias in its projection
     * @throws IllegalArgumentException unless both sizes are ≥ 1, or if {@code random} is null
     */
    public static AdditiveAttentionPooling seeded(int inputDim, int hiddenDim, Random random) {
        if (inputDim < 1 || hiddenDim < 1) {
            throw new IllegalArgumentException("additive pooling needs inputDim >= 1 and hiddenDim >= 1, got inputDim="
                    + inputDim + ", hiddenDim=" + hiddenDim);
        }
        Linear projection = Linear.seeded(inputDim, hiddenDim, true, random);
        return new AdditiveAttentionPooling(projection, Linear.seeded(hiddenDim, 1, false, random));
    }

    /**
     * The unmasked scores {@code u_i = vᵀ tanh(W x_i + b)}.
     *
     * @param x {@code [B, n, E]} or {@code [n, E]}; not modified
     * @return a new {@code [B, n]} (or {@code [n]}) tensor
     * @throws IllegalArgumentException if {@code x} is not of rank 2 or 3 with last axis {@code E}
     */
    public Tensor scores(Tensor x) {
        check(x);
        return scoreVector.forward(projection.forward(x).tanh()).squeeze(-1);
    }

    /**
     * Pooling without padding: every position of every sequence is real.
     *
     * @param x {@code [B, n, E]} or {@code [n, E]}; not modified
     * @return output = context {@code [B, E]}, weights {@code [B, n]}, logSumExp {@code [B]}
     *         (without {@code B} when unbatched); new tensors. An empty sequence ({@code n = 0})
     *         gets context 0 and logSumExp −∞.
     * @throws IllegalArgumentException if {@code x} is null or not of rank 2 or 3 with last axis
     *                                  {@code E}
     */
    public AttentionResult forward(Tensor x) {
        return forward(x, Mask.none());
    }

    /**
     * Pooling of sequences padded at the end: sequence {@code b} has {@code lengths[b]} real
     * positions, the rest are padding.
     *
     * @param x       {@code [B, n, E]} or {@code [n, E]}; not modified
     * @param lengths {@code B} entries (one for an unbatched {@code x}), each in {@code [0, n]};
     *                a length of 0 gives that sequence context 0, weights 0 and logSumExp −∞
     * @return output = context {@code [B, E]}, weights {@code [B, n]} (exactly 0 on padding),
     *         logSumExp {@code [B]} (without {@code B} when unbatched); new tensors
     * @throws IllegalArgumentException if {@code x} has the wrong shape, or {@code lengths} is
     *                                  null or its count or a value is wrong, naming both
     */
    public AttentionResult forward(Tensor x, int... lengths) {
        check(x);
        int batch = x.rank() == 3 ? x.shape(0) : 1;
        return forward(x, paddingMask(lengths, batch, x.shape(-2), "sequence"));
    }

    /**
     * Pooling under {@code mask}, which broadcasts against the scores seen as {@code [B, 1, n]}
     * ({@code [1, 1, n]} for an unbatched {@code x}).
     *
     * @param x    {@code [B, n, E]} or {@code [n, E]}; not modified
     * @param mask which positions may be attended; {@link Mask#none()} for all
     * @return output = context {@code [B, E]}, weights {@code [B, n]}, logSumExp {@code [B]}
     *         (without {@code B} when unbatched); new tensors
     * @throws IllegalArgumentException if {@code x} is null or has the wrong shape, or the mask is
     *                                  null or does not fit
     */
    public AttentionResult forward(Tensor x, Mask mask) {
        check(x);
        if (mask == null) {
            throw new IllegalArgumentException("mask must not be null; use Mask.none()");
        }
        Tensor x3 = x.rank() == 2 ? x.unsqueeze(0) : x;
        AttentionResult r = pass(x3, mask).result;
        Tensor output = r.output().squeeze(1);
        Tensor weights = r.weights().squeeze(1);
        Tensor lse = r.logSumExp().squeeze(1);
        if (x.rank() == 2) {
            return new AttentionResult(output.squeeze(0), weights.squeeze(0), lse.squeeze(0));
        }
        return new AttentionResult(output, weights, lse);
    }

    /**
     * The gradients of a scalar loss with respect to {@code x} and the parameters, given
     * {@code gradOutput}, the loss's gradient with respect to the context that
     * {@code forward(x, mask)} returns.
     *
     * <p>Through the weighted sum and the softmax by {@link SoftmaxAttention#backward} (which
     * gives the score gradient {@code du} and the part of {@code dx} from {@code x} as values),
     * then through the score {@code u_i = vᵀ tanh(W x_i + b)}: with {@code t_i = tanh(W x_i + b)},
     * {@code dv = Σ du_i t_i}, {@code dh_i = du_i v ∘ (1 − t_i²)}, {@code dW = Σ dh_i x_iᵀ},
     * {@code db = Σ dh_i}, and {@code dx_i} gains {@code Wᵀ dh_i} — {@code x} is both what is
     * scored and what is averaged, so its gradient has both parts.
     *
     * <p>The parameters are named as the fields that hold them, in this order:
     * {@code projection.weight} {@code [H, E]}, {@code projection.bias} {@code [H]} (only when the
     * projection has a bias), {@code scoreVector} {@code [H]} (the {@code v} of
     * {@link #scoreVector()}).
     *
     * <p>The forward is computed again (no forward result is passed in): about the cost of one
     * forward, on top of the backward's own, which is about twice a forward. Padded positions
     * (weight 0) get {@code dx = 0} and add nothing to the parameter gradients; a sequence with no
     * real position gets zero gradients everywhere — never NaN. The mask gets no gradient.
     *
     * @param x          {@code [B, n, E]} or {@code [n, E]}, as given to {@code forward}; not
     *                   modified
     * @param mask       as given to {@code forward}
     * @param gradOutput ∂loss/∂context, shaped like the context: {@code [B, E]}, or {@code [E]} for
     *                   an unbatched {@code x}; not modified
     * @return {@code dx} shaped like {@code x} and the parameter gradients; new tensors
     * @throws IllegalArgumentException if an argument is null, {@code x} or the mask does not fit
     *                                  as in {@link #forward(Tensor, Mask)}, or {@code gradOutput}
     *                                  is not shaped like the context — naming the shapes
     */
    public Gradients backward(Tensor x, Mask mask, Tensor gradOutput) {
        check(x);
        if (mask == null) {
            throw new IllegalArgumentException("mask must not be null; use Mask.none()");
        }
        if (gradOutput == null) {
            throw new IllegalArgumentException("gradOutput must not be null");
        }
        boolean unbatched = x.rank() == 2;
        int[] context = unbatched ? new int[] {inputDim()} : new int[] {x.shape(0), inputDim()};
        if (!Arrays.equals(gradOutput.shape(), context)) {
            throw new IllegalArgumentException("gradOutput must be shaped like the context " + Arrays.toString(context)
                    + " of x " + Arrays.toString(x.shape()) + ", got " + Arrays.toString(gradOutput.shape()));
        }
        Tensor x3 = unbatched ? x.unsqueeze(0) : x;
        Tensor gy = unbatched ? gradOutput.unsqueeze(0).unsqueeze(0) : gradOutput.unsqueeze(1);
        Gradients g = gradients(pass(x3, mask), mask, gy);
        return unbatched ? new Gradients(g.x().squeeze(0), g.parameters()) : g;
    }

    /**
     * {@link #backward(Tensor, Mask, Tensor)} without padding: every position is real.
     *
     * @param x          {@code [B, n, E]} or {@code [n, E]}; not modified
     * @param gradOutput ∂loss/∂context, {@code [B, E]} or {@code [E]}; not modified
     * @return {@code dx} shaped like {@code x} and the parameter gradients; new tensors
     * @throws IllegalArgumentException as {@link #backward(Tensor, Mask, Tensor)}
     */
    public Gradients backward(Tensor x, Tensor gradOutput) {
        return backward(x, Mask.none(), gradOutput);
    }

    /**
     * {@link #backward(Tensor, Mask, Tensor)} for sequences padded at the end, as
     * {@link #forward(Tensor, int...)} takes them.
     *
     * @param x          {@code [B, n, E]} or {@code [n, E]}; not modified
     * @param lengths    {@code B} entries (one for an unbatched {@code x}), each in {@code [0, n]};
     *                   not modified
     * @param gradOutput ∂loss/∂context, {@code [B, E]} or {@code [E]}; not modified
     * @return {@code dx} shaped like {@code x} (exactly 0 on padding) and the parameter gradients;
     *         new tensors
     * @throws IllegalArgumentException as {@link #backward(Tensor, Mask, Tensor)}, or if
     *                                  {@code lengths} is null or its count or a value is wrong
     */
    public Gradients backward(Tensor x, int[] lengths, Tensor gradOutput) {
        check(x);
        int batch = x.rank() == 3 ? x.shape(0) : 1;
        return backward(x, paddingMask(lengths, batch, x.shape(-2), "sequence"), gradOutput);
    }

    /** One forward of {@code x3 [B, n, E]}, with what its backward reads. */
    record Pass(Tensor x3, Tensor hidden, Tensor scores, AttentionResult result) {}

    /** The forward: {@code hidden = tanh(W x + b)} {@code [B, n, H]}, scores {@code [B, 1, n]}, the attention. */
    Pass pass(Tensor x3, Mask mask) {
        Tensor hidden = projection.forward(x3).tanh();
        Tensor u = scoreVector.forward(hidden).squeeze(-1).unsqueeze(1);
        return new Pass(x3, hidden, u, SCORES.apply(u, x3, mask));
    }

    /** The backward of {@code pass} for {@code gradOutput [B, 1, E]}; {@code dx} is {@code [B, n, E]}. */
    Gradients gradients(Pass f, Mask mask, Tensor gradOutput) {
        SoftmaxAttention.Gradients sg = SCORES.backward(f.scores, f.x3, mask, f.result, gradOutput);
        Tensor du = sg.scores().squeeze(1).unsqueeze(-1); // [B, n, 1]
        Tensor dPre = ParameterGradients.tanh(ParameterGradients.input(du, scoreVector.weight()), f.hidden);
        Map<String, Tensor> p = new LinkedHashMap<>();
        p.put("projection.weight", ParameterGradients.weight(dPre, f.x3));
        if (projection.hasBias()) {
            p.put("projection.bias", ParameterGradients.bias(dPre));
        }
        p.put("scoreVector", ParameterGradients.weight(du, f.hidden).reshape(hiddenDim()));
        Tensor dx = sg.value().add(ParameterGradients.input(dPre, projection.weight()));
        return new Gradients(dx, p);
    }

    /**
     * What {@link #backward(Tensor, Mask, Tensor)} returns. The tensors are new, owned by this
     * object, none a view of an input or of the module's parameters.
     *
     * @param x          ∂loss/∂x, shaped like {@code x}: {@code [B, n, E]} or {@code [n, E]}
     * @param parameters ∂loss/∂parameter by name — {@code projection.weight}, {@code projection.bias}
     *                   (when there is a bias), {@code scoreVector} — in that order; an
     *                   unmodifiable map
     */
    public record Gradients(Tensor x, Map<String, Tensor> parameters) {
        /**
         * Checks and keeps the gradients, as computed by {@code backward}.
         *
         * @param x          ∂loss/∂x; kept, not copied
         * @param parameters ∂loss/∂parameter by name; the map is copied (its order kept), the tensors
         *                   are not
         * @throws NullPointerException if any argument, name or tensor is null
         */
        public Gradients {
            Objects.requireNonNull(x, "x");
            parameters = ParameterGradients.frozen(parameters);
        }

        /** {@return the shapes, for logs} */
        @Override
        public String toString() {
            return "AdditiveAttentionPooling.Gradients{x=" + Arrays.toString(x.shape()) + ", "
                    + ParameterGradients.shapes(parameters) + "}";
        }
    }

    private void check(Tensor x) {
        if (x == null) {
            throw new IllegalArgumentException("x is null");
        }
        if ((x.rank() != 2 && x.rank() != 3) || x.shape(-1) != inputDim()) {
            throw new IllegalArgumentException("additive pooling needs x [B, n, " + inputDim() + "] or [n, "
                    + inputDim() + "], got " + Arrays.toString(x.shape()));
        }
    }

    /**
     * {@link Mask#keyPadding} for {@code count} sequences of at most {@code max} positions, after
     * checking the lengths ({@code what} names one sequence in messages). An empty batch needs no mask.
     */
    static Mask paddingMask(int[] lengths, int count, int max, String what) {
        checkLengths(lengths, count, max, what);
        return count == 0 ? Mask.none() : Mask.keyPadding(lengths);
    }

    /** Checks {@code count} lengths, each in {@code [0, max]}; {@code what} names one item in messages. */
    static void checkLengths(int[] lengths, int count, int max, String what) {
        if (lengths == null) {
            throw new IllegalArgumentException("lengths is null");
        }
        if (lengths.length != count) {
            throw new IllegalArgumentException("lengths " + Arrays.toString(lengths) + " has " + lengths.length
                    + " entries but there " + (count == 1 ? "is 1 " + what : "are " + count + " " + what + "s"));
        }
        for (int i = 0; i < count; i++) {
            if (lengths[i] < 0 || lengths[i] > max) {
                throw new IllegalArgumentException("length " + lengths[i] + " of " + what + " " + i + " is outside [0, "
                        + max + "]: lengths " + Arrays.toString(lengths));
            }
        }
    }

    /**
     * Size {@code E} of the pooled vectors.
     *
     * @return the projection's input size
     */
    public int inputDim() {
        return projection.inFeatures();
    }

    /**
     * Size {@code H} of the hidden layer.
     *
     * @return the projection's output size
     */
    public int hiddenDim() {
        return projection.outFeatures();
    }

    /**
     * The projection {@code x ↦ W x + b}.
     *
     * @return the layer itself (immutable, so shared rather than copied), {@code E → H}
     */
    public Linear projection() {
        return projection;
    }

    /**
     * The score vector {@code v}.
     *
     * @return {@code [H]}, a new copy on each call
     */
    public Tensor scoreVector() {
        return scoreVector.weight().reshape(hiddenDim());
    }

    @Override
    public String toString() {
        return "AdditiveAttentionPooling{inputDim=" + inputDim() + ", hiddenDim=" + hiddenDim() + ", bias="
                + projection.hasBias() + "}";
    }
}
