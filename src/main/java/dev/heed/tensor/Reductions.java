package dev.heed.tensor;

import dev.heed.internal.Softmax;
import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.VectorizationProvider;
import java.util.Arrays;

/**
 * The reductions of {@link Tensor} — over all elements or along one axis — and its softmax.
 * Package-private: {@code Tensor}'s public methods check nothing more than the axis and delegate
 * here.
 *
 * <p>Along an axis, the axis is moved last (a view), each row is reduced by a tight loop over its
 * stride, and the results come out row-major over the remaining axes. NaN follows NumPy:
 * {@code max}/{@code min} of a row holding NaN is NaN, {@code argmax}/{@code argmin} give the
 * index of the first NaN.
 */
final class Reductions {
    private Reductions() {}

    /** What a row reduces to. */
    enum Kind {
        SUM,
        MEAN,
        MAX,
        MIN,
        ARGMAX,
        ARGMIN,
        LOG_SUM_EXP;

        /** Whether an empty row has no answer (NumPy: "zero-size array to reduction operation"). */
        boolean needsElements() {
            return this == MAX || this == MIN || this == ARGMAX || this == ARGMIN;
        }
    }

    /**
     * Reduces every element in row-major order.
     *
     * @throws IllegalArgumentException for an empty tensor and a kind that needs elements
     */
    static double all(Tensor t, Kind kind) {
        if (t.size() == 0 && kind.needsElements()) {
            throw new IllegalArgumentException(
                    kind.name().toLowerCase() + " of an empty tensor of shape " + Shapes.str(t.shape()));
        }
        if (t.size() == 0) {
            return empty(kind);
        }
        return row(t.toArray(), 0, 1, t.size(), kind);
    }

    /**
     * Reduces along {@code given} (negative counts from the end), which is removed; a new
     * row-major tensor.
     *
     * @throws IllegalArgumentException if the axis is out of range, or empty and the kind needs elements
     */
    static Tensor along(Tensor t, int given, Kind kind) {
        int[] shape = t.shape();
        int axis = Shapes.axis(given, shape.length, shape);
        int n = shape[axis];
        int[] outShape = Shapes.remove(shape, axis);
        double[] out = new double[Shapes.checkedSize(outShape)];
        if (n == 0 && kind.needsElements()) {
            throw new IllegalArgumentException(
                    kind.name().toLowerCase() + " over the empty axis " + given + " of shape " + Shapes.str(shape));
        }
        if (n == 0) {
            Arrays.fill(out, empty(kind));
            return Tensor.rowMajor(out, outShape);
        }
        Tensor moved = moveAxisLast(t, axis);
        int rs = Shapes.rowStride(moved.strides());
        double[] data = t.data();
        RowCursor c = new RowCursor(moved.shape(), new int[][] {moved.strides()}, new int[] {moved.offset()});
        int o = 0;
        while (c.next()) {
            out[o++] = row(data, c.offset(0), rs, n, kind);
        }
        return Tensor.rowMajor(out, outShape);
    }

    /** The value of an empty row, for the kinds that have one (NumPy's). */
    private static double empty(Kind kind) {
        return kind == Kind.SUM ? 0.0 : kind == Kind.LOG_SUM_EXP ? Double.NEGATIVE_INFINITY : Double.NaN;
    }

    /** Reduces the {@code n >= 1} elements {@code d[p + j·stride]}. */
    private static double row(double[] d, int p, int stride, int n, Kind kind) {
        switch (kind) {
            case SUM:
            case MEAN: {
                double s = 0;
                for (int j = 0; j < n; j++, p += stride) {
                    s += d[p];
                }
                return kind == Kind.SUM ? s : s / n;
            }
            case MAX:
            case MIN: {
                boolean max = kind == Kind.MAX;
                double m = max ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                for (int j = 0; j < n; j++, p += stride) {
                    double x = d[p];
                    if (x != x) {
                        return Double.NaN;
                    }
                    m = max ? Math.max(m, x) : Math.min(m, x);
                }
                return m;
            }
            case ARGMAX:
            case ARGMIN: {
                boolean max = kind == Kind.ARGMAX;
                int best = 0;
                double m = 0;
                for (int j = 0; j < n; j++, p += stride) {
                    double x = d[p];
                    if (x != x) {
                        return j; // the first NaN wins, as in NumPy
                    }
                    if (j == 0 || (max ? x > m : x < m)) { // strict: the first of ties wins
                        m = x;
                        best = j;
                    }
                }
                return best;
            }
            case LOG_SUM_EXP: {
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0, q = p; j < n; j++, q += stride) {
                    double x = d[q];
                    if (x != x) {
                        return Double.NaN;
                    }
                    m = Math.max(m, x);
                }
                if (m == Double.NEGATIVE_INFINITY || m == Double.POSITIVE_INFINITY) {
                    return m;
                }
                double s = 0;
                for (int j = 0; j < n; j++, p += stride) {
                    s += Math.exp(d[p] - m);
                }
                return m + Math.log(s);
            }
            default:
                throw new AssertionError(kind);
        }
    }

    /**
     * Softmax along {@code given} (negative counts from the end): each row gathered into the
     * result, then {@link Softmax#inPlace} on the scalar kernels, so the bits are the same on every
     * JVM, Vector API or not.
     */
    static Tensor softmax(Tensor t, int given) {
        int[] shape = t.shape();
        int axis = Shapes.axis(given, shape.length, shape);
        Tensor moved = moveAxisLast(t, axis);
        int n = shape[axis];
        double[] out = new double[t.size()];
        if (out.length > 0) {
            KernelSupport s = VectorizationProvider.scalar();
            double[] data = t.data();
            int rs = Shapes.rowStride(moved.strides());
            RowCursor c = new RowCursor(moved.shape(), new int[][] {moved.strides()}, new int[] {moved.offset()});
            int o = 0;
            while (c.next()) {
                for (int j = 0, p = c.offset(0); j < n; j++, p += rs) {
                    out[o + j] = data[p];
                }
                Softmax.inPlace(s, out, o, n);
                o += n;
            }
        }
        Tensor result = Tensor.rowMajor(out, moved.shape());
        return axis == shape.length - 1 ? result : moveLastAxisTo(result, axis).contiguous();
    }

    /** A view with axis {@code a} moved to the end, the others in order. */
    private static Tensor moveAxisLast(Tensor t, int a) {
        int rank = t.rank();
        if (a == rank - 1) {
            return t;
        }
        int[] order = new int[rank];
        for (int k = 0, j = 0; k < rank; k++) {
            if (k != a) {
                order[j++] = k;
            }
        }
        order[rank - 1] = a;
        return t.permute(order);
    }

    /** The inverse of {@link #moveAxisLast}: a view with the last axis moved back to {@code a}. */
    private static Tensor moveLastAxisTo(Tensor t, int a) {
        int rank = t.rank();
        int[] order = new int[rank];
        for (int k = 0, j = 0; k < rank; k++) {
            order[k] = k == a ? rank - 1 : j++;
        }
        return t.permute(order);
    }
}
