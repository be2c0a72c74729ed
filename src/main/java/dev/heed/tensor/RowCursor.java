package dev.heed.tensor;

/**
 * Walks the rows of one or more tensors that share an iteration shape: every index of the
 * outer axes (all axes but the last), keeping one flat offset per operand up to date.
 *
 * <p>Lets every elementwise loop be "for each row, a tight loop over the last axis", so no
 * loop does per-element stride arithmetic over all axes. Package-private.
 */
final class RowCursor {
    private final int[] outer;
    private final int[][] strides;
    private final int[] offsets;
    private final int[] index;
    private long remaining;
    private boolean started;

    /**
     * @param shape   the iteration shape; its last axis is the row (absent for rank 0)
     * @param strides one stride array per operand, each of {@code shape.length}
     * @param base    the starting offset of each operand
     */
    RowCursor(int[] shape, int[][] strides, int[] base) {
        int rank = shape.length;
        int outerRank = Math.max(rank - 1, 0);
        this.outer = java.util.Arrays.copyOf(shape, outerRank);
        this.strides = new int[strides.length][];
        for (int t = 0; t < strides.length; t++) {
            this.strides[t] = java.util.Arrays.copyOf(strides[t], outerRank);
        }
        this.offsets = base.clone();
        this.index = new int[outerRank];
        long rows = 1;
        for (int d : outer) {
            rows *= d;
        }
        // A row of length zero means there is nothing to visit at all.
        if (rank > 0 && shape[rank - 1] == 0) {
            rows = 0;
        }
        this.remaining = rows;
    }

    /** Moves to the next row; the first call moves to the first row. */
    boolean next() {
        if (remaining == 0) {
            return false;
        }
        remaining--;
        if (!started) {
            started = true;
            return true;
        }
        for (int k = outer.length - 1; k >= 0; k--) {
            if (++index[k] < outer[k]) {
                for (int t = 0; t < offsets.length; t++) {
                    offsets[t] += strides[t][k];
                }
                return true;
            }
            index[k] = 0;
            for (int t = 0; t < offsets.length; t++) {
                offsets[t] -= strides[t][k] * (outer[k] - 1);
            }
        }
        return true;
    }

    /** Offset of the current row's first element in operand {@code t}. */
    int offset(int t) {
        return offsets[t];
    }
}
