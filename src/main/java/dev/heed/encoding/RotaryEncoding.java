package dev.heed.encoding;

import dev.heed.internal.Parallel;
import dev.heed.tensor.Tensor;
import java.util.Arrays;

/**
 * Rotary position embedding (RoPE, Su et al., "RoFormer", 2021): the position of a token is
 * written into its query and key by rotating pairs of their features, so that the score
 * {@code q·k} of two tokens depends on their positions only through the difference.
 *
 * <p><b>The rotation.</b> The first {@link #dim()} features of a row form {@code dim/2} pairs
 * {@code (a, b)}; pair {@code i} of the token at position {@code p} is rotated by the angle
 * {@code θ = p · base^(-2i/dim)}:
 * <pre>
 *   a' = a cos θ − b sin θ
 *   b' = a sin θ + b cos θ
 * </pre>
 * Which features pair up is the layout, and the two layouts are not interchangeable (a checkpoint
 * is trained with one):
 * <ul>
 *   <li><b>rotate-half</b> (the default; GPT-NeoX, Llama, Mistral, Qwen, Gemma and Hugging Face's
 *       {@code rotate_half}): pair {@code i} is features {@code (i, i + dim/2)};</li>
 *   <li><b>{@linkplain #interleaved() interleaved}</b> (GPT-J, RoFormer, Meta's original Llama
 *       code, Hugging Face's {@code rotate_every_two}): pair {@code i} is features
 *       {@code (2i, 2i + 1)}.</li>
 * </ul>
 * Features from {@code dim} on pass through unchanged ("partial rotary", as GPT-J's
 * {@code rotary_dim}, GPT-NeoX's {@code rotary_pct} or Phi's {@code partial_rotary_factor}).
 *
 * <p><b>Positions.</b> {@link #apply(Tensor, int) apply(x, start)} takes {@code x [..., L, d]}
 * with {@code d >= dim}: row {@code t} of the second-to-last axis is the token at position
 * {@code start + t}, for every index of the leading axes (batch, heads). When decoding with a
 * cache, the new tokens start at the number already cached.
 *
 * <p><b>Numbers.</b> The angle is computed as PyTorch's float64 reference computes it:
 * {@code invFreq[i] = 1.0 / base^((2.0 * i) / dim)}, then {@code θ = p * invFreq[i]}, one rounded
 * product, with the power correctly rounded (so the same bits come out on every JVM and
 * platform). At position {@code p} a relative error ε in a frequency moves the angle by
 * {@code p · ε} radians, so far positions are exactly as sensitive as the frequencies: PyTorch's
 * vectorised {@code pow} is itself off by one ulp for about 1% of frequencies, and where it is,
 * the two results differ by up to {@code p · 2⁻⁵²} (about 2·10⁻¹⁰ at position 10⁶). Elsewhere they
 * agree to the last bit or two. Sine and cosine come from {@link StrictMath}.
 *
 * <p><b>Gradients.</b> The rotation is orthogonal, so the gradient of {@code apply} is the inverse
 * rotation of the output's gradient: {@link #backward(Tensor, int)}, the same as
 * {@link #applyInverse(Tensor, int)}.
 *
 * <p>A {@code RotaryEncoding} is immutable and thread-safe. It keeps the cosine and sine table of
 * its last call (for the keys after the queries, and for every layer at the same positions);
 * a table depends only on the positions, so the cache never changes a result.
 */
public final class RotaryEncoding {
    /** The base of the default encoding, as in the RoFormer paper and Llama 1 and 2. */
    public static final double DEFAULT_BASE = 10000.0;

    /**
     * The largest table ({@code length · dim/2} angles) kept between calls: two arrays of 2 MiB.
     * Enough for 4,096 positions of a 128-wide head; longer calls recompute their table.
     */
    static final int MAX_CACHED_ANGLES = 1 << 18;

    private final int dim;
    private final double base;
    private final boolean interleaved;
    /** {@code 1 / base^(2i/dim)}, never modified after construction. */
    private final double[] inverseFrequency;
    /** The table of the last call, or null; replaced whole, never modified. */
    private volatile Table cache;

