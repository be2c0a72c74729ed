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
            throw new IllegalArgumentException(
                    "axis " + axis + " is out of range for shape " + Arrays.toString(shape) + " (rank " + rank + ")");
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
                throw new IllegalArgumentException(
                        "shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
            }
            out[k] = da == 1 ? db : da;
        }
        return out;
    }

    /** {@code xs} without entry {@code k}. */
    static int[] remove(int[] xs, int k) {
        int[] out = new int[xs.length - 1];
        System.arraycopy(xs, 0, out, 0, k);
        System.arraycopy(xs, k + 1, out, k, xs.length - k - 1);
        return out;
    }

    /** {@code xs} followed by {@code more}. */
    static int[] concat(int[] xs, int... more) {
        int[] out = Arrays.copyOf(xs, xs.length + more.length);
        System.arraycopy(more, 0, out, xs.length, more.length);
        return out;
    }

    /** {@code xs} with entries {@code a} and {@code b} swapped, as a new array. */
    static int[] swap(int[] xs, int a, int b) {
        int[] out = xs.clone();
        out[a] = xs[b];
        out[b] = xs[a];
        return out;
    }

    /**
     * Whether a layout is row-major without gaps (strides of size-1 axes are ignored; an empty
     * layout is contiguous, as in NumPy).
     */
    static boolean isContiguous(int[] shape, int[] strides, int size) {
        if (size == 0) {
            return true;
        }
        int expected = 1;
        for (int k = shape.length - 1; k >= 0; k--) {
            if (shape[k] != 1 && strides[k] != expected) {
                return false;
            }
            expected *= shape[k];
        }
        return true;
    }

    /**
     * {@code Σ index[k]·strides[k]} after normalising negative indices, or an exception naming the
     * index and the shape when the count or a value is out of range.
     */
    static int flatOffset(int[] index, int[] shape, int[] strides) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index " + Arrays.toString(index) + " has " + index.length
                    + " entries but shape " + str(shape) + " has rank " + shape.length);
        }
        int p = 0;
        for (int k = 0; k < index.length; k++) {
            int i = index[k] < 0 ? index[k] + shape[k] : index[k];
            if (i < 0 || i >= shape[k]) {
                throw new IllegalArgumentException(
                        "index " + Arrays.toString(index) + " is out of bounds for shape " + str(shape));
            }
            p += i * strides[k];
        }
        return p;
    }

    /** {@code xs} with {@code value} inserted at position {@code k}. */
    static int[] insert(int[] xs, int k, int value) {
        int[] out = new int[xs.length + 1];
        System.arraycopy(xs, 0, out, 0, k);
        out[k] = value;
        System.arraycopy(xs, k, out, k + 1, xs.length - k);
        return out;
    }

    /**
     * {@code order} with negative axes normalised, after checking that it names each axis of
     * {@code shape} exactly once; or an exception naming both.
     */
    static int[] permutation(int[] order, int[] shape) {
        if (order.length != shape.length) {
            throw new IllegalArgumentException("permute " + Arrays.toString(order) + " must name all " + shape.length
                    + " axes of shape " + str(shape));
        }
        int[] out = new int[order.length];
        boolean[] seen = new boolean[order.length];
        for (int k = 0; k < order.length; k++) {
            int a = axis(order[k], shape.length, shape);
            if (seen[a]) {
                throw new IllegalArgumentException("permute " + Arrays.toString(order) + " repeats axis " + a);
            }
            seen[a] = true;
            out[k] = a;
        }
        return out;
    }

    /**
     * The strides that stretch a tensor of {@code shape} and {@code strides} to {@code target} by
     * NumPy's rules (new leading axes and stretched size-1 axes get stride 0), or an exception
     * naming both shapes.
     */
    static int[] broadcastStrides(int[] shape, int[] strides, int[] target) {
        if (target.length < shape.length) {
            throw new IllegalArgumentException(
                    "cannot broadcast shape " + str(shape) + " to the lower-rank shape " + str(target));
        }
        int lead = target.length - shape.length;
        int[] st = new int[target.length];
        for (int k = 0; k < shape.length; k++) {
            if (shape[k] == target[lead + k]) {
                st[lead + k] = strides[k];
            } else if (shape[k] != 1) {
                throw new IllegalArgumentException("cannot broadcast shape " + str(shape) + " to " + str(target));
            }
        }
        return st;
    }

    /**
     * The shape {@code shape} (of {@code size} elements) is to take under {@code reshape(newShape)}:
     * {@code newShape} with its one {@code -1} inferred, or an exception naming both shapes.
     */
    static int[] reshaped(int[] shape, int size, int[] newShape) {
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int k = 0; k < s.length; k++) {
            if (s[k] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException(
                            "reshape " + str(shape) + " to " + Arrays.toString(newShape) + ": only one axis may be -1");
                }
                infer = k;
            } else if (s[k] < 0) {
                throw new IllegalArgumentException(
                        "reshape " + str(shape) + " to " + Arrays.toString(newShape) + ": negative dimension");
            } else {
                known *= s[k];
                if (known > Integer.MAX_VALUE) { // else the long product can wrap around to the size
                    throw new IllegalArgumentException("cannot reshape " + str(shape) + " to "
                            + Arrays.toString(newShape) + ": more than 2^31-1 elements");
                }
            }
        }
        if (infer >= 0) {
            if (known == 0 || size % known != 0) {
                throw new IllegalArgumentException(
                        "cannot reshape " + str(shape) + " (" + size + " elements) to " + Arrays.toString(newShape));
            }
            s[infer] = (int) (size / known);
            known *= s[infer];
        }
        if (known != size) {
            throw new IllegalArgumentException("cannot reshape " + str(shape) + " (" + size + " elements) to "
                    + Arrays.toString(newShape) + " (" + known + " elements)");
        }
        return s;
    }

    /**
     * Strides that give {@code newShape} over the memory of a tensor with {@code shape} and
     * {@code strides} without copying, or null. Groups old and new axes into runs of equal element
     * count; each old run must be contiguous within itself (NumPy's _attempt_nocopy_reshape).
     */
    static int[] viewStrides(int[] shape, int[] strides, int size, int[] newShape) {
        int[] out = new int[newShape.length];
        if (size == 0) {
            return rowMajorStrides(newShape);
        }
        // Drop size-1 axes of the old shape: their strides do not matter.
        int[] os = new int[shape.length];
        int[] ost = new int[shape.length];
        int on = 0;
        for (int k = 0; k < shape.length; k++) {
            if (shape[k] != 1) {
                os[on] = shape[k];
                ost[on++] = strides[k];
            }
        }
        int oi = 0;
        int ni = 0;
        int nn = newShape.length;
        while (ni < nn || oi < on) {
            if (ni < nn && newShape[ni] == 1) {
                out[ni++] = 0;
                continue;
            }
            if (oi >= on || ni >= nn) {
                return null;
            }
            int oStart = oi;
            int nStart = ni;
            long op = os[oi++];
            long np = newShape[ni++];
            while (op != np) {
                if (op < np) {
                    if (oi >= on) {
                        return null;
                    }
                    op *= os[oi++];
                } else {
                    if (ni >= nn) {
                        return null;
                    }
                    np *= newShape[ni++];
                }
            }
            for (int k = oStart; k < oi - 1; k++) {
                if (ost[k] != os[k + 1] * ost[k + 1]) {
                    return null;
                }
            }
            int st = ost[oi - 1];
            for (int k = ni - 1; k >= nStart; k--) {
                out[k] = st;
                st *= newShape[k];
            }
        }
        return out;
    }

    /**
     * Checks the arguments of {@code Tensor.strided}: {@code data} present, one stride per axis,
     * and every element inside {@code data}; returns the element count, or throws naming them.
     */
    static int checkStrided(double[] data, int offset, int[] shape, int[] strides) {
        if (data == null) {
            throw new IllegalArgumentException("data is null");
        }
        if (shape.length != strides.length) {
            throw new IllegalArgumentException(
                    "shape " + str(shape) + " and strides " + str(strides) + " differ in rank");
        }
        int size = checkedSize(shape);
        if (size == 0) {
            return 0;
        }
        long lo = offset;
        long hi = offset;
        for (int k = 0; k < shape.length; k++) {
            long reach = (long) strides[k] * (shape[k] - 1);
            if (reach < 0) {
                lo += reach;
            } else {
                hi += reach;
            }
        }
        if (lo < 0 || hi >= data.length) {
            throw new IllegalArgumentException("shape " + str(shape) + " with strides " + str(strides) + " at offset "
                    + offset + " reaches outside an array of length " + data.length);
        }
        return size;
    }

    /** Checks that {@code data} is present and holds exactly the elements of {@code shape}, or throws naming both. */
    static void checkLength(double[] data, int[] shape) {
        if (data == null) {
            throw new IllegalArgumentException("data is null");
        }
        int n = checkedSize(shape);
        if (n != data.length) {
            throw new IllegalArgumentException(
                    "shape " + str(shape) + " needs " + n + " elements but the array has " + data.length);
        }
    }

    /** The axes of {@code shape} whose size is not 1, in order. */
    static int[] nonUnitAxes(int[] shape) {
        int[] out = new int[shape.length];
        int n = 0;
        for (int k = 0; k < shape.length; k++) {
            if (shape[k] != 1) {
                out[n++] = k;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * The first index and the length of {@code slice(axis, start, end, step)} along {@code axis} of {@code shape},
     * negative bounds counted from the end; or an exception naming the range and the shape.
     */
    static int[] sliceRange(int axis, int start, int end, int step, int[] shape) {
        int n = shape[axis(axis, shape.length, shape)];
        int s0 = start < 0 ? start + n : start;
        int e0 = end < 0 ? end + n : end;
        if (step <= 0 || s0 < 0 || e0 < s0 || e0 > n) {
            throw new IllegalArgumentException("slice [" + start + ", " + end + ") step " + step
                    + " is out of range for axis " + axis + " of shape " + str(shape));
        }
        // (e0 - s0 + step - 1) / step would overflow for a huge step
        return new int[] {s0, e0 == s0 ? 0 : (e0 - s0 - 1) / step + 1};
    }

    /** The length of the rows the row loops walk: the last axis, or 1 for a 0-d tensor. */
    static int rowLength(int[] shape) {
        return shape.length == 0 ? 1 : shape[shape.length - 1];
    }

    /** The stride along those rows: the last axis' stride, or 0 for a 0-d tensor. */
    static int rowStride(int[] strides) {
        return strides.length == 0 ? 0 : strides[strides.length - 1];
    }

    /** {@code xs[axes[k]]} for each {@code k}, as a new array. */
    static int[] pick(int[] xs, int[] axes) {
        int[] out = new int[axes.length];
        for (int k = 0; k < axes.length; k++) {
            out[k] = xs[axes[k]];
        }
        return out;
    }

    /** A possibly negative {@code index} along {@code axis} normalised, or an exception naming both and the shape. */
    static int index(int index, int axis, int[] shape) {
        int n = shape[axis(axis, shape.length, shape)];
        int i = index < 0 ? index + n : index;
        if (i < 0 || i >= n) {
            throw new IllegalArgumentException(
                    "index " + index + " is out of range for axis " + axis + " of shape " + str(shape));
        }
        return i;
    }

    /** Where {@code unsqueeze(axis)} puts the new axis, in {@code [0, rank]}, or an exception naming the shape. */
    static int insertionAxis(int axis, int[] shape) {
        int a = axis < 0 ? axis + shape.length + 1 : axis;
        if (a < 0 || a > shape.length) {
            throw new IllegalArgumentException("axis " + axis + " is out of range to insert into shape " + str(shape));
        }
        return a;
    }

    /** {@code axis} normalised after checking it has size 1, or an exception naming its size and the shape. */
    static int squeezableAxis(int axis, int[] shape) {
        int a = axis(axis, shape.length, shape);
        if (shape[a] != 1) {
            throw new IllegalArgumentException(
                    "cannot squeeze axis " + axis + " of size " + shape[a] + " in shape " + str(shape));
        }
        return a;
    }

    static String str(int[] shape) {
        return Arrays.toString(shape);
    }
}
