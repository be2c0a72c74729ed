package dev.heed.tensor;

import dev.heed.internal.linalg.MatrixProducts;

import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * An n-dimensional array of {@code double}: NumPy's ndarray in Java.
 *
 * <p>A tensor is a flat {@code double[] data}, an {@code offset}, a {@code shape} and
 * {@code strides} (in elements, not bytes). Element {@code (i0, …, in-1)} lives at
 * <pre>{@code data[offset + i0·strides[0] + … + in-1·strides[n-1]]}</pre>
 * Row-major ("C order") is the default layout: the last axis varies fastest.
 *
 * <p><b>Views and copies.</b> Methods that only rearrange how the data is indexed —
 * {@link #transpose}, {@link #permute}, {@link #slice}, {@link #select}, {@link #unsqueeze},
 * {@link #squeeze}, {@link #broadcastTo}, and {@link #reshape} when the layout allows — return
 * <em>views</em> that share {@code data} with this tensor: writing through one is visible in the
 * other. Every math method returns a new, row-major tensor and leaves its operands unmodified.
 * {@link #copy()} always allocates. Each method's documentation says which it is.
 *
 * <p><b>Axes</b> may be negative and then count from the end: {@code -1} is the last axis.
 *
 * <p><b>Broadcasting</b> follows NumPy: shapes are aligned at their last axis and a size-1 axis
 * stretches to match the other. It applies to the elementwise operations, to {@link #matmul}'s
 * leading (batch) axes and to {@link #allClose}.
 *
 * <p><b>Limits.</b> A tensor holds at most 2³¹−1 elements; a larger shape is refused with an
 * {@link IllegalArgumentException} when the tensor is created. Bad arguments (an axis out of
 * range, shapes that do not broadcast, an index out of bounds) always give an
 * {@code IllegalArgumentException} whose message names the shapes or values involved.
 *
 * <p><b>IEEE 754.</b> NaN and infinities flow through arithmetic as IEEE 754 says; no method
 * turns a NaN into a number. Reductions such as {@link #max(int)} propagate NaN, as NumPy does.
 *
 * <p>Tensors are not thread-safe for writing. Sharing a tensor between threads is safe as long
 * as nobody writes to it (or to a view of it).
 */
public final class Tensor {
    private final double[] data;
    private final int offset;
    private final int[] shape;
    private final int[] strides;
    private final int size;

    private Tensor(double[] data, int offset, int[] shape, int[] strides, int size) {
        this.data = data;
        this.offset = offset;
        this.shape = shape;
        this.strides = strides;
        this.size = size;
    }

    /** A fresh row-major tensor over {@code data}; the caller guarantees the length. */
    private static Tensor rowMajor(double[] data, int[] shape) {
        return new Tensor(data, 0, shape, Shapes.rowMajorStrides(shape), data.length);
    }

    // ------------------------------------------------------------------ creation

    /**
     * Wraps {@code data} as a row-major tensor of the given shape, <b>without copying</b>: writes
     * to the array show in the tensor and the other way round.
     *
     * @param data  the elements in row-major order, not modified; its length must equal the
     *              product of {@code shape}
     * @param shape the dimensions; no shape at all gives a 0-d (scalar) tensor
     * @throws IllegalArgumentException if the length does not match or a dimension is negative
     */
    public static Tensor of(double[] data, int... shape) {
        if (data == null) {
            throw new IllegalArgumentException("data is null");
        }
        int[] s = shape.clone();
        int n = Shapes.checkedSize(s);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Shapes.str(s) + " needs " + n
                    + " elements but the array has " + data.length);
        }
        return rowMajor(data, s);
    }

    /** Like {@link #of(double[], int...)} but copies {@code data}: the tensor owns its elements. */
    public static Tensor copyOf(double[] data, int... shape) {
        if (data == null) {
            throw new IllegalArgumentException("data is null");
        }
        return of(data.clone(), shape);
    }

    /**
     * A {@code [rows, cols]} tensor copied from a rectangular {@code double[][]}.
     *
     * @throws IllegalArgumentException if the rows differ in length
     */
    public static Tensor of(double[][] rows) {
        int r = rows.length;
        int c = r == 0 ? 0 : rows[0].length;
        double[] out = new double[Shapes.checkedSize(new int[] {r, c})];
        for (int i = 0; i < r; i++) {
            if (rows[i].length != c) {
                throw new IllegalArgumentException("ragged array: row 0 has " + c + " elements, row "
                        + i + " has " + rows[i].length);
            }
            System.arraycopy(rows[i], 0, out, i * c, c);
        }
        return rowMajor(out, new int[] {r, c});
    }

    /**
     * A {@code [n, rows, cols]} tensor copied from a rectangular {@code double[][][]}.
     *
     * @throws IllegalArgumentException if the array is ragged
     */
    public static Tensor of(double[][][] blocks) {
        int n = blocks.length;
        int r = n == 0 ? 0 : blocks[0].length;
        int c = r == 0 ? 0 : blocks[0][0].length;
        double[] out = new double[Shapes.checkedSize(new int[] {n, r, c})];
        for (int b = 0; b < n; b++) {
            if (blocks[b].length != r) {
                throw new IllegalArgumentException("ragged array: block 0 has " + r + " rows, block "
                        + b + " has " + blocks[b].length);
            }
            for (int i = 0; i < r; i++) {
                if (blocks[b][i].length != c) {
                    throw new IllegalArgumentException("ragged array: rows have " + c
                            + " elements but block " + b + " row " + i + " has " + blocks[b][i].length);
                }
                System.arraycopy(blocks[b][i], 0, out, (b * r + i) * c, c);
            }
        }
        return rowMajor(out, new int[] {n, r, c});
    }

    /**
     * A strided view of {@code data}: element {@code i} lives at
     * {@code data[offset + Σ i[k]·strides[k]]}. Strides may be zero (broadcast) or negative.
     * No copy is made.
     *
     * @throws IllegalArgumentException if the ranks differ or any element would fall outside
     *                                  {@code data}
     */
    public static Tensor strided(double[] data, int offset, int[] shape, int[] strides) {
        if (data == null) {
            throw new IllegalArgumentException("data is null");
        }
        if (shape.length != strides.length) {
            throw new IllegalArgumentException("shape " + Shapes.str(shape) + " and strides "
                    + Shapes.str(strides) + " differ in rank");
        }
        int[] s = shape.clone();
        int n = Shapes.checkedSize(s);
        if (n > 0) {
            long lo = offset;
            long hi = offset;
            for (int k = 0; k < s.length; k++) {
                long reach = (long) strides[k] * (s[k] - 1);
                if (reach < 0) {
                    lo += reach;
                } else {
                    hi += reach;
                }
            }
            if (lo < 0 || hi >= data.length) {
                throw new IllegalArgumentException("shape " + Shapes.str(s) + " with strides "
                        + Shapes.str(strides) + " at offset " + offset
                        + " reaches outside an array of length " + data.length);
            }
        }
        return new Tensor(data, offset, s, strides.clone(), n);
    }

    /** A 0-d tensor holding {@code value}. */
    public static Tensor scalar(double value) {
        return rowMajor(new double[] {value}, new int[0]);
    }

    /** A new tensor of zeros. */
    public static Tensor zeros(int... shape) {
        int[] s = shape.clone();
        return rowMajor(new double[Shapes.checkedSize(s)], s);
    }

    /** A new tensor of ones. */
    public static Tensor ones(int... shape) {
        return full(1.0, shape);
    }

    /** A new tensor with every element {@code value}. */
    public static Tensor full(double value, int... shape) {
        int[] s = shape.clone();
        double[] d = new double[Shapes.checkedSize(s)];
        Arrays.fill(d, value);
        return rowMajor(d, s);
    }

    /** The 1-d tensor {@code [0, 1, …, n-1]}. */
    public static Tensor arange(int n) {
        double[] d = new double[Shapes.checkedSize(new int[] {n})];
        for (int i = 0; i < n; i++) {
            d[i] = i;
        }
        return rowMajor(d, new int[] {n});
    }

    /**
     * A seeded source of random tensors: {@code Tensor.random(42).normal(2, 5, 16)} is a
     * {@code [2, 5, 16]} tensor of standard normal samples. The seed and the shape are given in
     * separate calls so that neither can be mistaken for the other. A fresh generator with the same
     * seed gives the same tensors on every JVM; one generator used twice gives two different tensors.
     *
     * @param seed the seed of the underlying {@link java.util.Random}
     * @return a new generator
     */
    public static RandomTensors random(long seed) {
        return new RandomTensors(seed);
    }

    /**
     * The shape two shapes broadcast to under NumPy's rules ({@code np.broadcast_shapes}).
     *
     * @throws IllegalArgumentException naming both shapes if they do not broadcast
     */
    public static int[] broadcastShapes(int[] a, int[] b) {
        return Shapes.broadcast(a, b);
    }

    // ------------------------------------------------------------------ layout

    /** The dimensions, as a new array. */
    public int[] shape() {
        return shape.clone();
    }

    /** The size of one axis; negative axes count from the end. */
    public int shape(int axis) {
        return shape[axis(axis)];
    }

    /** The number of axes. */
    public int rank() {
        return shape.length;
    }

    /** The number of elements (the product of the shape). */
    public int size() {
        return size;
    }

    /** The strides in elements, as a new array. */
    public int[] strides() {
        return strides.clone();
    }

    /** Where element {@code (0, …, 0)} lives in {@link #data()}. */
    public int offset() {
        return offset;
    }

    /**
     * The backing array, shared, not copied: the elements live at the positions the class
     * documentation gives, and other positions may belong to other views. Meant for kernels;
     * most code wants {@link #toArray()}.
     */
    public double[] data() {
        return data;
    }

    /**
     * Whether the elements are laid out row-major without gaps (strides of size-1 axes are
     * ignored; an empty tensor is contiguous).
     */
    public boolean isContiguous() {
        if (size == 0) {
            return true; // no element to lay out, as in NumPy
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

    // ------------------------------------------------------------------ elements

    /**
     * The element at {@code index} (one index per axis; negative indices count from the end).
     *
     * @throws IllegalArgumentException if the number of indices is not the rank or one is out of range
     */
    public double get(int... index) {
        return data[at(index)];
    }

    /**
     * Writes {@code value} at {@code index}. This <b>modifies</b> the tensor and every view that
     * shares the element (a broadcast view shares it among many indices).
     */
    public void set(double value, int... index) {
        data[at(index)] = value;
    }

    /** The only element of a tensor with exactly one element. */
    public double item() {
        if (size != 1) {
            throw new IllegalArgumentException("item() needs exactly one element, shape is " + Shapes.str(shape));
        }
        return data[offset];
    }

    private int at(int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index " + Arrays.toString(index) + " has " + index.length
                    + " entries but shape " + Shapes.str(shape) + " has rank " + shape.length);
        }
        int p = offset;
        for (int k = 0; k < index.length; k++) {
            int i = index[k] < 0 ? index[k] + shape[k] : index[k];
            if (i < 0 || i >= shape[k]) {
                throw new IllegalArgumentException("index " + Arrays.toString(index)
                        + " is out of bounds for shape " + Shapes.str(shape));
            }
            p += i * strides[k];
        }
        return p;
    }

    /** The elements in row-major order, as a new array (a copy, whatever the layout). */
    public double[] toArray() {
        double[] out = new double[size];
        if (size == 0) {
            return out;
        }
        int row = rowLength();
        int rs = rowStride();
        RowCursor c = new RowCursor(shape, new int[][] {strides}, new int[] {offset});
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

    /** A new row-major tensor with the same elements; always allocates. */
    public Tensor copy() {
        return rowMajor(toArray(), shape.clone());
    }

    /** This tensor if it is already {@linkplain #isContiguous() contiguous}, else a row-major copy. */
    public Tensor contiguous() {
        return isContiguous() ? this : copy();
    }

    // ------------------------------------------------------------------ views

    /**
     * The same elements in a new shape (row-major order). One entry may be {@code -1}, inferred
     * from the others. Returns a <b>view</b> when the current strides allow it (always for a
     * contiguous tensor), otherwise a <b>copy</b> — as {@code torch.reshape} does.
     *
     * @throws IllegalArgumentException if the element counts differ
     */
    public Tensor reshape(int... newShape) {
        int[] s = inferShape(newShape);
        int[] st = viewStrides(s);
        if (st != null) {
            return new Tensor(data, offset, s, st, size);
        }
        return rowMajor(toArray(), s);
    }

    /** {@link #reshape} to one axis: a view when possible, else a copy. */
    public Tensor flatten() {
        return reshape(-1);
    }

    private int[] inferShape(int[] newShape) {
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int k = 0; k < s.length; k++) {
            if (s[k] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("reshape " + Shapes.str(shape) + " to "
                            + Arrays.toString(newShape) + ": only one axis may be -1");
                }
                infer = k;
            } else if (s[k] < 0) {
                throw new IllegalArgumentException("reshape " + Shapes.str(shape) + " to "
                        + Arrays.toString(newShape) + ": negative dimension");
            } else {
                known *= s[k];
                if (known > Integer.MAX_VALUE) { // else the long product can wrap around to the size
                    throw new IllegalArgumentException("cannot reshape " + Shapes.str(shape) + " to "
                            + Arrays.toString(newShape) + ": more than 2^31-1 elements");
                }
            }
        }
        if (infer >= 0) {
            if (known == 0 || size % known != 0) {
                throw new IllegalArgumentException("cannot reshape " + Shapes.str(shape) + " (" + size
                        + " elements) to " + Arrays.toString(newShape));
            }
            s[infer] = (int) (size / known);
            known *= s[infer];
        }
        if (known != size) {
            throw new IllegalArgumentException("cannot reshape " + Shapes.str(shape) + " (" + size
                    + " elements) to " + Arrays.toString(newShape) + " (" + known + " elements)");
        }
        return s;
    }

    /**
     * Strides that give {@code newShape} over the same memory without copying, or null.
     * Groups old and new axes into runs of equal element count; each old run must be
     * contiguous within itself (NumPy's _attempt_nocopy_reshape).
     */
    private int[] viewStrides(int[] newShape) {
        int[] out = new int[newShape.length];
        if (size == 0) {
            return Shapes.rowMajorStrides(newShape);
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

    /** A <b>view</b> with axes {@code axis0} and {@code axis1} swapped (negative axes allowed). */
    public Tensor transpose(int axis0, int axis1) {
        int a = axis(axis0);
        int b = axis(axis1);
        int[] s = shape.clone();
        int[] st = strides.clone();
        s[a] = shape[b];
        s[b] = shape[a];
        st[a] = strides[b];
        st[b] = strides[a];
        return new Tensor(data, offset, s, st, size);
    }

    /**
     * A <b>view</b> whose axis {@code k} is this tensor's axis {@code order[k]}; {@code order}
     * must name every axis once (negative axes allowed).
     */
    public Tensor permute(int... order) {
        if (order.length != shape.length) {
            throw new IllegalArgumentException("permute " + Arrays.toString(order) + " must name all "
                    + shape.length + " axes of shape " + Shapes.str(shape));
        }
        int[] s = new int[order.length];
        int[] st = new int[order.length];
        boolean[] seen = new boolean[order.length];
        for (int k = 0; k < order.length; k++) {
            int a = axis(order[k]);
            if (seen[a]) {
                throw new IllegalArgumentException("permute " + Arrays.toString(order) + " repeats axis " + a);
            }
            seen[a] = true;
            s[k] = shape[a];
            st[k] = strides[a];
        }
        return new Tensor(data, offset, s, st, size);
    }

    /**
     * A <b>view</b> of indices {@code [start, end)} along {@code axis}. Negative {@code start}
     * and {@code end} count from the end of the axis.
     *
     * @throws IllegalArgumentException unless {@code 0 <= start <= end <= shape(axis)} after
     *                                  that adjustment
     */
    public Tensor slice(int axis, int start, int end) {
        return slice(axis, start, end, 1);
    }

    /** A <b>view</b> of indices {@code start, start+step, …} below {@code end} along {@code axis}; {@code step > 0}. */
    public Tensor slice(int axis, int start, int end, int step) {
        int a = axis(axis);
        int n = shape[a];
        int s0 = start < 0 ? start + n : start;
        int e0 = end < 0 ? end + n : end;
        if (step <= 0 || s0 < 0 || e0 < s0 || e0 > n) {
            throw new IllegalArgumentException("slice [" + start + ", " + end + ") step " + step
                    + " is out of range for axis " + axis + " of shape " + Shapes.str(shape));
        }
        int[] s = shape.clone();
        int[] st = strides.clone();
        s[a] = e0 == s0 ? 0 : (e0 - s0 - 1) / step + 1; // (e0 - s0 + step - 1) / step overflows for a huge step
        st[a] = strides[a] * step;
        int newSize = Shapes.size(s);
        return new Tensor(data, newSize == 0 ? offset : offset + s0 * strides[a], s, st, newSize);
    }

    /** A <b>view</b> at {@code index} along {@code axis}, with that axis removed (rank − 1). */
    public Tensor select(int axis, int index) {
        int a = axis(axis);
        int i = index < 0 ? index + shape[a] : index;
        if (i < 0 || i >= shape[a]) {
            throw new IllegalArgumentException("index " + index + " is out of range for axis " + axis
                    + " of shape " + Shapes.str(shape));
        }
        return new Tensor(data, offset + i * strides[a], remove(shape, a), remove(strides, a), size / shape[a]);
    }

    /** A <b>view</b> with a new size-1 axis at position {@code axis} ({@code -1} appends one). */
    public Tensor unsqueeze(int axis) {
        int a = axis < 0 ? axis + shape.length + 1 : axis;
        if (a < 0 || a > shape.length) {
            throw new IllegalArgumentException("axis " + axis + " is out of range to insert into shape "
                    + Shapes.str(shape));
        }
        int[] s = new int[shape.length + 1];
        int[] st = new int[shape.length + 1];
        for (int k = 0, j = 0; k < s.length; k++) {
            if (k == a) {
                s[k] = 1;
                st[k] = 0;
            } else {
                s[k] = shape[j];
                st[k] = strides[j++];
            }
        }
        return new Tensor(data, offset, s, st, size);
    }

    /** A <b>view</b> without {@code axis}, which must have size 1. */
    public Tensor squeeze(int axis) {
        int a = axis(axis);
        if (shape[a] != 1) {
            throw new IllegalArgumentException("cannot squeeze axis " + axis + " of size " + shape[a]
                    + " in shape " + Shapes.str(shape));
        }
        return new Tensor(data, offset, remove(shape, a), remove(strides, a), size);
    }

    /** A <b>view</b> without any size-1 axes. */
    public Tensor squeeze() {
        Tensor t = this;
        for (int k = shape.length - 1; k >= 0; k--) {
            if (shape[k] == 1) {
                t = t.squeeze(k);
            }
        }
        return t;
    }

    /**
     * A <b>view</b> stretched to {@code target} by NumPy's rules: new axes are prepended and
     * size-1 axes repeat with stride 0, so no memory is copied. Writing into a broadcast view
     * writes the shared element.
     *
     * @throws IllegalArgumentException if this shape does not broadcast to {@code target}
     */
    public Tensor broadcastTo(int... target) {
        int[] t = target.clone();
        int n = Shapes.checkedSize(t);
        if (t.length < shape.length) {
            throw new IllegalArgumentException("cannot broadcast shape " + Shapes.str(shape)
                    + " to the lower-rank shape " + Shapes.str(t));
        }
        int lead = t.length - shape.length;
        int[] st = new int[t.length];
        for (int k = 0; k < shape.length; k++) {
            if (shape[k] == t[lead + k]) {
                st[lead + k] = strides[k];
            } else if (shape[k] == 1) {
                st[lead + k] = 0;
            } else {
                throw new IllegalArgumentException("cannot broadcast shape " + Shapes.str(shape)
                        + " to " + Shapes.str(t));
            }
        }
        return new Tensor(data, offset, t, st, n);
    }

    // ------------------------------------------------------------------ elementwise math

    /** {@code this + other}, broadcasting; a new tensor. */
    public Tensor add(Tensor other) {
        return zip(other, "add", (x, y) -> x + y);
    }

    /** {@code this - other}, broadcasting; a new tensor. */
    public Tensor sub(Tensor other) {
        return zip(other, "sub", (x, y) -> x - y);
    }

    /** {@code this * other} elementwise, broadcasting; a new tensor. */
    public Tensor mul(Tensor other) {
        return zip(other, "mul", (x, y) -> x * y);
    }

    /** {@code this / other} elementwise, broadcasting (IEEE division: x/0 is ±∞ or NaN); a new tensor. */
    public Tensor div(Tensor other) {
        return zip(other, "div", (x, y) -> x / y);
    }

    /** {@code this + value} elementwise; a new tensor. */
    public Tensor add(double value) {
        return map(x -> x + value);
    }

    /** {@code this · factor} elementwise; a new tensor. */
    public Tensor scale(double factor) {
        return map(x -> x * factor);
    }

    /** {@code -this}; a new tensor. */
    public Tensor neg() {
        return map(x -> -x);
    }

    /** {@code e^x} elementwise; a new tensor. */
    public Tensor exp() {
        return map(Math::exp);
    }

    /** Natural logarithm elementwise ({@code log 0 = -∞}, negative → NaN); a new tensor. */
    public Tensor log() {
        return map(Math::log);
    }

    /** Hyperbolic tangent elementwise; a new tensor. */
    public Tensor tanh() {
        return map(Math::tanh);
    }

    /** {@code f(x)} for every element, in row-major order; a new row-major tensor. */
    public Tensor map(DoubleUnaryOperator f) {
        double[] out = new double[size];
        if (size == 0) {
            return rowMajor(out, shape.clone());
        }
        int row = rowLength();
        int rs = rowStride();
        RowCursor c = new RowCursor(shape, new int[][] {strides}, new int[] {offset});
        int o = 0;
        while (c.next()) {
            for (int j = 0, p = c.offset(0); j < row; j++, p += rs) {
                out[o++] = f.applyAsDouble(data[p]);
            }
        }
        return rowMajor(out, shape.clone());
    }

    /**
     * {@code f(x, y)} for every pair of elements of this tensor and {@code other} broadcast
     * together; a new row-major tensor of the broadcast shape.
     */
    public Tensor zip(Tensor other, DoubleBinaryOperator f) {
        return zip(other, "zip", f);
    }

    private Tensor zip(Tensor other, String op, DoubleBinaryOperator f) {
        int[] out;
        try {
            out = Shapes.broadcast(shape, other.shape);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(op + ": " + e.getMessage(), e);
        }
        Tensor a = broadcastTo(out);
        Tensor b = other.broadcastTo(out);
        double[] r = new double[Shapes.checkedSize(out)];
        if (r.length == 0) {
            return rowMajor(r, out);
        }
        int row = a.rowLength();
        int as = a.rowStride();
        int bs = b.rowStride();
        RowCursor c = new RowCursor(out, new int[][] {a.strides, b.strides}, new int[] {a.offset, b.offset});
        int o = 0;
        double[] ad = a.data;
        double[] bd = b.data;
        while (c.next()) {
            int pa = c.offset(0);
            int pb = c.offset(1);
            for (int j = 0; j < row; j++, pa += as, pb += bs) {
                r[o++] = f.applyAsDouble(ad[pa], bd[pb]);
            }
        }
        return rowMajor(r, out);
    }

    // ------------------------------------------------------------------ matmul

    /**
     * Matrix product with NumPy's {@code matmul} rules: {@code [..., n, k] @ [..., k, m] →
     * [..., n, m]}, leading (batch) axes broadcast; a 1-d left operand is a row vector and a
     * 1-d right operand a column vector, and that axis is dropped from the result. Either
     * operand may be non-contiguous (transposed, sliced, broadcast). A new tensor.
     *
     * @throws IllegalArgumentException if an operand is 0-d, the inner dimensions differ, or the
     *                                  batch axes do not broadcast
     */
    public Tensor matmul(Tensor other) {
        if (rank() == 0 || other.rank() == 0) {
            throw new IllegalArgumentException("matmul needs operands of rank >= 1, got shapes "
                    + Shapes.str(shape) + " and " + Shapes.str(other.shape));
        }
        Tensor a = rank() == 1 ? unsqueeze(0) : this;
        Tensor b = other.rank() == 1 ? other.unsqueeze(1) : other;
        int n = a.shape[a.rank() - 2];
        int k = a.shape[a.rank() - 1];
        int m = b.shape[b.rank() - 1];
        if (b.shape[b.rank() - 2] != k) {
            throw new IllegalArgumentException("matmul: shapes " + Shapes.str(shape) + " and "
                    + Shapes.str(other.shape) + " do not align (" + k + " != " + b.shape[b.rank() - 2] + ")");
        }
        int[] batch;
        try {
            batch = Shapes.broadcast(Arrays.copyOf(a.shape, a.rank() - 2), Arrays.copyOf(b.shape, b.rank() - 2));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("matmul: batch axes of " + Shapes.str(shape) + " and "
                    + Shapes.str(other.shape) + " do not broadcast", e);
        }
        int[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = n;
        outShape[batch.length + 1] = m;
        double[] c = new double[Shapes.checkedSize(outShape)];
        if (c.length > 0) {
            Tensor ab = a.broadcastTo(concat(batch, n, k));
            Tensor bb = b.broadcastTo(concat(batch, k, m));
            MatrixProducts.multiply(batch, n, k, m, ab.data, ab.offset, ab.strides, bb.data, bb.offset, bb.strides, c);
        }
        Tensor result = rowMajor(c, outShape);
        // Drop the row axis before the column axis: -2 would not exist after squeezing -1 of a [1, 1] result.
        if (rank() == 1) {
            result = result.squeeze(-2);
        }
        if (other.rank() == 1) {
            result = result.squeeze(-1);
        }
        return result;
    }

    // ------------------------------------------------------------------ reductions

    /** Sum of all elements (0 for an empty tensor). */
    public double sum() {
        double s = 0;
        for (double x : toArray()) {
            s += x;
        }
        return s;
    }

    /** Mean of all elements (NaN for an empty tensor, as NumPy). */
    public double mean() {
        return sum() / size;
    }

    /** Largest element; NaN if any element is NaN. */
    public double max() {
        if (size == 0) {
            throw new IllegalArgumentException("max of an empty tensor of shape " + Shapes.str(shape));
        }
        return reduceRow(toArray(), 0, 1, size, Reduction.MAX);
    }

    /** Sum along {@code axis}, which is removed; a new tensor. */
    public Tensor sum(int axis) {
        return reduce(axis, Reduction.SUM);
    }

    /** Mean along {@code axis}, which is removed; a new tensor. */
    public Tensor mean(int axis) {
        return reduce(axis, Reduction.MEAN);
    }

    /**
     * Maximum along {@code axis}, which is removed; a new tensor. A row containing NaN gives NaN.
     *
     * @throws IllegalArgumentException if the axis is empty
     */
    public Tensor max(int axis) {
        return reduce(axis, Reduction.MAX);
    }

    /**
     * Index of the maximum along {@code axis} (first one on ties; the first NaN if any), which is
     * removed; a new tensor whose elements are whole numbers.
     *
     * @throws IllegalArgumentException if the axis is empty
     */
    public Tensor argmax(int axis) {
        return reduce(axis, Reduction.ARGMAX);
    }

    /**
     * {@code log Σ exp(x)} along {@code axis}, computed stably (the row maximum is factored out);
     * {@code -∞} for a row of {@code -∞}. The axis is removed; a new tensor.
     */
    public Tensor logSumExp(int axis) {
        return reduce(axis, Reduction.LOG_SUM_EXP);
    }

    private enum Reduction { SUM, MEAN, MAX, ARGMAX, LOG_SUM_EXP }

    private Tensor reduce(int axis, Reduction kind) {
        int a = axis(axis);
        Tensor moved = moveAxisLast(a);
        int n = shape[a];
        int[] outShape = remove(shape, a);
        double[] out = new double[Shapes.checkedSize(outShape)];
        if (n == 0 && (kind == Reduction.MAX || kind == Reduction.ARGMAX)) {
            throw new IllegalArgumentException(kind.name().toLowerCase() + " over the empty axis " + axis
                    + " of shape " + Shapes.str(shape));
        }
        if (n == 0) {
            Arrays.fill(out, kind == Reduction.SUM ? 0.0
                    : kind == Reduction.LOG_SUM_EXP ? Double.NEGATIVE_INFINITY : Double.NaN);
            return rowMajor(out, outShape);
        }
        int rs = moved.rowStride();
        RowCursor c = new RowCursor(moved.shape, new int[][] {moved.strides}, new int[] {moved.offset});
        int o = 0;
        while (c.next()) {
            out[o++] = reduceRow(data, c.offset(0), rs, n, kind);
        }
        return rowMajor(out, outShape);
    }

    private static double reduceRow(double[] d, int p, int stride, int n, Reduction kind) {
        switch (kind) {
            case SUM:
            case MEAN: {
                double s = 0;
                for (int j = 0; j < n; j++, p += stride) {
                    s += d[p];
                }
                return kind == Reduction.SUM ? s : s / n;
            }
            case MAX: {
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++, p += stride) {
                    double x = d[p];
                    if (x != x) {
                        return Double.NaN;
                    }
                    m = Math.max(m, x);
                }
                return m;
            }
            case ARGMAX: {
                int best = 0;
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++, p += stride) {
                    double x = d[p];
                    if (x != x) {
                        return j;
                    }
                    if (x > m || j == 0) {
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
     * Softmax along {@code axis}, computed stably: each row has its maximum subtracted before
     * exponentiating, so logits of ±1e6 give exact, finite weights. A row whose elements are all
     * {@code -∞} (nothing to attend to) gives all zeros rather than NaN; a row containing NaN or
     * {@code +∞} gives NaN, as IEEE arithmetic does. A new row-major tensor of the same shape.
     */
    public Tensor softmax(int axis) {
        int a = axis(axis);
        Tensor moved = moveAxisLast(a);
        int n = shape[a];
        double[] out = new double[size];
        if (size > 0) {
            int rs = moved.rowStride();
            RowCursor c = new RowCursor(moved.shape, new int[][] {moved.strides}, new int[] {moved.offset});
            int o = 0;
            while (c.next()) {
                softmaxRow(data, c.offset(0), rs, n, out, o);
                o += n;
            }
        }
        Tensor result = rowMajor(out, moved.shape);
        return a == shape.length - 1 ? result : result.moveLastAxisTo(a).contiguous();
    }

    private static void softmaxRow(double[] d, int p, int stride, int n, double[] out, int o) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0, q = p; j < n; j++, q += stride) {
            m = Math.max(m, d[q]);
        }
        if (m == Double.NEGATIVE_INFINITY) {
            return; // every element is -inf: no mass anywhere, leave zeros
        }
        double s = 0;
        for (int j = 0, q = p; j < n; j++, q += stride) {
            double e = Math.exp(d[q] - m);
            out[o + j] = e;
            s += e;
        }
        double inv = 1.0 / s;
        for (int j = 0; j < n; j++) {
            out[o + j] *= inv;
        }
    }

    // ------------------------------------------------------------------ comparison

    /**
     * Whether every pair of elements (broadcast together) satisfies
     * {@code |a - b| <= atol + rtol·|b|}, NumPy's {@code allclose}. Equal infinities are close;
     * NaN is close to nothing.
     *
     * @throws IllegalArgumentException if the shapes do not broadcast
     */
    public boolean allClose(Tensor other, double rtol, double atol) {
        Tensor r = zip(other, "allClose", (x, y) -> {
            if (x == y) {
                return 1;
            }
            if (!Double.isFinite(x) || !Double.isFinite(y)) {
                return 0; // else |x - inf| <= atol + rtol·inf would call every finite x close to inf
            }
            return Math.abs(x - y) <= atol + rtol * Math.abs(y) ? 1 : 0;
        });
        for (double v : r.data) {
            if (v == 0) {
                return false;
            }
        }
        return true;
    }

    /** {@link #allClose(Tensor, double, double)} with NumPy's defaults {@code rtol = 1e-5, atol = 1e-8}. */
    public boolean allClose(Tensor other) {
        return allClose(other, 1e-5, 1e-8);
    }

    /**
     * NumPy-style text, as {@code print(array)} shows it: nested brackets, elements aligned,
     * summarised with {@code ...} when the tensor has more than 1000 elements (three items kept at
     * each edge). A 0-d tensor prints as a NumPy float64 scalar does ({@code 1.0}, {@code 1e-05}).
     */
    @Override
    public String toString() {
        return TensorFormat.format(this);
    }

    // ------------------------------------------------------------------ helpers

    private int axis(int axis) {
        return Shapes.axis(axis, shape.length, shape);
    }

    int rowLength() {
        return shape.length == 0 ? 1 : shape[shape.length - 1];
    }

    int rowStride() {
        return shape.length == 0 ? 0 : strides[shape.length - 1];
    }

    private Tensor moveAxisLast(int a) {
        if (a == shape.length - 1) {
            return this;
        }
        int[] order = new int[shape.length];
        for (int k = 0, j = 0; k < shape.length; k++) {
            if (k != a) {
                order[j++] = k;
            }
        }
        order[shape.length - 1] = a;
        return permute(order);
    }

    private Tensor moveLastAxisTo(int a) {
        int[] order = new int[shape.length];
        for (int k = 0, j = 0; k < shape.length; k++) {
            order[k] = k == a ? shape.length - 1 : j++;
        }
        return permute(order);
    }

    private static int[] remove(int[] xs, int k) {
        int[] out = new int[xs.length - 1];
        System.arraycopy(xs, 0, out, 0, k);
        System.arraycopy(xs, k + 1, out, k, xs.length - k - 1);
        return out;
    }

    private static int[] concat(int[] xs, int... more) {
        int[] out = Arrays.copyOf(xs, xs.length + more.length);
        System.arraycopy(more, 0, out, xs.length, more.length);
        return out;
    }
}
