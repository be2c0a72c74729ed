package dev.heed.tensor;

import static dev.heed.tensor.TensorTesting.assertClose;
import static dev.heed.tensor.TensorTesting.assertExact;
import static dev.heed.tensor.TensorTesting.count;
import static dev.heed.tensor.TensorTesting.flat;
import static dev.heed.tensor.TensorTesting.forEachIndex;
import static dev.heed.tensor.TensorTesting.layout;
import static dev.heed.tensor.TensorTesting.random;
import static dev.heed.tensor.TensorTesting.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.heed.tensor.TensorTesting.Layout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Reductions along an axis and softmax, against naive loops over multi-indices. */
class TensorReductionTest {

    static final int[][] SHAPES = {
        {1}, {7}, {257}, {7, 13}, {3, 1, 5}, {2, 3, 4, 5}, {64, 65}, {0, 3}, {3, 0}, {2, 0, 4}
    };

    static Stream<Arguments> shapesAndLayouts() {
        List<Arguments> out = new ArrayList<>();
        for (int[] s : SHAPES) {
            for (Layout l : Layout.values()) {
                out.add(Arguments.of(s, l));
            }
        }
        return out.stream();
    }

    static int[] without(int[] shape, int axis) {
        int[] out = new int[shape.length - 1];
        for (int k = 0, j = 0; k < shape.length; k++) {
            if (k != axis) {
                out[j++] = shape[k];
            }
        }
        return out;
    }

    /** For every index of the reduced shape, the row of values along {@code axis}, in axis order. */
    static double[] reduceNaive(double[] v, int[] shape, int axis, Function<double[], Double> f) {
        int[] out = without(shape, axis);
        double[] r = new double[count(out)];
        forEachIndex(out, idx -> {
            double[] row = new double[shape[axis]];
            int[] src = new int[shape.length];
            for (int k = 0, j = 0; k < shape.length; k++) {
                if (k != axis) {
                    src[k] = idx[j++];
                }
            }
            for (int i = 0; i < row.length; i++) {
                src[axis] = i;
                row[i] = v[flat(shape, src)];
            }
            r[flat(out, idx)] = f.apply(row);
        });
        return r;
    }

    static double naiveSum(double[] row) {
        double s = 0;
        for (double x : row) {
            s += x;
        }
        return s;
    }

