package dev.heed.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Shared helpers of the kernel tests: the kernels under test, inputs in awkward layouts, and
 * element-by-element comparisons with {@link NaiveAttention} that name the index that fails.
 */
final class AttentionChecks {
    private AttentionChecks() {}

    /** Relative and absolute tolerance of every kernel against the naive reference. */
    static final double TOL = 1e-12;

    /** The chunk sizes ChunkedAttention is exercised with: degenerate, odd, and larger than the problem. */
    static final int[][] CHUNKS = {{1, 1}, {1, 7}, {3, 5}, {7, 2}, {64, 64}, {1000, 1000}};

    /** A kernel with a readable name. */
    record Kernel(String name, Attention attention) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** ScaledDotProductAttention, ChunkedAttention() and ChunkedAttention at every {@link #CHUNKS} size. */
    static List<Kernel> kernels(double scale) {
        boolean custom = !Double.isNaN(scale);
        List<Kernel> out = new ArrayList<>();
        ScaledDotProductAttention sdpa = new ScaledDotProductAttention();
        out.add(new Kernel("ScaledDotProductAttention", custom ? sdpa.withScale(scale) : sdpa));
        ChunkedAttention chunked = new ChunkedAttention();
        out.add(new Kernel("ChunkedAttention()", custom ? chunked.withScale(scale) : chunked));
        for (int[] c : CHUNKS) {
            ChunkedAttention a = new ChunkedAttention(c[0], c[1]);
            out.add(new Kernel("ChunkedAttention(" + c[0] + "," + c[1] + ")", custom ? a.withScale(scale) : a));
        }
        return out;
    }

    static List<Kernel> kernels() {
        return kernels(Double.NaN);
    }

    /** A smaller set for large sweeps: the full kernel, the default tiling, and one odd tiling. */
    static List<Kernel> fewKernels() {
        return List.of(
                new Kernel("ScaledDotProductAttention", new ScaledDotProductAttention()),
                new Kernel("ChunkedAttention()", new ChunkedAttention()),
                new Kernel("ChunkedAttention(7,2)", new ChunkedAttention(7, 2)));
    }

    // ------------------------------------------------------------------ inputs

    /** How an input tensor is laid out in memory; the values are random either way. */
    enum Layout {
        /** Fresh row-major. */
        CONTIGUOUS,
        /** A transpose of a [..., cols, rows] tensor: column stride != 1. */
        TRANSPOSED,
        /** Every other row and every third column of a larger tensor, at a nonzero offset. */
        STEP_SLICED,
        /** All axes reversed in memory, then permuted back. */
        PERMUTED,
        /** One element of a larger leading axis: contiguous but at an offset. */
        OFFSET
    }

    static Tensor random(long seed, Layout layout, int... shape) {
        int r = shape.length;
        switch (layout) {
            case CONTIGUOUS:
                return Tensor.random(seed).normal(shape);
            case TRANSPOSED: {
                int[] s = shape.clone();
                s[r - 2] = shape[r - 1];
                s[r - 1] = shape[r - 2];
                return Tensor.random(seed).normal(s).transpose(-1, -2);
            }
            case STEP_SLICED: {
                int[] s = shape.clone();
                s[r - 2] = 2 * shape[r - 2] + 1;
                s[r - 1] = 3 * shape[r - 1];
                return Tensor.random(seed).normal(s).slice(-2, 1, s[r - 2], 2).slice(-1, 0, s[r - 1], 3);
            }
            case PERMUTED: {
                int[] s = new int[r];
                int[] order = new int[r];
                for (int k = 0; k < r; k++) {
                    s[k] = shape[r - 1 - k];
                    order[k] = r - 1 - k;
                }
                return Tensor.random(seed).normal(s).permute(order);
            }
            case OFFSET: {
                int[] s = new int[r + 1];
                s[0] = 3;
                System.arraycopy(shape, 0, s, 1, r);
                return Tensor.random(seed).normal(s).select(0, 2);
            }
            default:
                throw new AssertionError(layout);
        }
    }

    static Tensor random(long seed, int... shape) {
        return random(seed, Layout.CONTIGUOUS, shape);
    }

    /** A 0/1 tensor, each element 1 with probability {@code p}. */
    static Tensor bits(long seed, double p, int... shape) {
        return Tensor.random(seed).uniform(0, 1, shape).map(x -> x < p ? 1.0 : 0.0);
    }

    static Tensor filled(double value, int[] shape, int[] index, double at) {
        Tensor t = Tensor.full(value, shape);
        t.set(at, index);
        return t;
    }

    // ------------------------------------------------------------------ comparisons

