package dev.heed.tensor;

import dev.heed.tensor.Reductions.Kind;
import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * An n-dimensional array of {@code double}: NumPy's ndarray in Java.
 *
 * <p>A tensor is a flat {@code double[] data}, an {@code offset}, a {@code shape} and {@code strides} (in elements, not
 * bytes). Element {@code (i0, …, in-1)} lives at
 * <pre>{@code data[offset + i0·strides[0] + … + in-1·strides[n-1]]}</pre>
 * Row-major ("C order") is the default layout: the last axis varies fastest.
 *
 * <p><b>Views and copies.</b> Methods that only rearrange how the data is indexed — {@link #transpose},
 * {@link #permute}, {@link #slice}, {@link #select}, {@link #unsqueeze}, {@link #squeeze}, {@link #broadcastTo}, and
 * {@link #reshape} when the layout allows — return <em>views</em> that share {@code data} with this tensor: writing
 * through one is visible in the other. Every math method returns a new, row-major tensor and leaves its operands
 * unmodified. {@link #copy()} always allocates. Each method's documentation says which it is.
 *
 * <p><b>Axes</b> may be negative and then count from the end: {@code -1} is the last axis. <b>Broadcasting</b>
 * follows NumPy: shapes are aligned at their last axis and a size-1 axis stretches to match the other. It applies to
 * the elementwise operations, to {@link #matmul}'s leading (batch) axes and to {@link #allClose}.
 *
 * <p><b>Limits.</b> A tensor holds at most 2³¹−1 elements; a larger shape is refused with an
 * {@link IllegalArgumentException} when the tensor is created. Bad arguments (an axis out of range, shapes that do
 * not broadcast, an index out of bounds) always give an {@code IllegalArgumentException} whose message names the
 * shapes or values involved.
 *
 * <p><b>IEEE 754.</b> NaN and infinities flow through arithmetic as IEEE 754 says; no method turns a NaN into a
 * number. Reductions follow NumPy: {@link #max(int)} and {@link #min(int)} propagate NaN, {@link #argmax(int)} and
 * {@link #argmin(int)} point at the first NaN.
 *
 * <p><b>Equality.</b> {@code Tensor} does not override {@link Object#equals} and {@link Object#hashCode}: a tensor
 * equals only itself (identity), as elementwise equality of doubles (NaN, ±0) is the caller's choice to make. Compare
 * contents with {@link #allClose(Tensor, double, double)} (within a tolerance, broadcasting) or exactly with
 * {@code Arrays.equals(a.shape(), b.shape()) && Arrays.equals(a.toArray(), b.toArray())}, where NaN equals NaN and
 * {@code 0.0} differs from {@code -0.0}.
 *
 * <p>Tensors are not thread-safe for writing. Sharing a tensor between threads is safe as long as nobody writes to it
 * (or to a view of it).
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
    static Tensor rowMajor(double[] data, int[] shape) {
        return new Tensor(data, 0, shape, Shapes.rowMajorStrides(shape), data.length);
    }

    // ------------------------------------------------------------------ creation

    /**
     * Wraps {@code data} as a row-major tensor, <b>without copying</b>: writes to either show in the other.
     * @param data  the elements in row-major order; its length must equal the product of {@code shape}
     * @param shape the dimensions; no shape at all gives a 0-d (scalar) tensor
     * @return a tensor sharing {@code data}
     * @throws IllegalArgumentException if {@code data} is null, its length does not match or a dimension is negative
     */
    public static Tensor of(double[] data, int... shape) {
        int[] s = shape.clone();
        Shapes.checkLength(data, s);
        return rowMajor(data, s);
    }

    /**
     * Like {@link #of(double[], int...)} but copies {@code data}: the tensor owns its elements.
     * @param data  the elements in row-major order; not modified
     * @param shape the dimensions
     * @return a new tensor
     * @throws IllegalArgumentException as {@link #of(double[], int...)}
     */
    public static Tensor copyOf(double[] data, int... shape) {
        return of(data == null ? null : data.clone(), shape);
    }

    /**
     * A {@code [rows, cols]} tensor copied from a rectangular {@code double[][]}.
     * @param rows the rows, all of one length; not modified
     * @return a new tensor
     * @throws IllegalArgumentException if the rows differ in length
     */
    public static Tensor of(double[][] rows) {
        return Elementwise.of(rows);
    }

    /**
     * A {@code [n, rows, cols]} tensor copied from a rectangular {@code double[][][]}.
     * @param blocks {@code n} matrices of one shape; not modified
     * @return a new tensor
     * @throws IllegalArgumentException if the array is ragged
     */
    public static Tensor of(double[][][] blocks) {
        return Elementwise.of(blocks);
    }

    /**
     * A strided <b>view</b> of {@code data}, no copy: element {@code i} is at
     * {@code data[offset + Σ i[k]·strides[k]]}. Strides may be zero (broadcast) or negative.
     * @param data    the backing array, shared
     * @param offset  where element {@code (0, …, 0)} lives
     * @param shape   the dimensions; copied
     * @param strides one per axis, in elements; copied
     * @return a view of {@code data}
     * @throws IllegalArgumentException if the ranks differ or any element would fall outside {@code data}
     */
    public static Tensor strided(double[] data, int offset, int[] shape, int[] strides) {
        int[] s = shape.clone();
        int n = Shapes.checkStrided(data, offset, s, strides);
        return new Tensor(data, offset, s, strides.clone(), n);
    }

    /** A 0-d (scalar) tensor.
     * @param value the element
     * @return a new 0-d tensor holding {@code value}
     */
    public static Tensor scalar(double value) {
        return rowMajor(new double[] {value}, new int[0]);
    }

    /** A new row-major tensor of zeros.
     * @param shape the dimensions
     * @return a new tensor of zeros
     * @throws IllegalArgumentException if a dimension is negative or there are more than 2³¹−1 elements
     */
    public static Tensor zeros(int... shape) {
        int[] s = shape.clone();
        return rowMajor(new double[Shapes.checkedSize(s)], s);
    }

    /** A new row-major tensor of ones.
     * @param shape the dimensions
     * @return a new tensor of ones
     * @throws IllegalArgumentException as {@link #zeros}
     */
    public static Tensor ones(int... shape) {
        return full(1.0, shape);
    }

    /** A new row-major tensor with every element equal to {@code value}.
     * @param value every element
     * @param shape the dimensions
     * @return a new tensor with every element {@code value}
     * @throws IllegalArgumentException as {@link #zeros}
     */
    public static Tensor full(double value, int... shape) {
        int[] s = shape.clone();
        double[] d = new double[Shapes.checkedSize(s)];
        Arrays.fill(d, value);
        return rowMajor(d, s);
    }

    /** The 1-d tensor {@code [0, 1, …, n-1]}, NumPy's {@code arange(n)}.
     * @param n the length, {@code >= 0}
     * @return the new 1-d tensor {@code [0, 1, …, n-1]}
     * @throws IllegalArgumentException if {@code n} is negative
     */
    public static Tensor arange(int n) {
        double[] d = new double[Shapes.checkedSize(new int[] {n})];
        for (int i = 0; i < n; i++) {
            d[i] = i;
        }
        return rowMajor(d, new int[] {n});
    }

    /**
     * A seeded source of random tensors: {@code Tensor.random(42).normal(2, 5, 16)} is a {@code [2, 5, 16]} tensor of
     * standard normal samples. Seed and shape are given in separate calls so that neither can be mistaken for the
     * other. The same seed gives the same tensors on every JVM; one generator used twice gives two different tensors.
     * @param seed the seed of the underlying {@link java.util.Random}
     * @return a new generator
     */
    public static RandomTensors random(long seed) {
        return new RandomTensors(seed);
    }

    /**
     * The shape two shapes broadcast to under NumPy's rules ({@code np.broadcast_shapes}).
     * @param a one shape; not modified
     * @param b the other; not modified
     * @return a new array
     * @throws IllegalArgumentException naming both shapes if they do not broadcast
     */
    public static int[] broadcastShapes(int[] a, int[] b) {
        return Shapes.broadcast(a, b);
    }

    // ------------------------------------------------------------------ layout

    /** {@return the dimensions, as a new array} */
    public int[] shape() {
        return shape.clone();
    }

    /** The extent of one axis.
     * @param axis an axis; negative counts from the end
     * @return the size of that axis
     * @throws IllegalArgumentException if the axis is out of range
     */
    public int shape(int axis) {
        return shape[axis(axis)];
    }

    /** {@return the number of axes} */
    public int rank() {
        return shape.length;
    }

    /** {@return the number of elements (the product of the shape)} */
    public int size() {
        return size;
    }

    /** {@return the strides in elements, as a new array} */
    public int[] strides() {
        return strides.clone();
    }

    /** {@return where element {@code (0, …, 0)} lives in {@link #data()}} */
    public int offset() {
        return offset;
    }

    /**
     * {@return the backing array itself, shared, not copied} The elements live at the positions the class documentation
     * gives; other positions may belong to other views. Meant for kernels; most code wants {@link #toArray()}.
     */
    public double[] data() {
        return data;
    }

    /** {@return whether the elements lie row-major without gaps (size-1 axes aside; empty counts as contiguous)} */
    public boolean isContiguous() {
        return Shapes.isContiguous(shape, strides, size);
    }

    // ------------------------------------------------------------------ elements

    /** One element, by its index on every axis.
     * @param index one index per axis; negative indices count from the end
     * @return the element at {@code index}
     * @throws IllegalArgumentException if the number of indices is not the rank or one is out of range
     */
    public double get(int... index) {
        return data[offset + Shapes.flatOffset(index, shape, strides)];
    }

    /**
     * Writes {@code value} at {@code index}: <b>modifies</b> the tensor and every view sharing the element (a broadcast
     * view shares it among many indices).
     * @param value the new element
     * @param index one index per axis; negative indices count from the end
     * @throws IllegalArgumentException as {@link #get}
     */
    public void set(double value, int... index) {
        data[offset + Shapes.flatOffset(index, shape, strides)] = value;
    }

    /** The only element, as a {@code double}.
     * @return the only element of a tensor with exactly one element (of any rank)
     * @throws IllegalArgumentException if the tensor has another number of elements
     */
    public double item() {
        if (size != 1) {
            throw new IllegalArgumentException("item() needs exactly one element, shape is " + Shapes.str(shape));
        }
        return data[offset];
    }

    /** {@return the elements in row-major order, as a new array (a copy, whatever the layout)} */
    public double[] toArray() {
        return Elementwise.toArray(this);
    }

    /** {@return a new row-major tensor with the same elements; always allocates} */
    public Tensor copy() {
        return rowMajor(toArray(), shape.clone());
    }

    /** {@return this tensor if it is already {@linkplain #isContiguous() contiguous}, else a row-major copy} */
    public Tensor contiguous() {
        return isContiguous() ? this : copy();
    }

    // ------------------------------------------------------------------ views

    /**
     * The same elements in a new shape (row-major order): a <b>view</b> when the strides allow it (always for a
     * contiguous tensor), else a <b>copy</b> — as {@code torch.reshape} does.
     * @param newShape the dimensions; one entry may be {@code -1}, inferred from the others
     * @return a view or a new tensor
     * @throws IllegalArgumentException if the element counts differ
     */
    public Tensor reshape(int... newShape) {
        int[] s = Shapes.reshaped(shape, size, newShape);
        int[] st = Shapes.viewStrides(shape, strides, size, s);
        return st != null ? new Tensor(data, offset, s, st, size) : rowMajor(toArray(), s);
    }

    /** {@return {@link #reshape} to one axis: a view when possible, else a copy} */
    public Tensor flatten() {
        return reshape(-1);
    }

    /** Swaps two axes: a view, no data copied.
     * @param axis0 one axis (negative allowed)
     * @param axis1 the other
     * @return a <b>view</b> with the two axes swapped
     * @throws IllegalArgumentException if an axis is out of range
     */
    public Tensor transpose(int axis0, int axis1) {
        int a = axis(axis0);
        int b = axis(axis1);
        return new Tensor(data, offset, Shapes.swap(shape, a, b), Shapes.swap(strides, a, b), size);
    }

    /** Reorders the axes: a view, no data copied.
     * @param order every axis once (negative allowed): axis {@code k} of the result is this tensor's {@code order[k]}
     * @return a <b>view</b> with the axes reordered
     * @throws IllegalArgumentException if {@code order} does not name every axis exactly once
     */
    public Tensor permute(int... order) {
        int[] axes = Shapes.permutation(order, shape);
        return new Tensor(data, offset, Shapes.pick(shape, axes), Shapes.pick(strides, axes), size);
    }

    /**
     * {@link #slice(int, int, int, int)} with step 1.
     * @param axis  the axis to slice
     * @param start first index kept; negative counts from the end of the axis
     * @param end   first index dropped; negative counts from the end of the axis
     * @return a <b>view</b> of indices {@code [start, end)} along {@code axis}
     * @throws IllegalArgumentException unless {@code 0 <= start <= end <= shape(axis)} after that adjustment
     */
    public Tensor slice(int axis, int start, int end) {
        return slice(axis, start, end, 1);
    }

    /** Every {@code step}-th index of {@code [start, end)} along one axis: a view.
     * @param axis  the axis to slice
     * @param start first index kept; negative counts from the end of the axis
     * @param end   indices from here on are dropped; negative counts from the end of the axis
     * @param step  {@code > 0}
     * @return a <b>view</b> of indices {@code start, start+step, …} below {@code end} along {@code axis}
     * @throws IllegalArgumentException if the range is out of bounds or {@code step <= 0}
     */
    public Tensor slice(int axis, int start, int end, int step) {
        int a = axis(axis);
        int[] range = Shapes.sliceRange(axis, start, end, step, shape);
        int[] s = shape.clone();
        s[a] = range[1];
        int[] st = strides.clone();
        st[a] = strides[a] * step;
        int n = Shapes.size(s);
        return new Tensor(data, n == 0 ? offset : offset + range[0] * strides[a], s, st, n);
    }

    /** Fixes one axis at one index and removes it: a view of rank one less.
     * @param axis  the axis to index
     * @param index the position along it; negative counts from the end
     * @return a <b>view</b> at {@code index} along {@code axis}, with that axis removed (rank − 1)
     * @throws IllegalArgumentException if the axis or the index is out of range
     */
    public Tensor select(int axis, int index) {
        int a = axis(axis);
        int i = Shapes.index(index, axis, shape);
        return new Tensor(
                data, offset + i * strides[a], Shapes.remove(shape, a), Shapes.remove(strides, a), size / shape[a]);
    }

    /** Inserts an axis of size 1: a view.
     * @param axis where the new axis goes, in {@code [-(rank+1), rank]}; {@code -1} appends one
     * @return a <b>view</b> with a new size-1 axis at position {@code axis}
     * @throws IllegalArgumentException if the position is out of range
     */
    public Tensor unsqueeze(int axis) {
        int a = Shapes.insertionAxis(axis, shape);
        return new Tensor(data, offset, Shapes.insert(shape, a, 1), Shapes.insert(strides, a, 0), size);
    }

    /** Removes one axis of size 1: a view.
     * @param axis an axis of size 1
     * @return a <b>view</b> without that axis
     * @throws IllegalArgumentException if the axis is out of range or not of size 1
     */
    public Tensor squeeze(int axis) {
        int a = Shapes.squeezableAxis(axis, shape);
        return new Tensor(data, offset, Shapes.remove(shape, a), Shapes.remove(strides, a), size);
    }

    /** {@return a <b>view</b> without any size-1 axes} */
    public Tensor squeeze() {
        int[] keep = Shapes.nonUnitAxes(shape);
        return new Tensor(data, offset, Shapes.pick(shape, keep), Shapes.pick(strides, keep), size);
    }

    /**
     * A <b>view</b> stretched to {@code target} by NumPy's rules: new axes are prepended and size-1 axes repeat with
     * stride 0, so no memory is copied. Writing into a broadcast view writes the shared element.
     * @param target the shape to stretch to
     * @return a view of shape {@code target}
     * @throws IllegalArgumentException if this shape does not broadcast to {@code target}
     */
    public Tensor broadcastTo(int... target) {
        int[] t = target.clone();
        int n = Shapes.checkedSize(t);
        return new Tensor(data, offset, t, Shapes.broadcastStrides(shape, strides, t), n);
    }

    // ------------------------------------------------------------------ elementwise math

    /** Elementwise sum with NumPy broadcasting, as a new tensor.
     * @param other the right operand
     * @return a new tensor {@code this + other}, broadcast
     * @throws IllegalArgumentException if the shapes do not broadcast
     */
    public Tensor add(Tensor other) {
        return Elementwise.zip(this, other, "add", (x, y) -> x + y);
    }

    /** Elementwise difference with NumPy broadcasting, as a new tensor.
     * @param other the right operand
     * @return a new tensor {@code this - other}, broadcast
     * @throws IllegalArgumentException if the shapes do not broadcast
     */
    public Tensor sub(Tensor other) {
        return Elementwise.zip(this, other, "sub", (x, y) -> x - y);
    }

    /** Elementwise product with NumPy broadcasting, as a new tensor.
     * @param other the right operand
     * @return a new tensor {@code this * other} elementwise, broadcast
     * @throws IllegalArgumentException if the shapes do not broadcast
     */
    public Tensor mul(Tensor other) {
        return Elementwise.zip(this, other, "mul", (x, y) -> x * y);
    }

    /** Elementwise quotient with NumPy broadcasting, as a new tensor.
     * @param other the divisor
     * @return a new tensor {@code this / other} elementwise, broadcast (IEEE division: x/0 is ±∞ or NaN)
     * @throws IllegalArgumentException if the shapes do not broadcast
     */
    public Tensor div(Tensor other) {
        return Elementwise.zip(this, other, "div", (x, y) -> x / y);
    }

    /** Adds a constant to every element, as a new tensor.
     * @param value added to every element
     * @return a new tensor {@code this + value}
     */
    public Tensor add(double value) {
        return map(x -> x + value);
    }

    /** Multiplies every element by a constant, as a new tensor.
     * @param factor every element is multiplied by it
     * @return a new tensor {@code this · factor}
     */
    public Tensor scale(double factor) {
        return map(x -> x * factor);
    }

    /** {@return a new tensor {@code -this}} */
    public Tensor neg() {
        return map(x -> -x);
    }

    /** {@return a new tensor of {@code e^x} elementwise} */
    public Tensor exp() {
        return map(Math::exp);
    }

    /** {@return a new tensor of the natural logarithm elementwise ({@code log 0 = -∞}, negative → NaN)} */
    public Tensor log() {
        return map(Math::log);
    }

    /** {@return a new tensor of the hyperbolic tangent elementwise} */
    public Tensor tanh() {
        return map(Math::tanh);
    }

    /** Applies a function to every element, as a new tensor.
     * @param f applied to every element, in row-major order
     * @return {@code f(x)} for every element, a new row-major tensor of this shape
     */
    public Tensor map(DoubleUnaryOperator f) {
        return Elementwise.map(this, f);
    }

    /** Combines two tensors element by element with NumPy broadcasting, as a new tensor.
     * @param other the second operand
     * @param f     applied to every pair of elements of the two tensors broadcast together
     * @return {@code f(x, y)} for every pair, a new row-major tensor of the broadcast shape
     * @throws IllegalArgumentException if the shapes do not broadcast
     */
    public Tensor zip(Tensor other, DoubleBinaryOperator f) {
        return Elementwise.zip(this, other, "zip", f);
    }

    /**
     * Matrix product by NumPy's {@code matmul} rules: {@code [..., n, k] @ [..., k, m] → [..., n, m]}, batch axes
     * broadcast; a 1-d left operand is a row vector, a 1-d right one a column vector, and that axis is dropped from the
     * result. Either operand may be non-contiguous (transposed, sliced, broadcast).
     * @param other the right operand
     * @return a new row-major tensor
     * @throws IllegalArgumentException if an operand is 0-d, the inner sizes differ or the batch axes do not broadcast
     */
    public Tensor matmul(Tensor other) {
        return Products.matmul(this, other);
    }

    // ------------------------------------------------------------------ reductions

    /** {@return the sum of all elements (0 for an empty tensor)} */
    public double sum() {
        return Reductions.all(this, Kind.SUM);
    }

    /** {@return the mean of all elements (NaN for an empty tensor, as NumPy)} */
    public double mean() {
        return Reductions.all(this, Kind.MEAN);
    }

    /** The largest element.
     * @return the largest element; NaN if any element is NaN
     * @throws IllegalArgumentException if the tensor is empty
     */
    public double max() {
        return Reductions.all(this, Kind.MAX);
    }

    /** The smallest element.
     * @return the smallest element; NaN if any element is NaN
     * @throws IllegalArgumentException if the tensor is empty
     */
    public double min() {
        return Reductions.all(this, Kind.MIN);
    }

    /** Where the largest element is.
     * @return the row-major (flat) index of the largest element, the first on ties, the first NaN if any: NumPy's
     *         {@code argmax} without an axis
     * @throws IllegalArgumentException if the tensor is empty
     */
    public int argmax() {
        return (int) Reductions.all(this, Kind.ARGMAX);
    }

    /** Where the smallest element is.
     * @return the row-major (flat) index of the smallest element, the first on ties, the first NaN if any: NumPy's
     *         {@code argmin} without an axis
     * @throws IllegalArgumentException if the tensor is empty
     */
    public int argmin() {
        return (int) Reductions.all(this, Kind.ARGMIN);
    }

    /** Sums over one axis.
     * @param axis the axis to sum over, removed from the result
     * @return a new tensor of sums (0 over an empty axis)
     * @throws IllegalArgumentException if the axis is out of range
     */
    public Tensor sum(int axis) {
        return Reductions.along(this, axis, Kind.SUM);
    }

    /** Averages over one axis.
     * @param axis the axis to average over, removed from the result
     * @return a new tensor of means (NaN over an empty axis)
     * @throws IllegalArgumentException if the axis is out of range
     */
    public Tensor mean(int axis) {
        return Reductions.along(this, axis, Kind.MEAN);
    }

    /** The largest element along one axis.
     * @param axis the axis to reduce, removed from the result
     * @return a new tensor of maxima; NaN for a row containing NaN
     * @throws IllegalArgumentException if the axis is out of range or empty
     */
    public Tensor max(int axis) {
        return Reductions.along(this, axis, Kind.MAX);
    }

    /** The smallest element along one axis.
     * @param axis the axis to reduce, removed from the result
     * @return a new tensor of minima; NaN for a row containing NaN
     * @throws IllegalArgumentException if the axis is out of range or empty
     */
    public Tensor min(int axis) {
        return Reductions.along(this, axis, Kind.MIN);
    }

    /** Where the largest element along one axis is.
     * @param axis the axis to reduce, removed from the result
     * @return a new tensor of the indices of the maxima along {@code axis} (first of ties, first NaN if any)
     * @throws IllegalArgumentException if the axis is out of range or empty
     */
    public Tensor argmax(int axis) {
        return Reductions.along(this, axis, Kind.ARGMAX);
    }

    /** Where the smallest element along one axis is.
     * @param axis the axis to reduce, removed from the result
     * @return a new tensor of the indices of the minima along {@code axis} (first of ties, first NaN if any)
     * @throws IllegalArgumentException if the axis is out of range or empty
     */
    public Tensor argmin(int axis) {
        return Reductions.along(this, axis, Kind.ARGMIN);
    }

    /** {@code log Σ exp} over one axis, computed stably (the maximum is subtracted first).
     * @param axis the axis to reduce, removed from the result
     * @return a new tensor of {@code log Σ exp(x)}, computed stably (row maximum factored out); {@code -∞} for a row of
     *         {@code -∞} or an empty axis, NaN for a row holding NaN
     * @throws IllegalArgumentException if the axis is out of range
     */
    public Tensor logSumExp(int axis) {
        return Reductions.along(this, axis, Kind.LOG_SUM_EXP);
    }

    /**
     * Softmax along {@code axis}, computed stably (row maximum subtracted first), so logits of ±1e6 give exact, finite
     * weights. A row of only {@code -∞} gives zeros, not NaN; a row holding NaN or {@code +∞} gives NaN, as IEEE
     * arithmetic does. The same bits on every JVM, with or without the Vector API.
     * @param axis the axis each softmax runs along
     * @return a new row-major tensor of this shape
     * @throws IllegalArgumentException if the axis is out of range
     */
    public Tensor softmax(int axis) {
        return Reductions.softmax(this, axis);
    }

    /**
     * Whether every pair of elements (broadcast together) satisfies {@code |a - b| <= atol + rtol·|b|}, NumPy's
     * {@code allclose}. Equal infinities are close; NaN is close to nothing.
     * @param other the tensor compared with, {@code b} above
     * @param rtol  the relative tolerance
     * @param atol  the absolute tolerance
     * @return whether all elements are close
     * @throws IllegalArgumentException if the shapes do not broadcast
     */
    public boolean allClose(Tensor other, double rtol, double atol) {
        return Elementwise.allClose(this, other, rtol, atol);
    }

    /**
     * {@link #allClose(Tensor, double, double)} with NumPy's defaults {@code rtol = 1e-5, atol = 1e-8}.
     * @param other the tensor compared with
     * @return whether all elements are close
     * @throws IllegalArgumentException if the shapes do not broadcast
     */
    public boolean allClose(Tensor other) {
        return allClose(other, 1e-5, 1e-8);
    }

    /**
     * NumPy-style text, as {@code print(array)} shows it: nested brackets, elements aligned, summarised with
     * {@code ...} past 1000 elements (three items kept at each edge). A 0-d tensor prints as a NumPy float64 scalar
     * ({@code 1.0}, {@code 1e-05}). An empty tensor prints {@code []} and, unless it is 1-d, its shape, as NumPy's
     * {@code repr} does: {@code Tensor.zeros(0, 4)} is {@code [], shape=(0, 4)}.
     * @return the text, without a trailing newline
     */
    @Override
    public String toString() {
        return TensorFormat.format(this);
    }

    private int axis(int axis) {
        return Shapes.axis(axis, shape.length, shape);
    }
}
