package dev.heed.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Independent references for the tensor tests: multi-index loops, element reads through the
 * documented index formula {@code data[offset + Σ i[k]·strides[k]]}, and builders that lay the
 * same logical values out in awkward ways (transposed, stepped, negative strides, selected,
 * reshaped views). Nothing here calls the math under test.
 */
final class TensorTesting {
    private TensorTesting() {}

    /** Sizes that catch off-by-one, tail and blocking mistakes. */
    static final int[] ODD_SIZES = {0, 1, 3, 7, 13, 64, 65, 257};

    /** The value that fills every slot of a backing array that no view element should read. */
    static final double GARBAGE = Double.NaN;

    // ------------------------------------------------------------------ indices

    /** Number of elements of {@code shape}, computed naively. */
    static int count(int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** Calls {@code f} with every multi-index of {@code shape} in row-major order (one call for rank 0). */
    static void forEachIndex(int[] shape, Consumer<int[]> f) {
        if (count(shape) == 0) {
            return;
        }
        int[] idx = new int[shape.length];
        while (true) {
            f.accept(idx.clone());
            int k = shape.length - 1;
            while (k >= 0 && ++idx[k] == shape[k]) {
                idx[k] = 0;
                k--;
            }
            if (k < 0) {
                return;
            }
        }
    }

    /** Every multi-index of {@code shape}, row-major. */
    static List<int[]> indices(int... shape) {
        List<int[]> out = new ArrayList<>();
        forEachIndex(shape, out::add);
        return out;
    }

    /** Row-major flat position of {@code idx} in {@code shape}. */
    static int flat(int[] shape, int[] idx) {
        int p = 0;
        for (int k = 0; k < shape.length; k++) {
            p = p * shape[k] + idx[k];
        }
        return p;
    }

    /** Row-major strides of {@code shape}, by hand. */
    static int[] rowMajor(int[] shape) {
        int[] st = new int[shape.length];
        int s = 1;
        for (int k = shape.length - 1; k >= 0; k--) {
            st[k] = s;
            s *= Math.max(1, shape[k]);
        }
        return st;
    }

    static int[] concat(int[] a, int... b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    // ------------------------------------------------------------------ reading

    /** The element at {@code idx}, read through the documented index formula (not {@link Tensor#get}). */
    static double ref(Tensor t, int... idx) {
        int[] st = t.strides();
        long p = t.offset();
        for (int k = 0; k < idx.length; k++) {
            p += (long) idx[k] * st[k];
        }
        return t.data()[(int) p];
    }

    /** All elements in row-major order, read through the index formula. */
    static double[] values(Tensor t) {
        int[] shape = t.shape();
        double[] out = new double[count(shape)];
        forEachIndex(shape, idx -> out[flat(shape, idx)] = ref(t, idx));
        return out;
    }

    // ------------------------------------------------------------------ data

    /** {@code n} values uniform in [-2, 2) from {@link Random}, independent of Tensor's generators. */
    static double[] random(long seed, int n) {
        Random r = new Random(seed * 0x9E3779B97F4A7C15L + 17);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = 4 * r.nextDouble() - 2;
        }
        return out;
    }

    /** {@code 0, 1, 2, …} as doubles: handy when a test wants to see which element went where. */
    static double[] iota(int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = i;
        }
        return out;
    }

    // ------------------------------------------------------------------ layouts

    /** Ways to store the same logical values; every non-contiguous one leaves garbage in the gaps. */
    enum Layout {
        /** {@code Tensor.of}, row-major. */
        CONTIGUOUS,
        /** A row-major tensor of the reversed shape, viewed through {@code permute(n-1, …, 0)}. */
        PERMUTED,
        /** Row-major of a 2-d+1-larger shape, viewed through {@code slice(axis, 1, 2d+1, 2)} on every axis. */
        STEPPED,
        /** {@code Tensor.strided} with negative strides of twice the row-major size, elements reversed. */
        NEGATIVE,
        /** A size-3 axis inserted in the middle, viewed through {@code select(mid, -2)}. */
        SELECTED,
        /** A stride-2 one-axis slice {@code reshape}d (as a view) to the shape. */
        RESHAPED,
        /** Last two axes stored swapped, viewed through {@code transpose(-1, -2)}. */
        TRANSPOSED;
    }