    static double naiveMax(double[] row) {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : row) {
            if (Double.isNaN(x)) {
                return Double.NaN;
            }
            if (x > m) {
                m = x;
            }
        }
        return m;
    }

    static double naiveArgmax(double[] row) {
        int best = 0;
        for (int i = 0; i < row.length; i++) {
            if (Double.isNaN(row[i])) {
                return i;
            }
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }

    static double naiveMin(double[] row) {
        return -naiveMax(negated(row));
    }

    static double naiveArgmin(double[] row) {
        return naiveArgmax(negated(row));
    }

    private static double[] negated(double[] row) {
        return Arrays.stream(row).map(x -> -x).toArray();
    }

    /** The definition, for values small enough not to overflow. */
    static double naiveLogSumExp(double[] row) {
        double s = 0;
        for (double x : row) {
            s += Math.exp(x);
        }
        return Math.log(s);
    }

    private static double[] sample(int[] shape) {
        double[] v = random(Arrays.hashCode(shape), count(shape));
        // Repeat some values so that argmax sees ties.
        for (int i = 3; i < v.length; i += 5) {
            v[i] = v[i - 3];
        }
        return v;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("shapesAndLayouts")
    void reductionsAlongEveryAxis(int[] shape, Layout l) {
        double[] v = sample(shape);
        Tensor t = layout(l, v, shape);
        for (int axis = -shape.length; axis < shape.length; axis++) {
            int a = Math.floorMod(axis, shape.length);
            int[] out = without(shape, a);
            int n = shape[a];
            String what = " along " + axis + " of " + Arrays.toString(shape) + " " + l;
            assertClose(
                    t.sum(axis),
                    out,
                    reduceNaive(v, shape, a, TensorReductionTest::naiveSum),
                    1e-14,
                    1e-14,
                    "sum" + what);
            assertClose(
                    t.mean(axis),
                    out,
                    reduceNaive(v, shape, a, row -> naiveSum(row) / row.length),
                    1e-14,
                    1e-14,
                    "mean" + what);
            assertClose(
                    t.logSumExp(axis),
                    out,
                    reduceNaive(v, shape, a, TensorReductionTest::naiveLogSumExp),
                    1e-13,
                    1e-14,
                    "logSumExp" + what);
            if (n > 0) {
                assertExact(t.max(axis), out, reduceNaive(v, shape, a, TensorReductionTest::naiveMax), "max" + what);
                assertExact(
                        t.argmax(axis),
                        out,
                        reduceNaive(v, shape, a, TensorReductionTest::naiveArgmax),
                        "argmax" + what);
                assertExact(t.min(axis), out, reduceNaive(v, shape, a, TensorReductionTest::naiveMin), "min" + what);
                assertExact(
                        t.argmin(axis),
                        out,
                        reduceNaive(v, shape, a, TensorReductionTest::naiveArgmin),
                        "argmin" + what);
            } else {
                final int ax = axis;
                assertThatThrownBy(() -> t.max(ax))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining(Arrays.toString(shape))
                        .hasMessageContaining("empty");
                assertThatThrownBy(() -> t.argmax(ax))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining(Arrays.toString(shape))
                        .hasMessageContaining("empty");
                assertThatThrownBy(() -> t.min(ax))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining(Arrays.toString(shape))
                        .hasMessageContaining("empty");
                assertThatThrownBy(() -> t.argmin(ax))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining(Arrays.toString(shape))
                        .hasMessageContaining("empty");
            }
            assertThat(t.sum(axis).isContiguous()).isTrue();
        }
        assertThat(values(t)).containsExactly(v);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("shapesAndLayouts")
    void wholeTensorReductions(int[] shape, Layout l) {
        double[] v = sample(shape);
        Tensor t = layout(l, v, shape);
        double s = naiveSum(v);
        double g = Arrays.stream(v).map(Math::abs).sum();
        assertThat(t.sum()).isCloseTo(s, within(1e-14 * g + 1e-300));
        if (v.length == 0) {
            assertThat(t.sum()).isZero();
            assertThat(t.mean()).isNaN();
            assertThatThrownBy(t::max)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(Arrays.toString(shape));
            assertThatThrownBy(t::min)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(Arrays.toString(shape));
            assertThatThrownBy(t::argmax)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(Arrays.toString(shape));
            assertThatThrownBy(t::argmin)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(Arrays.toString(shape));
        } else {
            assertThat(t.mean()).isCloseTo(s / v.length, within(1e-14 * g / v.length + 1e-300));
            assertThat(t.max()).isEqualTo(naiveMax(v));
            // The flat forms index the row-major order of the logical shape, whatever the layout.
            assertThat(t.min()).isEqualTo(naiveMin(v));
            assertThat(t.argmax()).isEqualTo((int) naiveArgmax(v));
            assertThat(t.argmin()).isEqualTo((int) naiveArgmin(v));
            assertThat(v[t.argmax()]).isEqualTo(t.max());
            assertThat(v[t.argmin()]).isEqualTo(t.min());
        }
    }

    @Test
    void reductionsOfBroadcastViews() {
        for (int n : TensorTesting.ODD_SIZES) {
            double[] row = random(n + 40, n);
            int[] shape = {5, n};
            double[] full = new double[5 * n];
            for (int i = 0; i < 5; i++) {
                System.arraycopy(row, 0, full, i * n, n);
            }
            Tensor b = Tensor.of(row.clone(), n).broadcastTo(shape); // rows share storage: stride 0
            Tensor c = Tensor.of(row.clone(), 1, n).broadcastTo(n, n).transpose(0, 1); // columns share storage
            for (int axis = -2; axis < 2; axis++) {
                int a = Math.floorMod(axis, 2);
                int[] out = without(shape, a);
                assertClose(
                        b.sum(axis),
                        out,
                        reduceNaive(full, shape, a, TensorReductionTest::naiveSum),
                        1e-14,
                        1e-14,
                        "sum of broadcast along " + axis);
                assertClose(
                        b.softmax(axis),
                        shape,
                        softmaxNaive(full, shape, a),
                        1e-13,
                        1e-16,
                        "softmax of broadcast along " + axis);
                if (n > 0) {
                    assertExact(
                            b.max(axis),
                            out,
                            reduceNaive(full, shape, a, TensorReductionTest::naiveMax),
                            "max of broadcast along " + axis);
                    assertExact(
                            b.argmax(axis),
                            out,
                            reduceNaive(full, shape, a, TensorReductionTest::naiveArgmax),
                            "argmax of broadcast along " + axis);
                    assertExact(
                            b.min(axis),
                            out,
                            reduceNaive(full, shape, a, TensorReductionTest::naiveMin),
                            "min of broadcast along " + axis);
                    assertExact(
                            b.argmin(axis),
                            out,
                            reduceNaive(full, shape, a, TensorReductionTest::naiveArgmin),
                            "argmin of broadcast along " + axis);
                }
            }
            double[] cv = values(c);
            int[] square = {n, n};
            assertClose(
                    c.logSumExp(1),
                    new int[] {n},
                    reduceNaive(cv, square, 1, TensorReductionTest::naiveLogSumExp),
                    1e-13,
                    1e-14,
                    "logSumExp of a transposed broadcast");
            assertClose(
                    c.mean(0),
                    new int[] {n},
                    reduceNaive(cv, square, 0, row1 -> naiveSum(row1) / row1.length),
                    1e-14,
                    1e-14,
                    "mean of a transposed broadcast");
        }
    }

    @Test
    void reductionsOfAScalarTensor() {
        Tensor s = Tensor.scalar(2.5);
        assertThat(s.sum()).isEqualTo(2.5);
        assertThat(s.mean()).isEqualTo(2.5);
        assertThat(s.max()).isEqualTo(2.5);
    }

    @Test
    void emptyAxesGiveTheIdentityOrNaN() {
        Tensor t = Tensor.zeros(3, 0);
        assertThat(t.sum(1).toArray()).containsExactly(0, 0, 0);
        assertThat(t.mean(-1).toArray()).containsExactly(Double.NaN, Double.NaN, Double.NaN);
        double ninf = Double.NEGATIVE_INFINITY;
        assertThat(t.logSumExp(1).toArray()).containsExactly(ninf, ninf, ninf);
        assertThat(t.sum(0).shape()).containsExactly(0);
        assertThat(t.max(0).shape()).containsExactly(0);
        assertThatThrownBy(() -> t.max(1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3, 0]");
        // NumPy refuses a maximum over an empty axis even when the result would be empty.
        assertThatThrownBy(() -> Tensor.zeros(0, 0).max(1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[0, 0]");
        assertThatThrownBy(() -> Tensor.zeros(0, 0).argmax(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[0, 0]");
    }

    @Test
    void maxPropagatesNaN() {
        double nan = Double.NaN;
        Tensor t = Tensor.of(new double[] {1, nan, 3, 4, 5, 6, nan, Double.POSITIVE_INFINITY, 0}, 3, 3);
        assertThat(t.max(1).toArray()).containsExactly(nan, 6, nan);
        assertThat(t.max(0).toArray()).containsExactly(nan, nan, 6);
        assertThat(t.max()).isNaN();
        assertThat(t.slice(0, 1, 2).max()).isEqualTo(6);
        assertThat(Tensor.of(new double[] {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY}, 2)
                        .max())
                .isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(t.sum(1).get(0)).isNaN();
        assertThat(t.logSumExp(1).toArray()).containsExactly(nan, naiveLogSumExp(new double[] {4, 5, 6}), nan);
    }

    @Test
    void argmaxTakesTheFirstOfTiesAndTheFirstNaN() {
        double nan = Double.NaN;
        double ninf = Double.NEGATIVE_INFINITY;
        assertThat(Tensor.of(new double[] {1, 3, 3, 2}, 4).argmax(0).item()).isEqualTo(1);
        assertThat(Tensor.of(new double[] {ninf, ninf, ninf}, 3).argmax(0).item())
                .isEqualTo(0);
        assertThat(Tensor.of(new double[] {nan, 1, nan}, 3).argmax(0).item()).isEqualTo(0);
        assertThat(Tensor.of(new double[] {1, 9, nan, 9, nan}, 5).argmax(0).item())
                .isEqualTo(2);
        assertThat(Tensor.of(new double[] {-0.0, 0.0}, 2).argmax(0).item()).isEqualTo(0);
        assertThat(Tensor.of(new double[] {5, 5, 5, 5}, 2, 2).argmax(-1).toArray())
                .containsExactly(0, 0);
        // Ties along the first axis of a transposed view.
        Tensor t = Tensor.of(new double[] {2, 7, 7, 7, 1, 7}, 2, 3).transpose(0, 1); // [[2, 7], [7, 1], [7, 7]]
        assertThat(t.argmax(0).toArray()).containsExactly(1, 0);
        assertThat(t.argmax(1).toArray()).containsExactly(1, 0, 0);
    }

    @Test
    void minPropagatesNaNAsNumPyDoes() {
        double nan = Double.NaN;
        double inf = Double.POSITIVE_INFINITY;
        Tensor t = Tensor.of(new double[] {1, nan, 3, 4, 5, 6, nan, -inf, 0}, 3, 3);
        assertThat(t.min(1).toArray()).containsExactly(nan, 4, nan);
        assertThat(t.min(0).toArray()).containsExactly(nan, nan, 0);
        assertThat(t.min()).isNaN();
        assertThat(t.slice(0, 1, 2).min()).isEqualTo(4);
        assertThat(Tensor.of(new double[] {inf, inf}, 2).min()).isEqualTo(inf);
        assertThat(Tensor.of(new double[] {3, -inf, 2}, 3).min()).isEqualTo(-inf);
        assertThat(Tensor.scalar(-2.5).min()).isEqualTo(-2.5);
        assertThat(Tensor.scalar(-2.5).argmin()).isZero();
    }

    @Test
    void argminTakesTheFirstOfTiesAndTheFirstNaN() {
        double nan = Double.NaN;
        double inf = Double.POSITIVE_INFINITY;
        assertThat(Tensor.of(new double[] {3, 1, 1, 2}, 4).argmin(0).item()).isEqualTo(1);
        assertThat(Tensor.of(new double[] {inf, inf, inf}, 3).argmin(0).item()).isEqualTo(0);
        assertThat(Tensor.of(new double[] {5, nan, 1, nan}, 4).argmin(0).item()).isEqualTo(1);
        assertThat(Tensor.of(new double[] {0.0, -0.0}, 2).argmin(0).item()).isEqualTo(0);
        Tensor t = Tensor.of(new double[] {2, 1, 1, 1, 9, 1}, 2, 3).transpose(0, 1); // [[2, 1], [1, 9], [1, 1]]
        assertThat(t.argmin(0).toArray()).containsExactly(1, 0);
        assertThat(t.argmin(1).toArray()).containsExactly(1, 0, 0);
    }

    @Test
    void flatArgmaxAndArgminFollowNumPy() {
        // np.argmax(a[:, ::2].T) for a = np.arange(24.).reshape(2, 3, 4) is 15: the flat index of the view's
        // own row-major order, not of the storage.
        Tensor a = Tensor.arange(24).reshape(2, 3, 4).slice(1, 0, 3, 2).transpose(0, 2);
        assertThat(a.shape()).containsExactly(4, 2, 2);
        assertThat(a.argmax()).isEqualTo(15);
        assertThat(a.argmin()).isZero();
        assertThat(a.max()).isEqualTo(23);
        assertThat(a.min()).isZero();
        // np.argmax / np.argmin of [3, nan, 1, nan] are both 1, the first NaN.
        Tensor n = Tensor.of(new double[] {3, Double.NaN, 1, Double.NaN}, 2, 2);
        assertThat(n.argmax()).isEqualTo(1);
        assertThat(n.argmin()).isEqualTo(1);
        // Ties: the first in row-major order; a broadcast view counts every repeated element.
        Tensor b = Tensor.of(new double[] {4, 9, 9, 0}, 4).broadcastTo(3, 4);
        assertThat(b.argmax()).isEqualTo(1);
        assertThat(b.argmin()).isEqualTo(3);
        assertThat(b.transpose(0, 1).argmax()).isEqualTo(3);
        assertThat(b.transpose(0, 1).argmin()).isEqualTo(9);
        assertThatThrownBy(() -> Tensor.zeros(0, 4).argmax())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty")
                .hasMessageContaining("[0, 4]");
    }

    @Test
    void logSumExpIsStableAndHandlesInfinities() {
        double inf = Double.POSITIVE_INFINITY;
        Tensor t = Tensor.of(new double[] {1e6, 1e6, -1e6, -1e6, 1e308, 1e308, -inf, -inf, -inf, 0, inf, 1}, 6, 2);
        double[] r = t.logSumExp(1).toArray();
        assertThat(r[0]).isEqualTo(1e6 + Math.log(2));
        assertThat(r[1]).isEqualTo(-1e6 + Math.log(2));
        assertThat(r[2]).isEqualTo(1e308 + Math.log(2)); // no overflow even though 2e308 would
        assertThat(r[3]).isEqualTo(-inf);
        assertThat(r[4]).isZero();
        assertThat(r[5]).isEqualTo(inf);
        assertThat(Tensor.of(new double[] {1e6, 1e6 - 1}, 2).logSumExp(0).item())
                .isCloseTo(1e6 + Math.log1p(Math.exp(-1)), within(1e-9));
    }

    // ------------------------------------------------------------------ softmax

    static double[] naiveSoftmaxRow(double[] row) {
        double s = 0;
        for (double x : row) {
            s += Math.exp(x);
        }
        double[] out = new double[row.length];
        for (int i = 0; i < row.length; i++) {
            out[i] = Math.exp(row[i]) / s;
        }
        return out;
    }

    /** The naive softmax of every row along {@code axis}, scattered back into a row-major array. */
    static double[] softmaxNaive(double[] v, int[] shape, int axis) {
        double[] out = new double[v.length];
        int[] outer = without(shape, axis);
        forEachIndex(outer, idx -> {
            int[] src = new int[shape.length];
            for (int k = 0, j = 0; k < shape.length; k++) {
                if (k != axis) {
                    src[k] = idx[j++];
                }
            }
            double[] row = new double[shape[axis]];
            for (int i = 0; i < row.length; i++) {
                src[axis] = i;
                row[i] = v[flat(shape, src)];
            }
            double[] sm = naiveSoftmaxRow(row);
            for (int i = 0; i < row.length; i++) {
                src[axis] = i;
                out[flat(shape, src)] = sm[i];
            }
        });
        return out;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("shapesAndLayouts")
    void softmaxAlongEveryAxis(int[] shape, Layout l) {
        double[] v = sample(shape);
        Tensor t = layout(l, v, shape);
        for (int axis = -shape.length; axis < shape.length; axis++) {
            int a = Math.floorMod(axis, shape.length);
            Tensor s = t.softmax(axis);
            assertClose(
                    s,
                    shape,
                    softmaxNaive(v, shape, a),
                    1e-13,
                    1e-16,
                    "softmax along " + axis + " of " + Arrays.toString(shape) + " " + l);
            assertThat(s.isContiguous()).isTrue();
            // Every (non-empty) row sums to one.
            double[] sums = values(s.sum(axis));
            for (double x : sums) {
                assertThat(x).isCloseTo(shape[a] == 0 ? 0 : 1, within(1e-14 * shape[a]));
            }
        }
        assertThat(values(t)).containsExactly(v);
    }

    @Test
    void softmaxOfHugeLogitsIsExact() {
        double e1 = Math.exp(-1);
        Tensor t = Tensor.of(new double[] {1e6, 1e6, 1e6, -1e6, 1e6, 1e6 - 1, -1e6, -1e6 - 1, -1e6, -1e6}, 5, 2);
        Tensor s = t.softmax(-1);
        // Exact up to the last bit or so: the max shift leaves exp(0) and exp(-1), never exp(±1e6).
        assertThat(s.toArray())
                .containsExactly(
                        new double[] {0.5, 0.5, 1, 0, 1 / (1 + e1), e1 / (1 + e1), 1 / (1 + e1), e1 / (1 + e1), 0.5, 0.5
                        },
                        within(1e-16));
        // The same along axis 0 of the transpose.
        assertThat(t.transpose(0, 1).softmax(0).toArray())
                .containsExactly(s.transpose(0, 1).toArray());
        Tensor big = Tensor.of(new double[] {1e308, -1e308, 1e308}, 3);
        assertThat(big.softmax(0).toArray()).containsExactly(0.5, 0, 0.5);
    }

    @Test
    void softmaxOfARowOfMinusInfinityIsZeroAndNaNPropagates() {
        double ninf = Double.NEGATIVE_INFINITY;
        double nan = Double.NaN;
        Tensor t = Tensor.of(new double[] {ninf, ninf, ninf, 0, ninf, 1, nan, 0, 2, 1, nan, ninf}, 4, 3);
        double[] s = t.softmax(1).toArray();
        assertThat(Arrays.copyOfRange(s, 0, 3)).containsExactly(0, 0, 0);
        double e = Math.exp(-1);
        assertThat(Arrays.copyOfRange(s, 3, 6))
                .containsExactly(new double[] {e / (1 + e), 0, 1 / (1 + e)}, within(1e-16));
        assertThat(Arrays.copyOfRange(s, 6, 9)).containsExactly(nan, nan, nan);
        assertThat(Arrays.copyOfRange(s, 9, 12)).containsExactly(nan, nan, nan);
        // Along the other axis: columns 0 and 1 hold a NaN; column 2 is [-inf, 1, 2, -inf].
        double[] c = t.softmax(0).toArray();
        assertThat(c)
                .containsExactly(
                        new double[] {nan, nan, 0, nan, nan, e / (1 + e), nan, nan, 1 / (1 + e), nan, nan, 0},
                        within(1e-16));
        assertThat(Tensor.of(new double[] {Double.POSITIVE_INFINITY, 0}, 2)
                        .softmax(0)
                        .toArray())
                .containsExactly(nan, nan);
    }

    @Test
    void softmaxEdgeShapes() {
        assertThat(Tensor.zeros(3, 0).softmax(1).shape()).containsExactly(3, 0);
        assertThat(Tensor.zeros(0, 4).softmax(1).shape()).containsExactly(0, 4);
        assertThat(Tensor.zeros(0, 4).softmax(0).shape()).containsExactly(0, 4);
        assertThat(Tensor.of(new double[] {7, -3}, 2, 1).softmax(1).toArray()).containsExactly(1, 1);
        Tensor b = Tensor.of(new double[] {1, 2, 3}, 3).broadcastTo(4, 3);
        double[] row = naiveSoftmaxRow(new double[] {1, 2, 3});
        double[] s = b.softmax(-1).toArray();
        for (int i = 0; i < 12; i++) {
            assertThat(s[i]).isCloseTo(row[i % 3], within(1e-16));
        }
        assertThat(b.softmax(0).toArray()).containsOnly(0.25);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void softmaxOfLongRows(Layout l) {
        for (int n : TensorTesting.ODD_SIZES) {
            if (n == 0) {
                continue;
            }
            double[] v = random(n, 3 * n);
            for (int i = 0; i < v.length; i++) {
                v[i] *= 300; // spread enough that exp would overflow without the max shift
            }
            Tensor t = layout(l, v, 3, n);
            double[] s = values(t.softmax(1));
            for (int r = 0; r < 3; r++) {
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    m = Math.max(m, v[r * n + j]);
                }
                double z = 0;
                for (int j = 0; j < n; j++) {
                    z += Math.exp(v[r * n + j] - m);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    double want = Math.exp(v[r * n + j] - m) / z;
                    assertThat(s[r * n + j]).isCloseTo(want, within(1e-15 + 1e-13 * want));
                    sum += s[r * n + j];
                }
                assertThat(sum).isCloseTo(1, within(1e-13));
            }
        }
    }
}
