package dev.heed.tensor;

import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * The row loops behind {@link Tensor}'s element-by-element methods: copying out in row-major
 * order, mapping, zipping two broadcast operands, and {@code allClose}. Package-private.
 *
 * <p>Each walks the rows of its operands with a {@link RowCursor} and runs a tight loop over the
 * last axis at that axis' stride, whatever the layout (transposed, sliced, broadcast).
 */
final class Elementwise {
    private Elementwise() {}

    /** The elements of {@code t} in row-major order, in a new array. */
    static double[] toArray(Tensor t) {
        double[] out = new double[t.size()];
        if (out.length == 0) {
            return out;
        }
        double[] data = t.data();
        int row = Shapes.rowLength(t.shape());
        int rs = Shapes.rowStride(t.strides());
        RowCursor c = new RowCursor(t.shape(), new int[][] {t.strides()}, new int[] {t.offset()});
        int o = 0;
        while (c.next()) {
            int p = c.offset(0);
            if (rs == 1) {
                System.arraycopy(data, p, out, o, row);
                o += row;
            } else {
                for (int j = 0; j < row; j++, p += rs) {
                    out[o++] = data[p];
                }
            }
        }
        return out;
    }

    /** {@code f(x)} for every element of {@code t}, in row-major order; a new row-major tensor. */
    static Tensor map(Tensor t, DoubleUnaryOperator f) {
        double[] out = new double[t.size()];
        int[] shape = t.shape();
        if (out.length == 0) {
            return Tensor.rowMajor(out, shape);
        }
        double[] data = t.data();
        int row = Shapes.rowLength(t.shape());
        int rs = Shapes.rowStride(t.strides());
        RowCursor c = new RowCursor(shape, new int[][] {t.strides()}, new int[] {t.offset()});
        int o = 0;
        while (c.next()) {
            for (int j = 0, p = c.offset(0); j < row; j++, p += rs) {
                out[o++] = f.applyAsDouble(data[p]);
            }
        }
        return Tensor.rowMajor(out, shape);
    }

    /**
     * {@code f(x, y)} for every pair of elements of {@code x} and {@code y} broadcast together; a
     * new row-major tensor of the broadcast shape. {@code op} names the operation in the message
     * of the {@link IllegalArgumentException} thrown when the shapes do not broadcast.
     */
    static Tensor zip(Tensor x, Tensor y, String op, DoubleBinaryOperator f) {
        int[] out;
        try {
            out = Shapes.broadcast(x.shape(), y.shape());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(op + ": " + e.getMessage(), e);
        }
        Tensor a = x.broadcastTo(out);
        Tensor b = y.broadcastTo(out);
        double[] r = new double[Shapes.checkedSize(out)];
        if (r.length == 0) {
            return Tensor.rowMajor(r, out);
        }
        int row = Shapes.rowLength(out);
        int as = Shapes.rowStride(a.strides());
        int bs = Shapes.rowStride(b.strides());
        RowCursor c = new RowCursor(out, new int[][] {a.strides(), b.strides()}, new int[] {a.offset(), b.offset()});
        int o = 0;
        double[] ad = a.data();
        double[] bd = b.data();
        while (c.next()) {
            int pa = c.offset(0);
            int pb = c.offset(1);
            for (int j = 0; j < row; j++, pa += as, pb += bs) {
                r[o++] = f.applyAsDouble(ad[pa], bd[pb]);
            }
        }
        return Tensor.rowMajor(r, out);
    }

    /** NumPy's {@code allclose}: see {@link Tensor#allClose(Tensor, double, double)}. */
    static boolean allClose(Tensor x, Tensor y, double rtol, double atol) {
        Tensor r = zip(x, y, "allClose", (a, b) -> {
            if (a == b) {
                return 1;
            }
            if (!Double.isFinite(a) || !Double.isFinite(b)) {
                return 0; // else |a - inf| <= atol + rtol·inf would call every finite a close to inf
            }
            return Math.abs(a - b) <= atol + rtol * Math.abs(b) ? 1 : 0;
        });
        for (double v : r.data()) {
            if (v == 0) {
                return false;
            }
        }
        return true;
    }

    /** A {@code [rows, cols]} row-major copy of a rectangular {@code double[][]}. */
    static Tensor of(double[][] rows) {
        int r = rows.length;
        int c = r == 0 ? 0 : rows[0].length;
        double[] out = new double[Shapes.checkedSize(new int[] {r, c})];
        for (int i = 0; i < r; i++) {
            if (rows[i].length != c) {
                throw new IllegalArgumentException(
                        "ragged array: row 0 has " + c + " elements, row " + i + " has " + rows[i].length);
            }
            System.arraycopy(rows[i], 0, out, i * c, c);
        }
        return Tensor.rowMajor(out, new int[] {r, c});
    }

    /** A {@code [n, rows, cols]} row-major copy of a rectangular {@code double[][][]}. */
    static Tensor of(double[][][] blocks) {
        int n = blocks.length;
        int r = n == 0 ? 0 : blocks[0].length;
        int c = r == 0 ? 0 : blocks[0][0].length;
        double[] out = new double[Shapes.checkedSize(new int[] {n, r, c})];
        for (int b = 0; b < n; b++) {
            if (blocks[b].length != r) {
                throw new IllegalArgumentException(
                        "ragged array: block 0 has " + r + " rows, block " + b + " has " + blocks[b].length);
            }
            for (int i = 0; i < r; i++) {
                if (blocks[b][i].length != c) {
                    throw new IllegalArgumentException("ragged array: rows have " + c + " elements but block " + b
                            + " row " + i + " has " + blocks[b][i].length);
                }
                System.arraycopy(blocks[b][i], 0, out, (b * r + i) * c, c);
            }
        }
        return Tensor.rowMajor(out, new int[] {n, r, c});
    }
}
