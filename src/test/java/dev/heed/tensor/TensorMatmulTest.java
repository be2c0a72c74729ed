package dev.heed.tensor;

import static dev.heed.tensor.TensorTesting.count;
import static dev.heed.tensor.TensorTesting.flat;
import static dev.heed.tensor.TensorTesting.forEachIndex;
import static dev.heed.tensor.TensorTesting.layout;
import static dev.heed.tensor.TensorTesting.random;
import static dev.heed.tensor.TensorTesting.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.heed.tensor.TensorTesting.Layout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link Tensor#matmul} against a naive triple loop with NumPy's {@code matmul} shape rules. */
class TensorMatmulTest {

    /** Relative tolerance, against {@code Σ |a_ip·b_pj|} of each output element. */
    static final double REL = 1e-12;

    /** The expected result: values and shape, plus the magnitude {@code Σ|a·b|} of each element. */
    record Expected(int[] shape, double[] values, double[] magnitude) {}

    /** NumPy matmul by definition: promote 1-d operands, broadcast batch axes, loop, drop promoted axes. */
    static Expected naive(double[] a, int[] as, double[] b, int[] bs) {
        int[] pa = as.length == 1 ? new int[] {1, as[0]} : as;
        int[] pb = bs.length == 1 ? new int[] {bs[0], 1} : bs;
        int n = pa[pa.length - 2];
        int k = pa[pa.length - 1];
        int m = pb[pb.length - 1];
        if (pb[pb.length - 2] != k) {
            throw new AssertionError("test bug: inner dimensions");
        }
        int[] batchA = Arrays.copyOf(pa, pa.length - 2);
        int[] batchB = Arrays.copyOf(pb, pb.length - 2);
        int[] batch = TensorMathTest.broadcast(batchA, batchB);
        int[] full = TensorTesting.concat(batch, n, m);
        double[] out = new double[count(full)];
        double[] mag = new double[out.length];
        forEachIndex(full, idx -> {
            int[] bi = Arrays.copyOf(idx, batch.length);
            int[] ia = TensorTesting.concat(TensorMathTest.source(batchA, bi), idx[batch.length], 0);
            int[] ib = TensorTesting.concat(TensorMathTest.source(batchB, bi), 0, idx[batch.length + 1]);
            double s = 0;
            double g = 0;
            for (int p = 0; p < k; p++) {
                ia[ia.length - 1] = p;
                ib[ib.length - 2] = p;
                double x = a[flat(pa, ia)] * b[flat(pb, ib)];
                s += x;
                g += Math.abs(x);
            }
            out[flat(full, idx)] = s;
            mag[flat(full, idx)] = g;
        });
        List<Integer> shape = new ArrayList<>();
        for (int d : batch) {
            shape.add(d);
        }
        if (as.length > 1) {
            shape.add(n);
        }
        if (bs.length > 1) {
            shape.add(m);
        }
        return new Expected(shape.stream().mapToInt(Integer::intValue).toArray(), out, mag);
    }

    static void assertMatmul(Tensor a, Tensor b, String what) {
        double[] av = values(a);
        double[] bv = values(b);
        Expected e = naive(av, a.shape(), bv, b.shape());
        Tensor c = a.matmul(b);
        assertThat(c.shape())
                .as("%s: shape of %s @ %s", what, Arrays.toString(a.shape()), Arrays.toString(b.shape()))
                .containsExactly(e.shape());
        assertThat(c.isContiguous()).isTrue();
        double[] cv = values(c);
        for (int i = 0; i < cv.length; i++) {
            double want = e.values()[i];
            boolean ok = Double.isNaN(want)
                    ? Double.isNaN(cv[i])
                    : Double.isInfinite(want)
                            ? cv[i] == want
                            : Math.abs(cv[i] - want) <= REL * e.magnitude()[i] + Double.MIN_NORMAL;
            if (!ok) {
                fail(
                        "%s: %s @ %s element %d expected %s but was %s",
                        what, Arrays.toString(a.shape()), Arrays.toString(b.shape()), i, want, cv[i]);
            }
        }
        // The operands are not modified.
        assertThat(values(a)).containsExactly(av);
        assertThat(values(b)).containsExactly(bv);
    }

    private static Tensor t(Layout l, long seed, int... shape) {
        return layout(l, random(seed, count(shape)), shape);
    }

    // ------------------------------------------------------------------ 2-d

