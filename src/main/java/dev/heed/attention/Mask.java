package dev.heed.attention;

import dev.heed.internal.attention.MaskPlan;
import dev.heed.internal.linalg.BatchedMatrices;
import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which keys each query may attend to, and any bias added to the scores.
 *
 * <p>A mask is applied to the scaled scores {@code [..., L, S]} (L queries, S keys) before the
 * softmax. The polarity of each kind is in its name, because conventions differ between
 * libraries:
 * <ul>
 *   <li>{@link #none()} — every query sees every key.</li>
 *   <li>{@link #causal()} — query {@code i} sees key {@code j} iff {@code j <= i + (S - L)}:
 *       aligned to the bottom-right corner, which is what decoding with a key/value cache needs
 *       (FlashAttention ≥ 2.1). For {@code L == S} it is the usual lower triangle, PyTorch's
 *       {@code is_causal}.</li>
 *   <li>{@link #allow(Tensor)} — nonzero = may attend (PyTorch SDPA's boolean mask).</li>
 *   <li>{@link #block(Tensor)} — nonzero = must not attend (PyTorch MultiheadAttention's
 *       boolean mask; the tutorial's {@code mask * -1e9}, done exactly).</li>
 *   <li>{@link #bias(Tensor)} — added to the scores; {@code -inf} blocks.</li>
 *   <li>{@link #keyPadding(int...)} — element {@code b} of the leading axis sees keys
 *       {@code j < lengths[b]} only.</li>
 *   <li>{@link #alibi(double...)} — ALiBi's bias {@code -slopes[h]·|p - j|} per head, with the
 *       paper's slopes from {@link #alibiSlopes(int)}.</li>
 *   <li>{@link #where(Predicate)} — any mask as a function {@code (batch, head, query, key) -> boolean},
 *       true = may attend (FlexAttention's {@code mask_mod} and block mask).</li>
 *   <li>{@link #slidingWindow(int, int)} — query {@code i} sees keys {@code p - left <= j <= p + right},
 *       {@code p = i + (S - L)} (FlashAttention's {@code window_size}).</li>
 * </ul>
 * Tensor masks broadcast against the scores {@code [..., L, S]} by NumPy's rules, so an
 * {@code [L, S]} mask serves every batch element and head and a {@code [B, 1, 1, S]} mask is a
 * per-sequence key mask. {@link #and(Mask)} combines masks: a key is allowed where both allow,
 * and biases add; a key that one part blocks stays blocked whatever bias another part adds.
 *
 * <p>A query row that may attend to nothing gets weights 0, output 0 and log-sum-exp
 * {@code -inf} — never NaN. NaN in a bias propagates to its row; NaN in an allow or block
 * tensor counts as nonzero.
 *
 * <p>Masks are immutable: tensor masks keep a private copy of their tensor, so later writes to
 * the caller's tensor do not change them. They are safe to share between threads.
 */
public abstract class Mask {
    Mask() {}

    /**
     * No masking: every query may attend to every key.
     *
     * @return the shared mask that blocks nothing and adds nothing ({@link #isNone()} is true)
     */
    public static Mask none() {
        return None.INSTANCE;
    }

    /**
     * Causal, aligned bottom-right: query {@code i} sees key {@code j} iff {@code j <= i + (S - L)}.
     * For {@code L == S} it is the lower triangle; with more queries than keys ({@code L > S}) the
     * first {@code L - S} queries see nothing and get output 0.
     *
     * @return the shared causal mask; it fits scores of any shape
     */
    public static Mask causal() {
        return Causal.INSTANCE;
    }

    /**
     * A sliding window, aligned bottom-right like {@link #causal()}: query {@code i} sees key
     * {@code j} iff {@code p - left <= j <= p + right}, where {@code p = i + (S - L)} is the query's
     * position among the keys (its own position when {@code L == S}). FlashAttention's
     * {@code window_size=(left, right)}; Mistral's and Gemma's local attention is
     * {@code slidingWindow(W - 1, 0)} (each token sees itself and the {@code W - 1} before it).
     *
     * <p>A side given as {@code -1} is unbounded, as in FlashAttention: {@code slidingWindow(-1, 0)}
     * is {@link #causal()}, {@code slidingWindow(-1, -1)} blocks nothing. A query whose window holds
     * no key (with {@code L > S} the first queries sit before key 0) attends to nothing and gets
     * output 0. The kernels skip every key tile left or right of a query
     * tile's windows, so a window of {@code W} keys costs about {@code W/S} of unmasked attention.
     * Combine with {@link #and} for anything else (padding, ALiBi, a bias).
     *
     * @param left  keys visible before the query's position, {@code >= 0}, or {@code -1} for all
     * @param right keys visible after it, {@code >= 0}, or {@code -1} for all
     * @return a new mask; it fits scores of any shape
     * @throws IllegalArgumentException if {@code left} or {@code right} is below {@code -1}
     */
    public static Mask slidingWindow(int left, int right) {
        return new WindowMask(left, right);
    }

    /**
     * ALiBi's linear position bias (Press et al., "Train Short, Test Long"): adds
     * {@code -slopes[h] · |p - j|} to the score of query {@code i} and key {@code j}, where
     * {@code p = i + (S - L)} is the query's position among the keys (bottom-right aligned, like
     * {@link #causal()}) and {@code h} is the index on the scores' head axis (-3). This is
     * FlashAttention's {@code alibi_slopes}; with {@link #causal()} ({@code j <= p}) it is the
     * paper's {@code -m·(i - j)}, and since a softmax ignores a constant added to a row it also
     * equals BLOOM's {@code m·j} (Hugging Face's {@code build_alibi_tensor}) under a causal mask.
     * It blocks nothing by itself: combine it with {@link #causal()} or a window via {@link #and}.
     *
     * @param slopes one slope per head, or a single slope for every head; finite (any sign, though
     *               ALiBi's are positive: {@link #alibiSlopes(int)}); copied
     * @return a new bias mask
     * @throws IllegalArgumentException if {@code slopes} is null, empty or holds NaN or an infinity;
     *                                  when the mask is applied, if there are neither 1 nor as many
     *                                  slopes as the scores' axis -3 has heads (1 for scores of rank 2)
     */
    public static Mask alibi(double... slopes) {
        return new AlibiMask(slopes);
    }

    /**
     * The ALiBi paper's slopes for {@code numHeads} heads, as its reference code
     * ({@code get_slopes}) computes them. For a power of two {@code n}, the geometric sequence
     * {@code 2^(-8(h+1)/n)}, {@code h = 0 … n-1} (8 heads: 1/2, 1/4, … 1/256). Otherwise, with
     * {@code c} the largest power of two below {@code n}: the {@code c} slopes of {@code c} heads,
     * then every other slope of {@code 2c} heads ({@code 2^(-4(2k+1)/c)}, {@code k = 0, 1, …}) for
     * the remaining {@code n - c} heads. Each slope is {@code 2^e} correctly rounded, the same bits
     * on every JVM (the reference code's {@code start * ratio**i} accumulates rounding: for 16 heads
     * it gives 0.5000000000000001 for 1/2, and some slopes differ by a dozen ulps).
     *
     * @param numHeads the number of heads, {@code >= 1}
     * @return a new array of {@code numHeads} slopes in {@code (0, 1)}, largest first for powers of two
     * @throws IllegalArgumentException if {@code numHeads < 1}
     */
    public static double[] alibiSlopes(int numHeads) {
        if (numHeads < 1) {
            throw new IllegalArgumentException("alibiSlopes needs at least one head, got " + numHeads);
        }
        int c = Integer.highestOneBit(numHeads);
        double[] out = new double[numHeads];
        for (int h = 0; h < c; h++) {
            out[h] = AlibiMask.powerOfTwo(-8L * (h + 1), c);
        }
        for (int k = 0; c + k < numHeads; k++) {
            out[c + k] = AlibiMask.powerOfTwo(-8L * (2 * k + 1), 2L * c);
        }
        return out;
    }

    /**
     * Which keys a query may attend to, as a function: FlexAttention's {@code mask_mod}, for
     * masks no tensor should hold (documents packed into one sequence, a prefix-LM, dilated or
     * strided patterns). Implementations must be pure (the same answer for the same arguments, every
     * time) and thread-safe: {@link Mask#where} calls them from several threads, in no fixed order.
     */
    @FunctionalInterface
    public interface Predicate {
        /**
         * Whether a query may attend to a key.
         *
         * @param batch the flat row-major index over the scores' axes before the head axis (0 below rank 4)
         * @param head  the index on the scores' axis -3 (0 below rank 3)
         * @param query the query row {@code i}, in {@code [0, L)}
         * @param key   the key {@code j}, in {@code [0, S)}
         * @return true if query {@code i} may attend to key {@code j}
         */
        boolean test(int batch, int head, int query, int key);
    }

    /**
     * A mask given as a function: query {@code i} may attend to key {@code j} of head {@code h} in
     * batch element {@code b} iff {@code predicate.test(b, h, i, j)}. PyTorch FlexAttention's
     * {@code create_block_mask(mask_mod, B, H, L, S)} in one call: for example packed documents,
     * {@code Mask.where((b, h, i, j) -> doc[i] == doc[j])}, or a prefix-LM,
     * {@code (b, h, i, j) -> j < prefix || j <= i}. The head is the index on the scores' axis -3
     * (0 below rank 3); the batch is the flat row-major index over the axes before it (0 below
     * rank 4).
     *
     * <p>When an attention call applies it, the predicate is evaluated once for every
     * {@code (batch, head, query, key)} of the scores — {@code B·H·L·S} calls, on the fork/join
     * common pool — and the result kept as a block mask: each tile of {@value #WHERE_TILE} ×
     * {@value #WHERE_TILE} is classified as empty, full or partial (FlexAttention's block mask; a
     * partial tile keeps one bit per pair, 512 bytes). The kernels skip empty tiles and everything
     * left or right of a query tile's first and last non-empty one; full tiles cost no per-element
     * work. Memory: one byte per tile and 512 bytes per partial tile, per batch element and head.
     *
     * @param predicate pure and thread-safe; true = may attend
     * @return a new mask; it fits scores of any shape
     * @throws IllegalArgumentException if {@code predicate} is null; an exception the predicate
     *                                  throws reaches the attention call's caller
     */
    public static Mask where(Predicate predicate) {
        if (predicate == null) {
            throw new IllegalArgumentException("where needs a predicate");
        }
        return new WhereMask(predicate);
    }

    /**
     * The side of the tiles {@link #where} classifies: rows of 64 bits, so a partial tile is 64
     * {@code long}s, and the kernels' default tiles are this size too.
     */
    public static final int WHERE_TILE = 64;

    /**
     * Queries may attend where {@code allowed} is nonzero (any nonzero value, NaN included).
     *
     * @param allowed broadcastable to the scores {@code [..., L, S]}; copied, not modified
     * @return a new mask holding its own copy of {@code allowed}
     * @throws IllegalArgumentException if {@code allowed} is null or 0-d; whether it broadcasts
     *                                  is checked when the mask is applied
     */
    public static Mask allow(Tensor allowed) {
        return new TensorMask(TensorMask.Kind.ALLOW, allowed);
    }

    /**
     * Queries may not attend where {@code blocked} is nonzero (any nonzero value, NaN included).
     *
     * @param blocked broadcastable to the scores {@code [..., L, S]}; copied, not modified
     * @return a new mask holding its own copy of {@code blocked}
     * @throws IllegalArgumentException if {@code blocked} is null or 0-d; whether it broadcasts
     *                                  is checked when the mask is applied
     */
    public static Mask block(Tensor blocked) {
        return new TensorMask(TensorMask.Kind.BLOCK, blocked);
    }

    /**
     * Adds {@code bias} to the scaled scores; {@code -inf} blocks a key (exactly, unlike a large
     * negative number), NaN makes its row NaN.
     *
     * @param bias broadcastable to the scores {@code [..., L, S]}; copied, not modified
     * @return a new mask holding its own copy of {@code bias}
     * @throws IllegalArgumentException if {@code bias} is null or 0-d; whether it broadcasts is
     *                                  checked when the mask is applied
     */
    public static Mask bias(Tensor bias) {
        return new TensorMask(TensorMask.Kind.BIAS, bias);
    }

    /**
     * Per-sequence key lengths: element {@code b} of the scores' leading axis may attend to keys
     * {@code j < lengths[b]} only. {@code lengths} must have one entry per element of that axis,
     * or a single entry that applies to all. A length of 0 leaves that sequence nothing to
     * attend to (output 0).
     *
     * <p>Scores of rank 2 ({@code [L, S]}) count as one sequence. When the mask is applied, an
     * attention call throws {@link IllegalArgumentException} if the number of lengths is neither 1
     * nor the size of the leading axis, or a length exceeds {@code S}.
     *
     * @param lengths copied; each in {@code [0, S]} (checked when the mask is applied)
     * @return a new mask holding its own copy of {@code lengths}
     * @throws IllegalArgumentException if {@code lengths} is null, empty or has a negative entry
     */
    public static Mask keyPadding(int... lengths) {
        return new KeyPadding(lengths);
    }

    /**
     * A mask that allows a key only where both this and {@code other} allow it; biases of the
     * two add. A key that a causal, key-padding, allow or block part blocks stays blocked whatever
     * bias (NaN, {@code +inf}) another part adds, in whichever order the parts were combined. Combining with {@link #none()}
     * returns the other mask itself.
     *
     * @param other the mask to combine with; not modified
     * @return the combined mask; this and {@code other} are unchanged
     * @throws IllegalArgumentException if {@code other} is null
     */
    public Mask and(Mask other) {
        if (other == null) {
            throw new IllegalArgumentException("other mask is null");
        }
        if (this instanceof None) {
            return other;
        }
        if (other instanceof None) {
            return this;
        }
        List<Mask> parts = new ArrayList<>();
        for (Mask m : new Mask[] {this, other}) {
            if (m instanceof And) {
                parts.addAll(((And) m).parts);
            } else {
                parts.add(m);
            }
        }
        return new And(parts);
    }

    /**
     * Whether this is {@link #none()}. A tensor mask that happens to allow everything is not.
     *
     * @return true for the mask that blocks nothing and adds nothing
     */
    public boolean isNone() {
        return this instanceof None;
    }

    /**
     * Binds the mask to scores of shape {@code [batch..., L, S]}.
     *
     * @throws IllegalArgumentException if the mask does not fit that shape
     */
    abstract MaskPlan bind(int[] scoresShape);

    // ----------------------------------------------------------------------------- kinds

    private static final class None extends Mask {
        static final None INSTANCE = new None();

        @Override
        MaskPlan bind(int[] scoresShape) {
            return MaskPlan.none(scoresShape[scoresShape.length - 1]);
        }

        @Override
        public String toString() {
            return "Mask.none()";
        }
    }

    private static final class Causal extends Mask {
        static final Causal INSTANCE = new Causal();

        @Override
        MaskPlan bind(int[] scoresShape) {
            int queries = scoresShape[scoresShape.length - 2];
            int keys = scoresShape[scoresShape.length - 1];
            int shift = keys - queries;
            return MaskPlan.structural(keys, (batch, row) -> Math.max(0, Math.min(keys, row + shift + 1)));
        }

        @Override
        public String toString() {
            return "Mask.causal()";
        }
    }

    private static final class KeyPadding extends Mask {
        private final int[] lengths;

        KeyPadding(int[] lengths) {
            if (lengths == null || lengths.length == 0) {
                throw new IllegalArgumentException("keyPadding needs at least one length");
            }
            for (int n : lengths) {
                if (n < 0) {
                    throw new IllegalArgumentException(
                            "keyPadding lengths must be >= 0, got " + Arrays.toString(lengths));
                }
            }
            this.lengths = lengths.clone();
        }

        @Override
        MaskPlan bind(int[] scoresShape) {
            int rank = scoresShape.length;
            int keys = scoresShape[rank - 1];
            int lead = rank > 2 ? scoresShape[0] : 1;
            if (lengths.length != lead && lengths.length != 1) {
                throw new IllegalArgumentException("keyPadding has " + lengths.length + " lengths "
                        + Arrays.toString(lengths) + " but the leading axis of the scores "
                        + Arrays.toString(scoresShape) + " has " + lead + " elements");
            }
            for (int n : lengths) {
                if (n > keys) {
                    throw new IllegalArgumentException("keyPadding length " + n + " exceeds the " + keys
                            + " keys of the scores " + Arrays.toString(scoresShape));
                }
            }
            // Batch elements are numbered row-major, so the leading index is batch / (rest).
            int rest = 1;
            for (int k = 1; k < rank - 2; k++) {
                rest *= scoresShape[k];
            }
            int perLead = rest;
            int[] ls = lengths;
            return MaskPlan.structural(keys, (batch, row) -> ls.length == 1 ? ls[0] : ls[batch / perLead]);
        }

        @Override
        public String toString() {
            return "Mask.keyPadding(" + Arrays.toString(lengths) + ")";
        }
    }

    private static final class TensorMask extends Mask {
        enum Kind {
            ALLOW,
            BLOCK,
            BIAS
        }

        private final Kind kind;
        private final Tensor values;

        TensorMask(Kind kind, Tensor values) {
            if (values == null) {
                throw new IllegalArgumentException(kind.name().toLowerCase() + " mask tensor is null");
            }
            if (values.rank() == 0) {
                throw new IllegalArgumentException(
                        kind.name().toLowerCase() + " mask must have at least one axis (S), got a 0-d tensor");
            }
            this.kind = kind;
            this.values = values.copy();
        }

        @Override
        MaskPlan bind(int[] scoresShape) {
            Tensor t;
            try {
                t = values.broadcastTo(scoresShape);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        kind.name().toLowerCase() + " mask of shape "
                                + Arrays.toString(values.shape())
                                + " does not broadcast against the scores [..., L, S] = "
                                + Arrays.toString(scoresShape),
                        e);
            }
            int rank = scoresShape.length;
            int keys = scoresShape[rank - 1];
            int[] st = t.strides();
            int rowStride = st[rank - 2];
            int colStride = st[rank - 1];
            int[] batchOffset = BatchedMatrices.offsets(scoresShape, st, t.offset());
            double[] data = t.data();
            Kind k = kind;
            return new MaskPlan(keys) {
                @Override
                public int keyEnd(int batch, int row) {
                    return keys;
                }

                @Override
                public boolean isElementwise() {
                    return true;
                }

                @Override
                public void apply(int batch, int row, int j0, int j1, double[] scores, int offset, int stride) {
                    int p = batchOffset[batch] + row * rowStride + j0 * colStride;
                    int n = j1 - j0;
                    switch (k) {
                        case ALLOW:
                            for (int j = 0; j < n; j++, p += colStride) {
                                if (data[p] == 0) {
                                    scores[offset + j * stride] = Double.NEGATIVE_INFINITY;
                                }
                            }
                            break;
                        case BLOCK:
                            for (int j = 0; j < n; j++, p += colStride) {
                                if (data[p] != 0) {
                                    scores[offset + j * stride] = Double.NEGATIVE_INFINITY;
                                }
                            }
                            break;
                        default:
                            // -inf blocks outright: added, it would leave a NaN or +inf score NaN.
                            for (int j = 0; j < n; j++, p += colStride) {
                                double bias = data[p];
                                int at = offset + j * stride;
                                scores[at] = bias == Double.NEGATIVE_INFINITY ? bias : scores[at] + bias;
                            }
                    }
                }
            };
        }

        @Override
        public String toString() {
            return "Mask." + kind.name().toLowerCase() + "(" + Arrays.toString(values.shape()) + ")";
        }
    }

    private static final class And extends Mask {
        private final List<Mask> parts;

        And(List<Mask> parts) {
            this.parts = List.copyOf(parts);
        }

        @Override
        MaskPlan bind(int[] scoresShape) {
            // Biases are added before allow/block write -inf, so a blocked key stays blocked
            // whatever bias (NaN, +inf) another part adds to it, in whichever order they were and-ed.
            List<Mask> ordered = new ArrayList<>(parts);
            ordered.sort((a, b) -> Boolean.compare(!isBias(a), !isBias(b)));
            MaskPlan[] plans = new MaskPlan[ordered.size()];
            boolean elementwise = false;
            for (int i = 0; i < plans.length; i++) {
                plans[i] = ordered.get(i).bind(scoresShape);
                elementwise |= plans[i].isElementwise();
            }
            boolean anyElementwise = elementwise;
            return new MaskPlan(scoresShape[scoresShape.length - 1]) {
                @Override
                public int keyEnd(int batch, int row) {
                    int end = keys;
                    for (MaskPlan p : plans) {
                        end = Math.min(end, p.keyEnd(batch, row));
                    }
                    return end;
                }

                @Override
                public int keyStart(int batch, int row) {
                    int start = 0;
                    for (MaskPlan p : plans) {
                        start = Math.max(start, p.keyStart(batch, row));
                    }
                    return start;
                }

                @Override
                public boolean blocksAll(int batch, int r0, int r1, int j0, int j1) {
                    for (MaskPlan p : plans) {
                        if (p.blocksAll(batch, r0, r1, j0, j1)) {
                            return true;
                        }
                    }
                    return false;
                }

                @Override
                public boolean isElementwise() {
                    return anyElementwise;
                }

                @Override
                public void apply(int batch, int row, int j0, int j1, double[] scores, int offset, int stride) {
                    for (MaskPlan p : plans) {
                        if (p.isElementwise()) {
                            p.apply(batch, row, j0, j1, scores, offset, stride);
                        }
                    }
                }
            };
        }

        private static boolean isBias(Mask m) {
            return m instanceof AlibiMask || m instanceof TensorMask && ((TensorMask) m).kind == TensorMask.Kind.BIAS;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            for (Mask m : parts) {
                sb.append(sb.length() == 0 ? "" : ".and(").append(m);
            }
            return sb.append(")".repeat(parts.size() - 1)).toString();
        }
    }
}
