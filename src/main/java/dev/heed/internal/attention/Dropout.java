package dev.heed.internal.attention;

/**
 * Dropout on the attention weights, decided by a counter-based generator: whether weight
 * {@code (batch, head, query, key)} is kept is a pure function of those four indices and a seed, so
 * every kernel, tile size and thread count drops the same weights, and a backward regenerates
 * exactly what its forward dropped without a stored mask.
 *
 * <p>Not API. The function, which the public javadoc and {@code docs/modern-attention.md} state and
 * {@code src/test/python/make_dropout_fixtures.py} implements again, with all arithmetic modulo
 * 2⁶⁴ and {@code >>>} the unsigned shift:
 * <pre>
 *   mix(z)  = z ^= z >>> 30;  z *= 0xbf58476d1ce4e5b9;  z ^= z >>> 27;  z *= 0x94d049bb133111eb;  z ^ (z >>> 31)
 *   h       = mix(mix(mix(mix(mix(seed ^ 0x9e3779b97f4a7c15) ^ batch) ^ head) ^ query) ^ key)
 *   u       = (h >>> 11) · 2⁻⁵³                          uniform in [0, 1)
 *   keep    = u >= p;   Z = keep ? 1 / (1 − p) : 0
 * </pre>
 * {@code mix} is SplitMix64's finaliser (Steele, Lea and Flood, 2014; Stafford's "Mix13"), a
 * bijection of 64-bit words with full avalanche; each step of the chain is a bijection of the index
 * it takes in, so two index tuples of one seed share a hash only by a 2⁻⁶⁴ accident. The indices
 * are non-negative {@code int}s widened to 64 bits. A row's first four steps are taken once
 * ({@link #row}); each weight then costs one {@code mix}.
 *
 * <p>{@code batch} and {@code head} are those of {@code Mask.where}: {@code head} is the index on
 * the scores' axis −3 (0 below rank 3), {@code batch} the flat index over the axes before it. A
 * kernel's batch element {@code b} is therefore {@code (b / heads, b % heads)}. Immutable.
 */
public final class Dropout {
    private static final long GOLDEN = 0x9e3779b97f4a7c15L;

    /** The probability of dropping a weight, in {@code (0, 1)}. */
    public final double p;
    /** The generator's seed. */
    public final long seed;
    /** The size of the scores' head axis (−3), 1 below rank 3. */
    public final int heads;
    /** {@code 1 / (1 − p)}: what a kept weight is multiplied by. */
    public final double factor;
    /** A weight is kept iff {@code (h >>> 11) >= threshold}, i.e. {@code u >= p}: {@code ceil(p · 2⁵³)}. */
    private final long threshold;

    /**
     * @param p     the drop probability, in {@code (0, 1)} (callers use no plan for 0)
     * @param seed  the seed
     * @param heads the size of the scores' axis −3, {@code >= 1}
     */
    public Dropout(double p, long seed, int heads) {
        this.p = p;
        this.seed = seed;
        this.heads = Math.max(1, heads);
        this.factor = 1.0 / (1.0 - p);
        // p · 2^53 is exact (a power of two), so its ceiling is the least integer k with k · 2^-53 >= p.
        this.threshold = (long) Math.ceil(p * 0x1p53);
    }

    /** SplitMix64's finaliser: a bijection of 64-bit words. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** The 64-bit hash of one weight: the chain in the class comment. */
    public static long hash(long seed, int batch, int head, int query, int key) {
        return mix(rowHash(seed, batch, head, query) ^ key);
    }

    /** The uniform number in {@code [0, 1)} of a hash: its top 53 bits times 2⁻⁵³. */
    public static double uniform(long hash) {
        return (hash >>> 11) * 0x1p-53;
    }

    private static long rowHash(long seed, int batch, int head, int query) {
        return mix(mix(mix(mix(seed ^ GOLDEN) ^ batch) ^ head) ^ query);
    }

    /** The hash of row {@code query} of kernel batch element {@code b} before its key is mixed in. */
    public long row(int b, int query) {
        return rowHash(seed, b / heads, b % heads, query);
    }

    /** {@code Z} of key {@code key} in the row whose {@link #row} is {@code row}: {@link #factor} or 0. */
    public double factor(long row, int key) {
        return (mix(row ^ key) >>> 11) >= threshold ? factor : 0.0;
    }

    /** Whether the weight {@code (b, query, key)} of kernel batch element {@code b} is kept. */
    public boolean keeps(int b, int query, int key) {
        return factor(row(b, query), key) != 0.0;
    }

    /**
     * Multiplies the weights (or weight gradients) of keys {@code [j0, j1)} of row {@code query},
     * held at {@code x[offset + (j − j0)·stride]}, by their {@code Z}.
     *
     * @param x modified
     */
    public void apply(int b, int query, int j0, int j1, double[] x, int offset, int stride) {
        long row = row(b, query);
        for (int j = j0, at = offset; j < j1; j++, at += stride) {
            x[at] *= factor(row, j);
        }
    }

    /**
     * {@code z[r·n + c]} = {@code Z} of query {@code i0 + r}, key {@code j0 + c}, for a row-major
     * {@code rows × n} tile.
     *
     * @param z modified
     */
    public void factors(int b, int i0, int rows, int j0, int n, double[] z) {
        for (int r = 0; r < rows; r++) {
            long row = row(b, i0 + r);
            for (int c = 0; c < n; c++) {
                z[r * n + c] = factor(row, j0 + c);
            }
        }
    }
}
