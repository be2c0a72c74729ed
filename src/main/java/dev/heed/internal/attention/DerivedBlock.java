package dev.heed.internal.attention;

import dev.heed.internal.vector.PackedGemm;

/**
 * One thread's copy of a block derived from an input of a call — transposed, or packed in the
 * micro-tiles' layout — kept while the same call ({@link AttentionProblem#serial}) asks for the
 * same block (the same offset into its input) again. The tiled kernels read operands laid out for
 * the micro-tiles; a thread derives each batch element's copy once per call and reuses it for all
 * its tiles. Keyed by numbers only, so it never keeps a finished call's arrays alive. Not
 * thread-safe: one per thread. Not API.
 */
final class DerivedBlock {
    private double[] data = new double[0];
    private long serial = -1;
    private int offset = -1;

    /**
     * Whether this holds the block of call {@code serial} at {@code offset}. If not, it makes room
     * for {@code size} doubles and takes that key: the caller then fills {@link #data()}.
     */
    boolean holds(long serial, int offset, int size) {
        if (serial == this.serial && offset == this.offset) {
            return true;
        }
        if (data.length < size) {
            data = new double[size];
        }
        this.serial = serial;
        this.offset = offset;
        return false;
    }

    /**
     * The {@code rows × cols} block at {@code src[offset…]} (row-major, unit column stride) as the
     * packed GEMM's A operand, tile by tile: rows {@code [t·chunk, (t+1)·chunk)} packed by
     * {@link PackedGemm#packA} at {@code t·pg.paddedRows(chunk)·cols}.
     */
    double[] inPanels(PackedGemm pg, long serial, double[] src, int offset, int rows, int cols, int chunk) {
        int stride = pg.paddedRows(chunk) * cols;
        int tiles = (rows + chunk - 1) / chunk;
        if (!holds(serial, offset, tiles * stride)) {
            for (int t = 0; t < tiles; t++) {
                int r0 = t * chunk;
                pg.packA(Math.min(chunk, rows - r0), cols, src, offset + r0 * cols, cols, 1, data, t * stride);
            }
        }
        return data;
    }

    /**
     * The {@code rows × cols} block at {@code src[offset…]} (row-major, unit column stride) as the
     * packed GEMM's B operand ({@link PackedGemm#packB}): sliver {@code c} at {@code c·rows·nr},
     * its row {@code i} at {@code + i·nr}, so that a slice of rows is a slice of every sliver.
     */
    double[] inSlivers(PackedGemm pg, long serial, double[] src, int offset, int rows, int cols) {
        if (!holds(serial, offset, pg.paddedColumns(cols) * rows)) {
            pg.packB(rows, cols, src, offset, cols, data, 0);
        }
        return data;
    }

    /** The block; valid until the next {@link #holds} on this thread. */
    double[] data() {
        return data;
    }
}
