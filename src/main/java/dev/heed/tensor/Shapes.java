package dev.heed.tensor;

import java.util.Arrays;

/** Shape and stride arithmetic shared by {@link Tensor} and its loops. Package-private. */
final class Shapes {
    private Shapes() {}

    /** Number of elements of {@code shape}; rejects negative dimensions and more than 2³¹−1 elements. */
    static int checkedSize(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape)
                        + " has more than 2^31-1 elements, the most a Tensor can hold");
            }
        }
        return (int) n;
    }

    static int size(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** Row-major strides for {@code shape}. */
    static int[] rowMajorStrides(int[] shape) {
        int[] strides = new int[shape.length];
        int s = 1;
        for (int k = shape.length - 1; k >= 0; k--) {
            strides[k] = s;
            s *= Math.max(shape[k], 1);
        }
        return strides;
    }

    /** Normalises a possibly negative axis against {@code rank}, or throws naming the shape. */
    static int axis(int axis, int rank, int[] shape) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException("axis " + axis + " is out of range for shape "
                    + Arrays.toString(shape) + " (rank " + rank + ")");
        }
        return a;
    }

    /** NumPy broadcasting of two shapes, or an exception naming both. */
    static int[] broadcast(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int k = 0; k < rank; k++) {
            int da = k < rank - a.length ? 1 : a[k - (rank - a.length)];
            int db = k < rank - b.length ? 1 : b[k - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and "
                        + Arrays.toString(b) + " do not broadcast");
            }
            out[k] = da == 1 ? db : da;
        }
        return out;
    }

    static String str(int[] shape) {
        return Arrays.toString(shape);
    }
}
