package dev.heed.internal.attention;

/**
 * One thread's copy of a {@code [rows × cols]} block of an input, transposed to
 * {@code [cols × rows]}, kept while the same call ({@link AttentionProblem#serial}) asks for the
 * same block again. The tiled kernels read an operand transposed so that its elements are at unit
 * row stride, where the micro-tiles need no index arithmetic per row; a thread transposes each
 * batch element once per call and reuses the copy for all its tiles. Keyed by numbers only, so it
 * never keeps a finished call's arrays alive. Not thread-safe: one per thread. Not API.
 */
final class TransposedBlock {
    private double[] data = new double[0];
    private long serial = -1;
    private int offset = -1;

    /**
     * The block of {@code rows} rows of {@code cols} at {@code src[offset…]}, transposed: element
     * {@code (r, c)} at {@code [c·rows + r]}. Valid until the next call on this thread.
     */
    double[] of(long serial, double[] src, int offset, int rows, int cols) {
        if (serial != this.serial || offset != this.offset) {
            if (data.length < rows * cols) {
                data = new double[rows * cols];
            }
            TiledKernels.transposeBlock(src, offset, rows, cols, data, 0);
            this.serial = serial;
            this.offset = offset;
        }
        return data;
    }
}
