package dev.heed.attention;

import dev.heed.layers.Linear;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
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
        Tensor u = scores(x3).unsqueeze(1);
        AttentionResult r = SCORES.apply(u, x3, mask);
        Tensor output = r.output().squeeze(1);
        Tensor weights = r.weights().squeeze(1);
        Tensor lse = r.logSumExp().squeeze(1);
        if (x.rank() == 2) {
            return new AttentionResult(output.squeeze(0), weights.squeeze(0), lse.squeeze(0));
        }
        return new AttentionResult(output, weights, lse);
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