    /** cos θ and sin θ for positions {@code start … start+length-1}, row-major {@code [length, dim/2]}. */
    private record Table(long start, int length, double[] cos, double[] sin) {}

    private RotaryEncoding(int dim, double base, boolean interleaved, double[] inverseFrequency) {
        this.dim = dim;
        this.base = base;
        this.interleaved = interleaved;
        this.inverseFrequency = inverseFrequency;
    }

    /**
     * Rotary positions over the first {@code dim} features, base {@value #DEFAULT_BASE}, in the
     * rotate-half layout (pairs {@code (i, i + dim/2)}), as Llama and GPT-NeoX.
     *
     * @param dim the number of rotated features, even and ≥ 2; the head size for full rotary
     * @return a new encoding
     * @throws IllegalArgumentException if {@code dim} is odd or below 2, naming it
     */
    public static RotaryEncoding of(int dim) {
        if (dim < 2 || dim % 2 != 0) {
            throw new IllegalArgumentException("rotary dim must be even and >= 2, got dim=" + dim);
        }
        return new RotaryEncoding(dim, DEFAULT_BASE, false, InverseFrequencies.of(dim, DEFAULT_BASE));
    }

    /**
     * The same encoding with another base (Hugging Face's {@code rope_theta}): 500,000 for Llama 3,
     * 1,000,000 for Qwen 2 and Code Llama. A larger base gives longer wavelengths.
     *
     * @param base the base of the frequencies, finite and &gt; 0
     * @return a new encoding with this one's dim and layout
     * @throws IllegalArgumentException if {@code base} is not finite, not positive, or so small
     *                                  that a frequency overflows, naming it
     */
    public RotaryEncoding withBase(double base) {
        if (!(base > 0) || !Double.isFinite(base)) {
            throw new IllegalArgumentException("rotary base must be finite and > 0, got base=" + base);
        }
        double[] inverse = InverseFrequencies.of(dim, base);
        for (double f : inverse) {
            if (!Double.isFinite(f)) {
                throw new IllegalArgumentException("rotary base=" + base + " is too small for dim=" + dim
                        + ": a frequency 1/base^(2i/dim) overflows");
            }
        }
        return new RotaryEncoding(dim, base, interleaved, inverse);
    }

    /**
     * The same encoding in the interleaved layout: pair {@code i} is features {@code (2i, 2i + 1)},
     * as GPT-J, RoFormer and Meta's reference Llama code (its complex multiplication). Calling it
     * on an interleaved encoding changes nothing.
     *
     * @return a new encoding with this one's dim and base
     */
    public RotaryEncoding interleaved() {
        return new RotaryEncoding(dim, base, true, inverseFrequency);
    }

    /**
     * The number of rotated features.
     *
     * @return the dim given to {@link #of(int)}
     */
    public int dim() {
        return dim;
    }

    /**
     * The base of the frequencies.
     *
     * @return {@value #DEFAULT_BASE} unless set by {@link #withBase(double)}
     */
    public double base() {
        return base;
    }

    /**
     * Whether pairs are adjacent features {@code (2i, 2i + 1)} rather than {@code (i, i + dim/2)}.
     *
     * @return true after {@link #interleaved()}
     */
    public boolean isInterleaved() {
        return interleaved;
    }

    /**
     * The inverse frequency of each pair, {@code 1.0 / base^((2.0 * i) / dim)}: PyTorch's
     * {@code inv_freq} buffer, in float64.
     *
     * @return a new array of {@code dim/2} values, from exactly 1 down
     */
    public double[] inverseFrequencies() {
        return inverseFrequency.clone();
    }

