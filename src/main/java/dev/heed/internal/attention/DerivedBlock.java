package dev.heed.internal.attention;

import dev.heed.internal.vector.PackedGemm;
import java.lang.ref.SoftReference;

/**
 * One thread's copy of a block derived from an input of a call — packed in the micro-tiles'
 * layout — kept while the same call ({@link AttentionProblem#serial}) asks for the same block (the
 * same offset into its input) again. The tiled kernels read operands laid out for the
 * micro-tiles; a thread derives each batch element's copy once per call and reuses it for all its
 * tiles. Keyed by numbers only, so it never keeps a finished call's arrays alive.
 *
 * <p>The array is held softly between uses: a thread reuses it for the next call (no allocation
 * in steady state), but a thread that once ran a long sequence does not pin up to 16 MiB per
 * block for ever against memory pressure — the collector may take it, and the next call packs
 * into a new one. While a kernel uses a block it holds the array strongly (the returned
 * reference). Not thread-safe: one per thread. Not API.
 */
final class DerivedBlock {
    private SoftReference<double[]> data = new SoftReference<>(new double[0]);
    private long serial = -1;
    private int offset = -1;

    /** The held array if it holds the block of call {@code serial} at {@code offset}, else null. */
    private double[] held(long serial, int offset) {
        return serial == this.serial && offset == this.offset ? data.get() : null;
    }

    /** An array of at least {@code size} doubles to fill, no longer keyed to any block. */
    private double[] room(int size) {
        double[] d = data.get();
        if (d == null || d.length < size) {
            d = new double[size];
            data = new SoftReference<>(d);
        }
        this.serial = -1;
        this.offset = -1;
        return d;
    }

    /** Keys the array just filled to the block of call {@code serial} at {@code offset}. */
    private double[] keep(double[] filled, long serial, int offset) {
        this.serial = serial;
        this.offset = offset;
        return filled;
    }

    /**
     * The {@code rows × cols} block at {@code src[offset…]} (row-major, unit column stride) as the
     * packed GEMM's A operand, tile by tile: rows {@code [t·chunk, (t+1)·chunk)} packed by
     * {@link PackedGemm#packA} at {@code t·pg.paddedRows(chunk)·cols}.
     */
    double[] inPanels(PackedGemm pg, long serial, double[] src, int offset, int rows, int cols, int chunk) {
        double[] d = held(serial, offset);
        if (d != null) {
            return d;
        }
        int stride = pg.paddedRows(chunk) * cols;
        int tiles = (rows + chunk - 1) / chunk;
        d = room(tiles * stride);
        for (int t = 0; t < tiles; t++) {
            int r0 = t * chunk;
            pg.packA(Math.min(chunk, rows - r0), cols, src, offset + r0 * cols, cols, 1, d, t * stride);
        }
        return keep(d, serial, offset);
    }

    /**
     * The {@code rows × cols} block at {@code src[offset…]} (row-major, unit column stride) as the
     * packed GEMM's B operand ({@link PackedGemm#packB}): sliver {@code c} at {@code c·rows·nr},
     * its row {@code i} at {@code + i·nr}, so that a slice of rows is a slice of every sliver.
     */
    double[] inSlivers(PackedGemm pg, long serial, double[] src, int offset, int rows, int cols) {
        double[] d = held(serial, offset);
        if (d != null) {
            return d;
        }
        d = room(pg.paddedColumns(cols) * rows);
        pg.packB(rows, cols, src, offset, cols, d, 0);
        return keep(d, serial, offset);
    }
}
