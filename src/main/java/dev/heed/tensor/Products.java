package dev.heed.tensor;

import dev.heed.internal.linalg.MatrixProducts;
import java.util.Arrays;

/**
 * NumPy's {@code matmul} rules for {@link Tensor#matmul}: operand checks, 1-d operands promoted
 * to a row or column and dropped again, batch axes broadcast. Package-private; the product itself
 * runs in {@link MatrixProducts}.
 */
final class Products {
    private Products() {}

    /** {@code x @ y}; see {@link Tensor#matmul(Tensor)}. */
    static Tensor matmul(Tensor x, Tensor y) {
        int[] xs = x.shape();
        int[] ys = y.shape();
        if (xs.length == 0 || ys.length == 0) {
            throw new IllegalArgumentException(
                    "matmul needs operands of rank >= 1, got shapes " + Shapes.str(xs) + " and " + Shapes.str(ys));
        }
        Tensor a = xs.length == 1 ? x.unsqueeze(0) : x;
        Tensor b = ys.length == 1 ? y.unsqueeze(1) : y;
        int[] as = a.shape();
        int[] bs = b.shape();
        int n = as[as.length - 2];
        int k = as[as.length - 1];
        int m = bs[bs.length - 1];
        if (bs[bs.length - 2] != k) {
            throw new IllegalArgumentException("matmul: shapes " + Shapes.str(xs) + " and " + Shapes.str(ys)
                    + " do not align (" + k + " != " + bs[bs.length - 2] + ")");
        }
        int[] batch;
        try {
            batch = Shapes.broadcast(Arrays.copyOf(as, as.length - 2), Arrays.copyOf(bs, bs.length - 2));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "matmul: batch axes of " + Shapes.str(xs) + " and " + Shapes.str(ys) + " do not broadcast", e);
        }
        int[] outShape = Shapes.concat(batch, n, m);
        double[] c = new double[Shapes.checkedSize(outShape)];
        if (c.length > 0) {
            Tensor ab = a.broadcastTo(Shapes.concat(batch, n, k));
            Tensor bb = b.broadcastTo(Shapes.concat(batch, k, m));
            MatrixProducts.multiply(
                    batch, n, k, m, ab.data(), ab.offset(), ab.strides(), bb.data(), bb.offset(), bb.strides(), c);
        }
        Tensor result = Tensor.rowMajor(c, outShape);
        // Drop the row axis before the column axis: -2 would not exist after squeezing -1 of a [1, 1] result.
        if (xs.length == 1) {
            result = result.squeeze(-2);
        }
        if (ys.length == 1) {
            result = result.squeeze(-1);
        }
        return result;
    }
}