    /**
     * The rotation angles of positions {@code startPosition … startPosition+length-1}:
     * {@code θ[t, i] = (startPosition + t) · inverseFrequencies()[i]}, as
     * {@code torch.outer(positions, inv_freq)}.
     *
     * @param startPosition the first position, ≥ 0
     * @param length        the number of positions, ≥ 0
     * @return a new row-major {@code [length, dim/2]} tensor
     * @throws IllegalArgumentException if an argument is negative or the table would exceed
     *                                  2³¹−1 elements
     */
    public Tensor angles(int startPosition, int length) {
        if (startPosition < 0 || length < 0) {
            throw new IllegalArgumentException(
                    "rotary angles need startPosition >= 0 and length >= 0, got startPosition=" + startPosition
                            + ", length=" + length);
        }
        Tensor angles = Tensor.zeros(length, dim / 2); // refuses tables past 2^31-1 elements
        double[] out = angles.data();
        int half = dim / 2;
        for (int t = 0; t < length; t++) {
            double p = (double) startPosition + t; // exact: positions stay far below 2^53
            for (int i = 0; i < half; i++) {
                out[t * half + i] = p * inverseFrequency[i];
            }
        }
        return angles;
    }

    /**
     * Rotates each token's first {@code dim} features by its position: the token at row {@code t}
     * of {@code x} sits at position {@code startPosition + t}. Equal to Hugging Face's
     * {@code apply_rotary_pos_emb} (rotate-half) or GPT-J's (interleaved) in float64.
     *
     * @param x             {@code [..., L, d]}, rank ≥ 2, {@code d >= dim()}: queries or keys,
     *                      e.g. {@code [B, H, L, headDim]}; any view (strided, transposed,
     *                      broadcast); not modified
     * @param startPosition the position of row 0, ≥ 0: 0 for a whole sequence, the number of
     *                      cached tokens when decoding
     * @return a new row-major tensor shaped like {@code x}; features {@code dim()} and up are
     *         copied unchanged. An empty {@code x} gives an empty result
     * @throws IllegalArgumentException if {@code x} is null, has rank below 2 or fewer than
     *                                  {@code dim()} features, or {@code startPosition} is
     *                                  negative; the message names the shape and values
     */
    public Tensor apply(Tensor x, int startPosition) {
        return rotate(x, startPosition, false, "apply");
    }

    /**
     * Undoes {@link #apply(Tensor, int)}: rotates each pair by {@code −θ}, so
     * {@code applyInverse(apply(x, s), s)} is {@code x} up to rounding.
     *
     * @param x             {@code [..., L, d]}, rank ≥ 2, {@code d >= dim()}; any view; not modified
     * @param startPosition the position of row 0, ≥ 0
     * @return a new row-major tensor shaped like {@code x}; features {@code dim()} and up are
     *         copied unchanged
     * @throws IllegalArgumentException as {@link #apply(Tensor, int)}
     */
    public Tensor applyInverse(Tensor x, int startPosition) {
        return rotate(x, startPosition, true, "applyInverse");
    }

    /**
     * The gradient of a loss with respect to the {@code x} of {@link #apply(Tensor, int)
     * apply(x, startPosition)}, from its gradient with respect to the output. The output is
     * {@code R x} for a block-diagonal rotation {@code R}, so the gradient is
     * {@code Rᵀ gradOutput = R⁻¹ gradOutput}: {@link #applyInverse(Tensor, int)}, exactly the
     * transposed Jacobian of the computed function (same cosines and sines). Features past
     * {@code dim()} pass their gradient through. {@code x} itself is not needed.
     *
     * @param gradOutput    shaped like {@code apply}'s output {@code [..., L, d]}; any view (a
     *                      broadcast one too); not modified
     * @param startPosition the {@code startPosition} given to {@code apply}
     * @return a new row-major tensor shaped like {@code gradOutput}
     * @throws IllegalArgumentException as {@link #apply(Tensor, int)}
     */
    public Tensor backward(Tensor gradOutput, int startPosition) {
        return rotate(gradOutput, startPosition, true, "backward");
    }

