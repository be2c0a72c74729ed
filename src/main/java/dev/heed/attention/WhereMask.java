package dev.heed.attention;

import dev.heed.internal.Parallel;
import dev.heed.internal.attention.MaskPlan;

/** {@link Mask#where}: a predicate evaluated once per pair and kept as a block mask of empty, full and partial tiles. */
final class WhereMask extends Mask {
    private static final byte EMPTY = 0;
    private static final byte FULL = 1;
    private static final byte PARTIAL = 2;

    private final Predicate predicate;

    WhereMask(Predicate predicate) {
        this.predicate = predicate;
    }

    @Override
    MaskPlan bind(int[] scoresShape) {
        int rank = scoresShape.length;
        int queries = scoresShape[rank - 2];
        int keys = scoresShape[rank - 1];
        int heads = rank >= 3 ? scoresShape[rank - 3] : 1;
        int batches = 1;
        for (int k = 0; k < rank - 2; k++) {
            batches *= scoresShape[k];
        }
        int t = WHERE_TILE;
        int rowTiles = (queries + t - 1) / t;
        int colTiles = (keys + t - 1) / t;
        byte[] kind = new byte[batches * rowTiles * colTiles];
        long[][] bits = new long[kind.length][];
        int[] start = new int[batches * rowTiles];
        int[] end = new int[batches * rowTiles];
        boolean[] holes = new boolean[batches * rowTiles];
        Predicate f = predicate;
        // One task per (batch element, row of tiles): each writes only its own entries.
        Parallel.forEach(batches * rowTiles, 4.0 * batches * queries * (double) keys, task -> {
            int b = task / rowTiles;
            int i0 = (task % rowTiles) * t;
            int i1 = Math.min(queries, i0 + t);
            int first = -1;
            int last = -1;
            for (int c = 0; c < colTiles; c++) {
                int j0 = c * t;
                int j1 = Math.min(keys, j0 + t);
                long[] rows = new long[i1 - i0];
                int allowed = 0;
                for (int i = i0; i < i1; i++) {
                    long w = 0;
                    for (int j = j0; j < j1; j++) {
                        if (f.test(b / heads, b % heads, i, j)) {
                            w |= 1L << (j - j0);
                            allowed++;
                        }
                    }
                    rows[i - i0] = w;
                }
                int at = task * colTiles + c;
                if (allowed == 0) {
                    kind[at] = EMPTY;
                    continue;
                }
                if (first < 0) {
                    first = c;
                }
                last = c;
                if (allowed == (i1 - i0) * (j1 - j0)) {
                    kind[at] = FULL;
                } else {
                    kind[at] = PARTIAL;
                    bits[at] = rows;
                }
            }
            start[task] = first < 0 ? 0 : first * t;
            end[task] = first < 0 ? 0 : Math.min(keys, (last + 1) * t);
            // A plan with a key start past 0 must block below it in apply (see MaskPlan).
            holes[task] = start[task] > 0;
            for (int c = Math.max(first, 0); c <= last; c++) {
                holes[task] |= kind[task * colTiles + c] != FULL;
            }
        });
        boolean elementwise = false;
        for (boolean h : holes) {
            elementwise |= h;
        }
        boolean anyHoles = elementwise;
        return new MaskPlan(keys) {
            @Override
            public int keyEnd(int batch, int row) {
                return end[batch * rowTiles + row / t];
            }

            @Override
            public int keyStart(int batch, int row) {
                return start[batch * rowTiles + row / t];
            }

            @Override
            public boolean isElementwise() {
                return anyHoles;
            }

            @Override
            public boolean blocksAll(int batch, int r0, int r1, int j0, int j1) {
                if (r1 <= r0 || j1 <= j0) {
                    return false;
                }
                for (int r = r0 / t; r <= (r1 - 1) / t; r++) {
                    for (int c = j0 / t; c <= (j1 - 1) / t; c++) {
                        if (kind[(batch * rowTiles + r) * colTiles + c] != EMPTY) {
                            return false;
                        }
                    }
                }
                return true;
            }

            @Override
            public void apply(int batch, int row, int j0, int j1, double[] scores, int offset, int stride) {
                int base = (batch * rowTiles + row / t) * colTiles;
                int r = row % t;
                for (int j = j0; j < j1; ) {
                    int c = j / t;
                    int stop = Math.min(j1, (c + 1) * t);
                    byte k = kind[base + c];
                    if (k == EMPTY) {
                        for (; j < stop; j++) {
                            scores[offset + (j - j0) * stride] = Double.NEGATIVE_INFINITY;
                        }
                    } else if (k == PARTIAL) {
                        long w = bits[base + c][r];
                        for (; j < stop; j++) {
                            if ((w >>> (j - c * t) & 1L) == 0) {
                                scores[offset + (j - j0) * stride] = Double.NEGATIVE_INFINITY;
                            }
                        }
                    } else {
                        j = stop; // full tile: nothing to do
                    }
                }
            }
        };
    }

    @Override
    public String toString() {
        return "Mask.where(" + predicate + ")";
    }
}
