package dev.heed.attention;

import dev.heed.internal.attention.MaskPlan;

/** {@link Mask#slidingWindow}: a band of keys around each query's aligned position, structural on both sides. */
final class WindowMask extends Mask {
    private final int left;
    private final int right;

    WindowMask(int left, int right) {
        if (left < -1 || right < -1) {
            throw new IllegalArgumentException(
                    "slidingWindow sides must be >= 0, or -1 for unbounded, got left=" + left + ", right=" + right);
        }
        this.left = left;
        this.right = right;
    }

    @Override
    MaskPlan bind(int[] scoresShape) {
        int queries = scoresShape[scoresShape.length - 2];
        int keys = scoresShape[scoresShape.length - 1];
        long shift = (long) keys - queries;
        // Long arithmetic: p + right + 1 overflows int for windows near Integer.MAX_VALUE.
        int l = left;
        int r = right;
        return new MaskPlan(keys) {
            @Override
            public int keyEnd(int batch, int row) {
                return r < 0 ? keys : (int) Math.max(0, Math.min(keys, row + shift + r + 1));
            }

            @Override
            public int keyStart(int batch, int row) {
                return l < 0 ? 0 : (int) Math.max(0, Math.min(keys, row + shift - l));
            }

            @Override
            public boolean isElementwise() {
                return l >= 0; // blocks the keys below keyStart (see MaskPlan)
            }

            @Override
            public void apply(int batch, int row, int j0, int j1, double[] scores, int offset, int stride) {
                int stop = Math.min(j1, keyStart(batch, row));
                for (int j = j0; j < stop; j++) {
                    scores[offset + (j - j0) * stride] = Double.NEGATIVE_INFINITY;
                }
            }
        };
    }

    @Override
    public String toString() {
        return "Mask.slidingWindow(" + left + ", " + right + ")";
    }
}