    @Test
    void everySmallShape() {
        int[] sizes = {0, 1, 2, 3, 7, 13};
        for (int n : sizes) {
            for (int k : sizes) {
                for (int m : sizes) {
                    assertMatmul(t(Layout.CONTIGUOUS, 1, n, k), t(Layout.CONTIGUOUS, 2, k, m), "contiguous");
                    assertMatmul(t(Layout.TRANSPOSED, 3, n, k), t(Layout.NEGATIVE, 4, k, m), "transposed/negative");
                    assertMatmul(t(Layout.STEPPED, 5, n, k), t(Layout.TRANSPOSED, 6, k, m), "stepped/transposed");
                }
            }
        }
    }

    static Stream<Arguments> largeShapes() {
        return Stream.of(
                Arguments.of(64, 65, 257),
                Arguments.of(257, 64, 65),
                Arguments.of(65, 257, 64),
                Arguments.of(1, 299, 301),
                Arguments.of(301, 299, 1),
                Arguments.of(129, 301, 257),
                Arguments.of(257, 513, 3));
    }

    @ParameterizedTest(name = "[{0} x {1}] @ [{1} x {2}]")
    @MethodSource("largeShapes")
    void oddSizesUpToSeveralHundred(int n, int k, int m) {
        assertMatmul(t(Layout.CONTIGUOUS, n, n, k), t(Layout.CONTIGUOUS, m, k, m), "contiguous");
        assertMatmul(t(Layout.TRANSPOSED, n, n, k), t(Layout.TRANSPOSED, m, k, m), "both transposed");
        assertMatmul(t(Layout.NEGATIVE, k, n, k), t(Layout.STEPPED, k, k, m), "negative/stepped");
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void everyLayoutOnEitherSide(Layout l) {
        for (Layout other : Layout.values()) {
            assertMatmul(t(l, 1, 7, 13), t(other, 2, 13, 5), l + " @ " + other);
            assertMatmul(t(other, 3, 2, 3, 13), t(l, 4, 1, 13, 7), other + " @ " + l);
        }
    }

    @Test
    void innerDimensionZeroGivesZeros() {
        Tensor c = Tensor.zeros(3, 0).matmul(Tensor.zeros(0, 4));
        assertThat(c.shape()).containsExactly(3, 4);
        assertThat(c.toArray()).containsOnly(0.0);
        assertThat(Tensor.zeros(0).matmul(Tensor.zeros(0)).shape()).isEmpty();
        assertThat(Tensor.zeros(0).matmul(Tensor.zeros(0)).item()).isZero();
        assertThat(Tensor.zeros(2, 5, 0).matmul(Tensor.zeros(0, 1)).toArray())
                .containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    @Test
    void zeroRowsOrColumnsGiveEmptyResults() {
        assertThat(Tensor.zeros(0, 3).matmul(Tensor.ones(3, 4)).shape()).containsExactly(0, 4);
        assertThat(Tensor.ones(2, 3).matmul(Tensor.ones(3, 0)).shape()).containsExactly(2, 0);
        assertThat(Tensor.ones(0, 2, 3).matmul(Tensor.ones(3, 4)).shape()).containsExactly(0, 2, 4);
        assertThat(Tensor.ones(3).matmul(Tensor.ones(5, 3, 0)).shape()).containsExactly(5, 0);
    }

    // ------------------------------------------------------------------ 1-d operands

    @Test
    void oneDimensionalOperands() {
        for (int k : new int[] {0, 1, 3, 7, 64, 65, 257}) {
            for (Layout l : new Layout[] {Layout.CONTIGUOUS, Layout.NEGATIVE, Layout.STEPPED}) {
                assertMatmul(t(l, 1, k), t(l, 2, k), "vector · vector");
                assertMatmul(t(l, 3, k), t(Layout.TRANSPOSED, 4, k, 13), "vector @ matrix");
                assertMatmul(t(Layout.TRANSPOSED, 5, 13, k), t(l, 6, k), "matrix @ vector");
                assertMatmul(t(l, 7, k), t(Layout.PERMUTED, 8, 2, 3, k, 5), "vector @ batch");
                assertMatmul(t(Layout.SELECTED, 9, 4, 1, 7, k), t(l, 10, k), "batch @ vector");
            }
        }
    }

    @Test
    void dotOfVectorsIsZeroDimensional() {
        Tensor a = Tensor.of(new double[] {1, 2, 3}, 3);
        Tensor b = Tensor.of(new double[] {4, -5, 6}, 3);
        Tensor c = a.matmul(b);
        assertThat(c.shape()).isEmpty();
        assertThat(c.item()).isEqualTo(12);
        assertThat(Tensor.of(new double[] {2}, 1)
                        .matmul(Tensor.of(new double[] {3}, 1))
                        .item())
                .isEqualTo(6);
    }

    @Test
    void vectorOnEitherSideDropsThatAxis() {
        Tensor m = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertThat(Tensor.of(new double[] {1, 1}, 2).matmul(m).toArray()).containsExactly(5, 7, 9);
        assertThat(m.matmul(Tensor.of(new double[] {1, 0, -1}, 3)).toArray()).containsExactly(-2, -2);
        assertThat(Tensor.ones(1).matmul(Tensor.ones(1, 1)).shape()).containsExactly(1);
        assertThat(Tensor.ones(1, 1).matmul(Tensor.ones(1)).shape()).containsExactly(1);
    }

    // ------------------------------------------------------------------ batches

    static Stream<Arguments> batchShapes() {
        return Stream.of(
                Arguments.of(new int[] {2, 3, 4}, new int[] {2, 4, 5}),
                Arguments.of(new int[] {2, 3, 4}, new int[] {4, 5}),
                Arguments.of(new int[] {3, 4}, new int[] {7, 4, 5}),
                Arguments.of(new int[] {2, 3, 7, 4}, new int[] {3, 4, 5}),
                Arguments.of(new int[] {2, 1, 7, 4}, new int[] {1, 5, 4, 3}),
                Arguments.of(new int[] {1, 7, 13}, new int[] {4, 13, 1}),
                Arguments.of(new int[] {0, 3, 4}, new int[] {4, 5}),
                Arguments.of(new int[] {3, 1, 2, 3}, new int[] {0, 3, 2}),
                Arguments.of(new int[] {5, 1, 3, 0}, new int[] {1, 2, 0, 4}),
                Arguments.of(new int[] {1, 1, 1, 1}, new int[] {1, 1, 1, 1}),
                Arguments.of(new int[] {2, 2, 2, 65, 13}, new int[] {2, 1, 13, 64}));
    }

    @ParameterizedTest(name = "{0} @ {1}")
    @MethodSource("batchShapes")
    void batchedWithBroadcastBatchAxes(int[] as, int[] bs) {
        for (Layout l : Layout.values()) {
            Layout r = Layout.values()[(l.ordinal() + 2) % Layout.values().length];
            assertMatmul(t(l, 11, as), t(r, 12, bs), l + " @ " + r);
        }
    }

    @Test
    void strideZeroOperands() {
        double[] rowValues = random(20, 13);
        Tensor rows = Tensor.of(rowValues, 1, 13).broadcastTo(7, 13); // every row the same: row stride 0
        Tensor cols = Tensor.of(random(21, 13), 13, 1).broadcastTo(13, 5); // inner stride 0
        assertMatmul(rows, cols, "rows broadcast, columns broadcast");
        Tensor shared = t(Layout.TRANSPOSED, 22, 13, 9).unsqueeze(0).broadcastTo(4, 13, 9); // batch stride 0
        assertMatmul(t(Layout.NEGATIVE, 23, 4, 7, 13), shared, "batch broadcast");
        Tensor scalarLike = Tensor.scalar(2).broadcastTo(3, 4);
        assertMatmul(scalarLike, Tensor.scalar(-1).broadcastTo(4, 2), "all strides zero");
    }

    @Test
    void nonFiniteValuesPropagate() {
        Tensor a = Tensor.of(new double[] {1, Double.NaN, 0, 1, Double.POSITIVE_INFINITY, 0}, 3, 2);
        Tensor b = Tensor.of(new double[] {1, 2, 0, 3}, 2, 2);
        assertMatmul(a, b, "NaN and inf");
        Tensor c = a.matmul(b);
        assertThat(c.get(0, 0)).isNaN();
        assertThat(c.get(1, 0)).isEqualTo(0);
        assertThat(c.get(2, 1)).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(c.get(2, 0)).isEqualTo(Double.POSITIVE_INFINITY);
    }

    @Test
    void resultIsNewAndIndependent() {
        double[] ad = random(30, 6);
        Tensor a = Tensor.of(ad, 2, 3);
        Tensor i = Tensor.of(new double[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, 3, 3);
        Tensor c = a.matmul(i);
        assertThat(c.toArray()).containsExactly(ad);
        assertThat(c.data()).isNotSameAs(ad);
        c.set(99, 0, 0);
        assertThat(ad[0]).isNotEqualTo(99);
    }
}
