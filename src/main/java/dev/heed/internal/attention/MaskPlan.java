package dev.heed.internal.attention;

/**
 * A mask bound to one scores shape {@code [batch..., L, S]}, in the form kernels consume.
 *
 * <p>Not API. It has two parts. The <em>structural</em> part, {@link #keyEnd}, says that in
 * row {@code i} of batch element {@code b} every key {@code j >= keyEnd(b, i)} is blocked;
 * kernels use it to skip whole tiles and never compute those scores. The <em>elementwise</em>
 * part, {@link #apply}, adds biases and writes {@code -inf} into already-computed scores below
 * that bound. Batch elements are numbered in row-major order over the batch axes.
 *
 * <p>A plan may also give a per-row {@link #keyStart}: keys below it are blocked too (a sliding
 * window's left edge). Unlike {@link #keyEnd} it is a hint for skipping: {@link #apply} writes
 * {@code -inf} below it as well, so a kernel that ignores it (scores everything from key 0) stays
 * correct, and one that honours it never scores the tiles left of every row's start.
 *
 * <p>Plans are immutable and safe to share between threads.
 */
public abstract class MaskPlan {
    /** Number of keys {@code S}; {@link #keyEnd} never exceeds it. */
    protected final int keys;

    protected MaskPlan(int keys) {
        this.keys = keys;
    }

    /** Row {@code row} of batch element {@code batch} may attend keys below the returned index only. */
    @FunctionalInterface
    public interface KeyEnd {
        int at(int batch, int row);
    }

    /** A plan that blocks nothing. */
    public static MaskPlan none(int keys) {
        return structural(keys, (batch, row) -> keys);
    }

    /** A plan with only a structural part: keys at or past {@code keyEnd} are blocked. */
    public static MaskPlan structural(int keys, KeyEnd keyEnd) {
        return new MaskPlan(keys) {
            @Override
            public int keyEnd(int batch, int row) {
                return keyEnd.at(batch, row);
            }

            @Override
            public boolean isElementwise() {
                return false;
            }

            @Override
            public void apply(int batch, int row, int j0, int j1, double[] scores, int offset, int stride) {}
        };
    }

    /** Keys at or past this index are blocked for {@code row} of {@code batch}; in {@code [0, S]}. */
    public abstract int keyEnd(int batch, int row);

    /** Whether {@link #apply} can change a score; kernels skip calling it when not. */
    public abstract boolean isElementwise();

    /**
     * Applies the elementwise part to the scores of keys {@code [j0, j1)} of one row, held in
     * {@code scores[offset + (j - j0)·stride]}: adds biases, writes {@code -inf} where blocked.
     *
     * @param scores modified
     */
    public abstract void apply(int batch, int row, int j0, int j1, double[] scores, int offset, int stride);

    /**
     * Keys below this index are blocked for {@code row} of {@code batch}, in {@code [0, S]}; 0 unless
     * the plan says otherwise. A plan that returns more than 0 must be {@link #isElementwise} and
     * block those keys in {@link #apply} too.
     */
    public int keyStart(int batch, int row) {
        return 0;
    }

    /** The smallest {@link #keyStart} over rows {@code [r0, r1)}: keys below it are blocked for the whole tile. */
    public int keyStart(int batch, int r0, int r1) {
        int start = keys;
        for (int r = r0; r < r1 && start > 0; r++) {
            start = Math.min(start, keyStart(batch, r));
        }
        return r1 > r0 ? start : 0;
    }

    /**
     * Whether every key in {@code [j0, j1)} is blocked for every row in {@code [r0, r1)} of
     * {@code batch}, as far as the plan can tell cheaply ({@code false} when unsure): kernels skip
     * such a tile outright. A block mask from {@code Mask.where} answers it from its tile
     * classification; the structural bounds are checked by the kernels themselves.
     */
    public boolean blocksAll(int batch, int r0, int r1, int j0, int j1) {
        return false;
    }

    /** The largest {@link #keyEnd} over rows {@code [r0, r1)}: keys past it are blocked for the whole tile. */
    public int keyEnd(int batch, int r0, int r1) {
        int end = 0;
        for (int r = r0; r < r1 && end < keys; r++) {
            end = Math.max(end, keyEnd(batch, r));
        }
        return end;
    }
}