    /** A tensor of {@code shape} whose row-major elements are {@code values}, stored as {@code layout} says. */
    static Tensor layout(Layout layout, double[] values, int... shape) {
        int n = count(shape);
        if (values.length != n) {
            throw new IllegalArgumentException("test bug: " + values.length + " values for " + Arrays.toString(shape));
        }
        int rank = shape.length;
        switch (layout) {
            case CONTIGUOUS:
                return Tensor.of(values.clone(), shape);
            case PERMUTED: {
                int[] rev = new int[rank];
                int[] order = new int[rank];
                for (int k = 0; k < rank; k++) {
                    rev[k] = shape[rank - 1 - k];
                    order[k] = rank - 1 - k;
                }
                double[] base = new double[n];
                forEachIndex(shape, idx -> {
                    int[] r = new int[rank];
                    for (int k = 0; k < rank; k++) {
                        r[k] = idx[rank - 1 - k];
                    }
                    base[flat(rev, r)] = values[flat(shape, idx)];
                });
                return Tensor.of(base, rev).permute(order);
            }
            case TRANSPOSED: {
                if (rank < 2) {
                    return Tensor.of(values.clone(), shape);
                }
                int[] sw = shape.clone();
                sw[rank - 1] = shape[rank - 2];
                sw[rank - 2] = shape[rank - 1];
                double[] base = new double[n];
                forEachIndex(shape, idx -> {
                    int[] s = idx.clone();
                    s[rank - 1] = idx[rank - 2];
                    s[rank - 2] = idx[rank - 1];
                    base[flat(sw, s)] = values[flat(shape, idx)];
                });
                return Tensor.of(base, sw).transpose(-1, -2);
            }
            case STEPPED: {
                int[] big = new int[rank];
                for (int k = 0; k < rank; k++) {
                    big[k] = 2 * shape[k] + 1;
                }
                double[] base = new double[count(big)];
                Arrays.fill(base, GARBAGE);
                forEachIndex(shape, idx -> {
                    int[] b = new int[rank];
                    for (int k = 0; k < rank; k++) {
                        b[k] = 2 * idx[k] + 1;
                    }
                    base[flat(big, b)] = values[flat(shape, idx)];
                });
                Tensor t = Tensor.of(base, big);
                for (int k = 0; k < rank; k++) {
                    t = t.slice(k, 1, big[k], 2);
                }
                return t;
            }
            case NEGATIVE: {
                int[] rm = rowMajor(shape);
                int[] st = new int[rank];
                for (int k = 0; k < rank; k++) {
                    st[k] = -2 * rm[k];
                }
                double[] base = new double[2 * n + 1];
                Arrays.fill(base, GARBAGE);
                int offset = Math.max(0, 2 * (n - 1) + 1);
                forEachIndex(shape, idx -> {
                    int p = offset;
                    for (int k = 0; k < rank; k++) {
                        p += idx[k] * st[k];
                    }
                    base[p] = values[flat(shape, idx)];
                });
                return Tensor.strided(base, offset, shape, st);
            }
            case SELECTED: {
                int mid = rank / 2;
                int[] big = new int[rank + 1];
                for (int k = 0, j = 0; k <= rank; k++) {
                    big[k] = k == mid ? 3 : shape[j++];
                }
                double[] base = new double[count(big)];
                Arrays.fill(base, GARBAGE);
                forEachIndex(shape, idx -> {
                    int[] b = new int[rank + 1];
                    for (int k = 0, j = 0; k <= rank; k++) {
                        b[k] = k == mid ? 1 : idx[j++];
                    }
                    base[flat(big, b)] = values[flat(shape, idx)];
                });
                return Tensor.of(base, big).select(mid, -2);
            }
            case RESHAPED: {
                double[] base = new double[2 * n + 1];
                Arrays.fill(base, GARBAGE);
                for (int i = 0; i < n; i++) {
                    base[2 * i + 1] = values[i];
                }
                return Tensor.of(base, 2 * n + 1).slice(0, 1, 2 * n + 1, 2).reshape(shape);
            }
            default:
                throw new AssertionError(layout);
        }
    }

    // ------------------------------------------------------------------ assertions

    /** Same shape and, element by element, the same value (NaN matches NaN; +0 matches -0). */
    static void assertExact(Tensor actual, int[] shape, double[] expected, String what) {
        assertThat(actual.shape()).as("%s: shape", what).containsExactly(shape);
        double[] a = values(actual);
        List<int[]> idx = indices(shape);
        for (int i = 0; i < expected.length; i++) {
            boolean ok = Double.isNaN(expected[i]) ? Double.isNaN(a[i]) : a[i] == expected[i];
            if (!ok) {
                fail("%s: at %s expected %s but was %s", what, Arrays.toString(idx.get(i)), expected[i], a[i]);
            }
        }
    }

    /**
     * Same shape and {@code |a - e| <= abs + rel·|e|} per element; infinities must match exactly,
     * NaN only NaN.
     */
    static void assertClose(Tensor actual, int[] shape, double[] expected, double rel, double abs, String what) {
        assertThat(actual.shape()).as("%s: shape", what).containsExactly(shape);
        double[] a = values(actual);
        List<int[]> idx = indices(shape);
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            boolean ok;
            if (Double.isNaN(e)) {
                ok = Double.isNaN(a[i]);
            } else if (Double.isInfinite(e)) {
                ok = a[i] == e;
            } else {
                ok = Math.abs(a[i] - e) <= abs + rel * Math.abs(e);
            }
            if (!ok) {
                fail(
                        "%s: at %s expected %s but was %s (difference %s)",
                        what, Arrays.toString(idx.get(i)), e, a[i], a[i] - e);
            }
        }
    }
}
