package dev.heed.autograd;

import dev.heed.tensor.Tensor;
import java.util.Arrays;

/**
 * Elementwise loops over two tensors of one shape through their strides: what the backward rules
 * need and {@link Tensor} does not offer (writing into a view, summing into a broadcast view).
 * Package-private; the callers guarantee the shapes.
 */
final class Strided {
    private Strided() {}

    /** Writes {@code src} into {@code dst} (a view, possibly strided), element by element. */
    static void copyInto(Tensor dst, Tensor src) {
        loop(dst, src, false);
    }

    /**
     * Adds {@code src} into {@code dst}. {@code dst} may be a broadcast view (stride 0): the
     * elements that share one slot are summed into it, in row-major order of {@code src}.
     */
    static void accumulateInto(Tensor dst, Tensor src) {
        loop(dst, src, true);
    }

    /**
     * The gradient of an input of shape {@code shape} that was broadcast to {@code g}'s shape:
     * {@code g} summed over the axes the broadcast added or stretched. {@code g} itself when the
     * shapes are equal (not copied).
     */
    static Tensor sumTo(Tensor g, int[] shape) {
        if (Arrays.equals(g.shape(), shape)) {
            return g;
        }
        Tensor out = Tensor.zeros(shape);
        // A broadcast view of the output has stride 0 along every stretched axis, so adding g into
        // it element by element sums exactly the elements that were copies of one input element.
        accumulateInto(out.broadcastTo(g.shape()), g);
        return out;
    }

    private static void loop(Tensor dst, Tensor src, boolean accumulate) {
        int[] shape = dst.shape();
        if (dst.size() == 0) {
            return;
        }
        double[] d = dst.data();
        double[] s = src.data();
        int[] ds = dst.strides();
        int[] ss = src.strides();
        int n = shape.length;
        int dp = dst.offset();
        int sp = src.offset();
        if (n == 0) {
            d[dp] = accumulate ? d[dp] + s[sp] : s[sp];
            return;
        }
        int last = shape[n - 1];
        int dl = ds[n - 1];
        int sl = ss[n - 1];
        int[] index = new int[n];
        while (true) {
            for (int j = 0, p = dp, q = sp; j < last; j++, p += dl, q += sl) {
                d[p] = accumulate ? d[p] + s[q] : s[q];
            }
            int k = n - 2;
            for (; k >= 0; k--) {
                index[k]++;
                dp += ds[k];
                sp += ss[k];
                if (index[k] < shape[k]) {
                    break;
                }
                dp -= ds[k] * shape[k];
                sp -= ss[k] * shape[k];
                index[k] = 0;
            }
            if (k < 0) {
                return;
            }
        }
    }
}