    private Tensor rotate(Tensor x, int startPosition, boolean inverse, String method) {
        if (x == null || x.rank() < 2 || x.shape(-1) < dim) {
            throw new IllegalArgumentException(this + "." + method + " needs x [..., L, d] with d >= " + dim + ", got "
                    + (x == null ? "null" : Arrays.toString(x.shape())));
        }
        if (startPosition < 0) {
            throw new IllegalArgumentException(this + "." + method + ": startPosition must be >= 0, got "
                    + startPosition + " for x " + Arrays.toString(x.shape()));
        }
        int[] shape = x.shape();
        double[] out = x.toArray(); // a row-major copy of any view; rotated in place below
        int length = x.shape(-2);
        int features = x.shape(-1);
        if (out.length == 0) {
            return Tensor.of(out, shape);
        }
        Table table = table(startPosition, length);
        int first = (int) (startPosition - table.start); // this call's row 0 within the table
        int half = dim / 2;
        int rows = out.length / features;
        // The inverse rotation is the forward one with sin θ negated: a' = a c + b s, b' = b c − a s.
        double sign = inverse ? -1.0 : 1.0;
        // Pair i: features (i, i + half), or (2i, 2i + 1) interleaved.
        int pairStride = interleaved ? 2 : 1;
        int partnerOffset = interleaved ? 1 : half;
        double[] cos = table.cos;
        double[] sin = table.sin;
        Parallel.forEach(rows, 6.0 * rows * dim, r -> {
            int row = r * features;
            int angles = (first + r % length) * half;
            for (int i = 0; i < half; i++) {
                int ia = row + i * pairStride;
                int ib = ia + partnerOffset;
                double c = cos[angles + i];
                double s = sign * sin[angles + i]; // exact
                double a = out[ia];
                double b = out[ib];
                // As torch evaluates x * cos + rotate_half(x) * sin: two rounded products, one sum.
                out[ia] = a * c - b * s;
                out[ib] = b * c + a * s;
            }
        });
        return Tensor.of(out, shape);
    }

    /** The table for positions {@code start … start+length-1}: the cached one if it covers them. */
    private Table table(int start, int length) {
        Table cached = cache;
        if (cached != null && cached.start <= start && start + (long) length <= cached.start + cached.length) {
            return cached;
        }
        int half = dim / 2;
        long angles = (long) length * half;
        if (angles > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    this + ": " + length + " positions need a table of " + angles + " angles, more than 2^31-1");
        }
        double[] cos = new double[(int) angles];
        double[] sin = new double[(int) angles];
        // sin and cos cost tens of nanoseconds each: worth threads for long sequences.
        Parallel.forEach(length, 40.0 * angles, t -> {
            double p = (double) start + t; // exact: positions stay far below 2^53
            for (int i = 0; i < half; i++) {
                double theta = p * inverseFrequency[i]; // torch.outer(positions, inv_freq)
                cos[t * half + i] = StrictMath.cos(theta);
                sin[t * half + i] = StrictMath.sin(theta);
            }
        });
        Table table = new Table(start, length, cos, sin);
        if (angles <= MAX_CACHED_ANGLES) {
            cache = table;
        }
        return table;
    }

    /**
     * Equal when dim, base and layout are: such encodings give the same results.
     *
     * @param o the object to compare with
     * @return whether {@code o} is a {@code RotaryEncoding} with the same dim, base and layout
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof RotaryEncoding other
                && dim == other.dim
                && interleaved == other.interleaved
                && Double.compare(base, other.base) == 0;
    }

    /**
     * A hash of dim, base and layout, consistent with {@link #equals(Object)}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return (Integer.hashCode(dim) * 31 + Double.hashCode(base)) * 31 + Boolean.hashCode(interleaved);
    }

    /**
     * Names the configuration, e.g. {@code RotaryEncoding[dim=64, base=10000.0, rotate-half]}.
     *
     * @return a one-line description
     */
    @Override
    public String toString() {
        return "RotaryEncoding[dim=" + dim + ", base=" + base + ", " + (interleaved ? "interleaved" : "rotate-half")
                + "]";
    }
}