    /** Runs {@code kernel} and the naive reference on the same inputs and compares all three results. */
    static AttentionResult checkAgainstNaive(
            String context, Attention kernel, Tensor q, Tensor k, Tensor v, NaiveAttention.Spec mask, double scale) {
        NaiveAttention.Result expected = NaiveAttention.attend(q, k, v, mask, scale);
        double[] qBefore = q.data().clone();
        double[] kBefore = k.data().clone();
        double[] vBefore = v.data().clone();
        AttentionResult actual = kernel.apply(q, k, v, mask.toMask());
        assertSame(context, expected, actual);
        assertThat(q.data()).as("%s: query modified", context).isEqualTo(qBefore);
        assertThat(k.data()).as("%s: key modified", context).isEqualTo(kBefore);
        assertThat(v.data()).as("%s: value modified", context).isEqualTo(vBefore);
        return actual;
    }

    /** Output, weights and logSumExp of {@code actual} equal the reference's within {@link #TOL}. */
    static void assertSame(String context, NaiveAttention.Result expected, AttentionResult actual) {
        assertClose(context + " output", expected.output(), expected.outputShape(), actual.output());
        assertClose(context + " logSumExp", expected.logSumExp(), expected.logSumExpShape(), actual.logSumExp());
        assertClose(context + " weights", expected.weights(), expected.weightsShape(), actual.weights());
    }

    static void assertClose(String context, double[] expected, int[] shape, Tensor actual) {
        assertClose(context, expected, shape, actual, TOL);
    }

    /**
     * Same shape, and per element: NaN where expected NaN, the same infinity, else within
     * {@code tol + tol·|expected|}.
     */
    static void assertClose(String context, double[] expected, int[] shape, Tensor actual, double tol) {
        assertThat(actual.shape()).as("%s: shape", context).containsExactly(shape);
        double[] a = actual.toArray();
        List<String> bad = new ArrayList<>();
        int count = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            boolean ok = Double.isNaN(e)
                    ? Double.isNaN(a[i])
                    : Double.isInfinite(e) ? a[i] == e : Math.abs(a[i] - e) <= tol + tol * Math.abs(e);
            if (!ok) {
                count++;
                if (bad.size() < 8) {
                    bad.add(Arrays.toString(unravel(i, shape)) + " expected " + e + " but was " + a[i]);
                }
            }
        }
        if (count > 0) {
            fail(context + ": " + count + " of " + expected.length + " elements of shape " + Arrays.toString(shape)
                    + " differ, e.g. " + bad);
        }
    }

    /** Bitwise equality of two tensors (shape and every bit of every element). */
    static void assertBitwise(String context, Tensor expected, Tensor actual) {
        assertThat(actual.shape()).as("%s: shape", context).containsExactly(expected.shape());
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            if (Double.doubleToRawLongBits(e[i]) != Double.doubleToRawLongBits(a[i])) {
                fail(context + ": element " + Arrays.toString(unravel(i, expected.shape())) + " is " + a[i]
                        + ", not bitwise " + e[i]);
            }
        }
    }

    static void assertNoNaN(String context, Tensor t) {
        double[] a = t.toArray();
        for (int i = 0; i < a.length; i++) {
            if (Double.isNaN(a[i])) {
                fail(context + ": NaN at " + Arrays.toString(unravel(i, t.shape())) + " of shape "
                        + Arrays.toString(t.shape()));
            }
        }
    }

    /** No NaN anywhere, each weights row sums to 1 — or is all exactly 0 with logSumExp -inf and output 0. */
    static void assertWellFormed(String context, AttentionResult r) {
        assertNoNaN(context + " output", r.output());
        assertNoNaN(context + " weights", r.weights());
        assertNoNaN(context + " logSumExp", r.logSumExp());
        int[] ws = r.weights().shape();
        int S = ws[ws.length - 1];
        int dv = r.output().shape(-1);
        double[] w = r.weights().toArray();
        double[] lse = r.logSumExp().toArray();
        double[] out = r.output().toArray();
        for (int row = 0; row < lse.length; row++) {
            double sum = 0;
            for (int j = 0; j < S; j++) {
                double x = w[row * S + j];
                assertThat(x).as("%s: weight %d of row %d", context, j, row).isBetween(0.0, 1.0);
                sum += x;
            }
            if (lse[row] == Double.NEGATIVE_INFINITY) {
                assertThat(sum)
                        .as("%s: weights of fully blocked row %d", context, row)
                        .isEqualTo(0.0);
                for (int c = 0; c < dv; c++) {
                    assertThat(out[row * dv + c])
                            .as("%s: output of fully blocked row %d", context, row)
                            .isEqualTo(0.0);
                }
            } else {
                assertThat(sum)
                        .as("%s: sum of weights of row %d", context, row)
                        .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-12 * Math.max(1, S)));
            }
        }
    }

    static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int k = shape.length - 1; k >= 0; k--) {
            if (shape[k] == 0) {
                return idx;
            }
            idx[k] = flat % shape[k];
            flat /= shape[k];
        }
        return idx;
    }

    static int[] shape(int... dims) {
        return dims;
    }
}
