package dev.heed.tensor;

import static dev.heed.tensor.TensorTesting.assertExact;
import static dev.heed.tensor.TensorTesting.count;
import static dev.heed.tensor.TensorTesting.flat;
import static dev.heed.tensor.TensorTesting.forEachIndex;
import static dev.heed.tensor.TensorTesting.iota;
import static dev.heed.tensor.TensorTesting.layout;
import static dev.heed.tensor.TensorTesting.random;
import static dev.heed.tensor.TensorTesting.ref;
import static dev.heed.tensor.TensorTesting.values;
import static org.assertj.core.api.Assertions.assertThat;

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

/**
 * Element access and views: every view is compared with an index mapping written here, in
 * every storage layout, and shares data with its base (a write through the view shows in the base).
 */
class TensorViewTest {

    static final int[][] SHAPES = {
        {}, {0}, {1}, {7}, {3, 5}, {1, 4}, {0, 3}, {2, 3, 4}, {3, 1, 5}, {2, 0, 3}, {2, 3, 1, 5}
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

    private static Tensor sample(Layout l, int... shape) {
        return layout(l, random(Arrays.hashCode(shape) + l.ordinal(), count(shape)), shape);
    }

    // ------------------------------------------------------------------ get, set, toArray, copy

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("shapesAndLayouts")
    void getAndSetWithPositiveAndNegativeIndices(int[] shape, Layout l) {
        Tensor t = sample(l, shape);
        double[] expected = values(t);
        forEachIndex(shape, idx -> {
            int[] neg = new int[idx.length];
            for (int k = 0; k < idx.length; k++) {
                neg[k] = idx[k] - shape[k];
            }
            double e = expected[flat(shape, idx)];
            assertThat(t.get(idx)).isEqualTo(e);
            assertThat(t.get(neg)).isEqualTo(e);
        });
        forEachIndex(shape, idx -> {
            int[] neg = new int[idx.length];
            for (int k = 0; k < idx.length; k++) {
                neg[k] = idx[k] - shape[k];
            }
            t.set(1000 + flat(shape, idx), neg);
            assertThat(ref(t, idx)).isEqualTo(1000 + flat(shape, idx));
        });
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("shapesAndLayouts")
    void toArrayCopyAndContiguous(int[] shape, Layout l) {
        double[] v = random(5, count(shape));
        Tensor t = layout(l, v, shape);
        assertThat(t.toArray()).containsExactly(v);
        assertThat(t.toArray()).isNotSameAs(t.data());
        Tensor c = t.copy();
        assertThat(c.data()).isNotSameAs(t.data());
        assertThat(c.isContiguous()).isTrue();
        assertThat(c.offset()).isZero();
        assertExact(c, shape, v, "copy");
        Tensor k = t.contiguous();
        assertThat(k.isContiguous()).isTrue();
        assertExact(k, shape, v, "contiguous");
        if (t.isContiguous()) {
            assertThat(k).isSameAs(t);
        } else {
            assertThat(k.data()).isNotSameAs(t.data());
        }
        if (v.length > 0) {
            double[] a = t.toArray();
            a[0] = 123;
            c.set(456, new int[shape.length]);
            assertThat(ref(t, new int[shape.length])).isEqualTo(v[0]);
        }
    }

    @Test
    void isContiguousFollowsTheLayout() {
        Tensor t = Tensor.zeros(3, 4, 5);
        assertThat(t.isContiguous()).isTrue();
        assertThat(t.transpose(0, 2).isContiguous()).isFalse();
        assertThat(t.transpose(-1, -1).isContiguous()).isTrue();
        assertThat(t.slice(0, 1, 3).isContiguous()).isTrue();
        assertThat(t.slice(1, 1, 3).isContiguous()).isFalse();
        assertThat(t.slice(2, 0, 5, 2).isContiguous()).isFalse();
        assertThat(t.select(0, 1).isContiguous()).isTrue();
        assertThat(t.select(-1, 1).isContiguous()).isFalse();
        assertThat(t.unsqueeze(1).isContiguous()).isTrue();
        assertThat(t.slice(1, 2, 3).isContiguous()).isFalse();
        assertThat(t.slice(0, 1, 2).slice(1, 2, 3).isContiguous()).isTrue(); // [1, 1, 5]: size-1 strides ignored
        assertThat(Tensor.ones(1, 5).broadcastTo(3, 5).isContiguous()).isFalse();
        assertThat(Tensor.ones(5).broadcastTo(1, 5).isContiguous()).isTrue();
        assertThat(Tensor.strided(new double[5], 4, new int[] {5}, new int[] {-1})
                        .isContiguous())
                .isFalse();
        assertThat(Tensor.strided(new double[5], 2, new int[] {1, 1}, new int[] {-7, 99})
                        .isContiguous())
                .isTrue();
        assertThat(Tensor.scalar(1).isContiguous()).isTrue();
    }

    // ------------------------------------------------------------------ transpose and permute

    @ParameterizedTest
    @EnumSource(Layout.class)
    void transposeSwapsEveryPairOfAxes(Layout l) {
        int[] shape = {2, 3, 1, 5};
        Tensor t = sample(l, shape);
        for (int a = -4; a < 4; a++) {
            for (int b = -4; b < 4; b++) {
                int aa = Math.floorMod(a, 4);
                int bb = Math.floorMod(b, 4);
                Tensor v = t.transpose(a, b);
                int[] expectedShape = shape.clone();
                expectedShape[aa] = shape[bb];
                expectedShape[bb] = shape[aa];
                assertThat(v.shape()).containsExactly(expectedShape);
                forEachIndex(expectedShape, idx -> {
                    int[] src = idx.clone();
                    src[aa] = idx[bb];
                    src[bb] = idx[aa];
                    assertThat(ref(v, idx)).isEqualTo(ref(t, src));
                });
                assertThat(v.data()).isSameAs(t.data());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void permuteReordersAxes(Layout l) {
        int[] shape = {2, 3, 4};
        Tensor t = sample(l, shape);
        int[][] orders = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}, {-1, 0, -2}, {-3, -2, -1}};
        for (int[] order : orders) {
            Tensor v = t.permute(order);
            int[] o = Arrays.stream(order).map(a -> Math.floorMod(a, 3)).toArray();
            int[] expectedShape = {shape[o[0]], shape[o[1]], shape[o[2]]};
            assertThat(v.shape()).as("permute %s", Arrays.toString(order)).containsExactly(expectedShape);
            forEachIndex(expectedShape, idx -> {
                int[] src = new int[3];
                for (int k = 0; k < 3; k++) {
                    src[o[k]] = idx[k];
                }
                assertThat(ref(v, idx)).isEqualTo(ref(t, src));
            });
        }
    }

    @Test
    void transposeIsAViewThatWritesThrough() {
        double[] data = iota(12);
        Tensor t = Tensor.of(data, 3, 4);
        Tensor v = t.transpose(0, 1);
        v.set(-5, 3, 2);
        assertThat(data[2 * 4 + 3]).isEqualTo(-5);
        assertThat(t.get(2, 3)).isEqualTo(-5);
        Tensor p = Tensor.of(data, 2, 3, 2).permute(2, 0, 1);
        p.set(-6, 1, 1, 2);
        assertThat(data[6 + 2 * 2 + 1]).isEqualTo(-6);
    }

    // ------------------------------------------------------------------ slice and select

    @ParameterizedTest
    @EnumSource(Layout.class)
    void sliceWithStepsAndNegativeBounds(Layout l) {
        int[] shape = {7, 13};
        Tensor t = sample(l, shape);
        for (int axis = -2; axis < 2; axis++) {
            int a = Math.floorMod(axis, 2);
            int n = shape[a];
            for (int start = -n; start <= n; start++) {
                for (int end = -n; end <= n; end++) {
                    int s0 = start < 0 ? start + n : start;
                    int e0 = end < 0 ? end + n : end;
                    if (e0 < s0) {
                        continue;
                    }
                    for (int step : new int[] {1, 2, 3, 5, 20}) {
                        Tensor v = step == 1 && (start & 1) == 0
                                ? t.slice(axis, start, end)
                                : t.slice(axis, start, end, step);
                        int len = 0;
                        for (int i = s0; i < e0; i += step) {
                            len++;
                        }
                        int[] expectedShape = shape.clone();
                        expectedShape[a] = len;
                        assertThat(v.shape())
                                .as("slice(%d, %d, %d, %d)", axis, start, end, step)
                                .containsExactly(expectedShape);
                        assertThat(v.size()).isEqualTo(count(expectedShape));
                        final int first = s0;
                        final int st = step;
                        forEachIndex(expectedShape, idx -> {
                            int[] src = idx.clone();
                            src[a] = first + idx[a] * st;
                            assertThat(ref(v, idx)).isEqualTo(ref(t, src));
                        });
                    }
                }
            }
        }
    }

    @Test
    void sliceOfSliceAndWriteThrough() {
        double[] data = iota(100);
        Tensor t = Tensor.of(data, 100);
        Tensor v = t.slice(0, 3, 90, 3).slice(0, 1, -1, 4).slice(0, -3, -1);
        // 3, 6, …, 87 → every 4th from the second (6, 18, 30, 42, 54, 66, 78) → the two before the last
        assertThat(v.toArray()).containsExactly(54, 66);
        v.set(-1, -1);
        assertThat(data[66]).isEqualTo(-1);
        assertThat(t.slice(0, 100, 100).size()).isZero();
        assertThat(t.slice(0, 0, 100, Integer.MAX_VALUE).toArray()).containsExactly(0);
        assertThat(t.slice(0, 5, 7, Integer.MAX_VALUE).toArray()).containsExactly(5);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void selectRemovesTheAxis(Layout l) {
        int[] shape = {3, 4, 5};
        Tensor t = sample(l, shape);
        for (int axis = -3; axis < 3; axis++) {
            int a = Math.floorMod(axis, 3);
            for (int index = -shape[a]; index < shape[a]; index++) {
                Tensor v = t.select(axis, index);
                int i = Math.floorMod(index, shape[a]);
                int[] expectedShape = new int[2];
                for (int k = 0, j = 0; k < 3; k++) {
                    if (k != a) {
                        expectedShape[j++] = shape[k];
                    }
                }
                assertThat(v.shape()).containsExactly(expectedShape);
                assertThat(v.size()).isEqualTo(count(expectedShape));
                forEachIndex(expectedShape, idx -> {
                    int[] src = new int[3];
                    for (int k = 0, j = 0; k < 3; k++) {
                        src[k] = k == a ? i : idx[j++];
                    }
                    assertThat(ref(v, idx)).isEqualTo(ref(t, src));
                });
            }
        }
    }

    @Test
    void selectDownToAScalarWritesThrough() {
        double[] data = iota(6);
        Tensor t = Tensor.of(data, 2, 3);
        Tensor s = t.select(0, -1).select(0, 1);
        assertThat(s.shape()).isEmpty();
        assertThat(s.item()).isEqualTo(4);
        s.set(40);
        assertThat(data[4]).isEqualTo(40);
    }

    // ------------------------------------------------------------------ unsqueeze, squeeze

    @ParameterizedTest
    @EnumSource(Layout.class)
    void unsqueezeAtEveryPosition(Layout l) {
        int[] shape = {3, 1, 4};
        Tensor t = sample(l, shape);
        for (int axis = -4; axis <= 3; axis++) {
            int a = axis < 0 ? axis + 4 : axis;
            Tensor v = t.unsqueeze(axis);
            int[] expectedShape = new int[4];
            for (int k = 0, j = 0; k < 4; k++) {
                expectedShape[k] = k == a ? 1 : shape[j++];
            }
            assertThat(v.shape()).as("unsqueeze(%d)", axis).containsExactly(expectedShape);
            forEachIndex(expectedShape, idx -> {
                int[] src = new int[3];
                for (int k = 0, j = 0; k < 4; k++) {
                    if (k != a) {
                        src[j++] = idx[k];
                    }
                }
                assertThat(ref(v, idx)).isEqualTo(ref(t, src));
            });
            assertThat(v.squeeze(axis).shape()).containsExactly(shape);
        }
        assertThat(Tensor.scalar(2).unsqueeze(0).shape()).containsExactly(1);
        assertThat(Tensor.scalar(2).unsqueeze(-1).shape()).containsExactly(1);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void squeezeRemovesSizeOneAxes(Layout l) {
        int[] shape = {1, 3, 1, 1, 4, 1};
        Tensor t = sample(l, shape);
        Tensor all = t.squeeze();
        assertThat(all.shape()).containsExactly(3, 4);
        forEachIndex(new int[] {3, 4}, idx -> assertThat(ref(all, idx)).isEqualTo(ref(t, 0, idx[0], 0, 0, idx[1], 0)));
        assertThat(t.squeeze(-1).shape()).containsExactly(1, 3, 1, 1, 4);
        assertThat(t.squeeze(2).shape()).containsExactly(1, 3, 1, 4, 1);
        assertThat(t.squeeze(-6).shape()).containsExactly(3, 1, 1, 4, 1);
        assertThat(Tensor.ones(1, 1).squeeze().shape()).isEmpty();
        assertThat(Tensor.ones(1, 1).squeeze().item()).isEqualTo(1);
        assertThat(Tensor.zeros(0, 1).squeeze().shape()).containsExactly(0);
    }

    @Test
    void squeezedAndUnsqueezedViewsWriteThrough() {
        double[] data = iota(4);
        Tensor t = Tensor.of(data, 1, 4, 1);
        t.squeeze().set(-2, 2);
        assertThat(data[2]).isEqualTo(-2);
        t.unsqueeze(0).set(-3, 0, 0, 3, 0);
        assertThat(data[3]).isEqualTo(-3);
    }

    // ------------------------------------------------------------------ broadcastTo

    @ParameterizedTest
    @EnumSource(Layout.class)
    void broadcastToRepeatsWithStrideZero(Layout l) {
        int[] shape = {3, 1, 4};
        Tensor t = sample(l, shape);
        int[] target = {2, 3, 5, 4};
        Tensor b = t.broadcastTo(target);
        assertThat(b.shape()).containsExactly(target);
        assertThat(b.size()).isEqualTo(count(target));
        assertThat(b.strides()[0]).isZero();
        assertThat(b.strides()[2]).isZero();
        assertThat(b.data()).isSameAs(t.data());
        forEachIndex(target, idx -> assertThat(ref(b, idx)).isEqualTo(ref(t, idx[1], 0, idx[3])));
        assertThat(t.broadcastTo(shape).shape()).containsExactly(shape);
        assertThat(t.broadcastTo(3, 0, 4).shape()).containsExactly(3, 0, 4);
        assertThat(t.broadcastTo(3, 0, 4).size()).isZero();
        Tensor s = Tensor.scalar(2.5).broadcastTo(3, 2);
        assertThat(s.toArray()).containsExactly(2.5, 2.5, 2.5, 2.5, 2.5, 2.5);
    }

    @Test
    void writingIntoABroadcastViewWritesTheSharedElement() {
        double[] data = {1, 2, 3};
        Tensor b = Tensor.of(data, 3).broadcastTo(4, 3);
        b.set(9, 2, 1);
        assertThat(data).containsExactly(1, 9, 3);
        assertThat(b.get(0, 1)).isEqualTo(9);
        assertThat(b.get(3, 1)).isEqualTo(9);
    }

    @Test
    void broadcastShapesFollowsNumPy() {
        assertThat(Tensor.broadcastShapes(new int[] {3, 1, 5}, new int[] {4, 1}))
                .containsExactly(3, 4, 5);
        assertThat(Tensor.broadcastShapes(new int[0], new int[] {2, 3})).containsExactly(2, 3);
        assertThat(Tensor.broadcastShapes(new int[] {1}, new int[] {0})).containsExactly(0);
        assertThat(Tensor.broadcastShapes(new int[] {2, 1}, new int[] {1, 0})).containsExactly(2, 0);
        assertThat(Tensor.broadcastShapes(new int[0], new int[0])).isEmpty();
    }

    // ------------------------------------------------------------------ reshape

    @ParameterizedTest
    @EnumSource(Layout.class)
    void reshapeKeepsRowMajorOrder(Layout l) {
        int[] shape = {2, 3, 4};
        double[] v = random(9, 24);
        Tensor t = layout(l, v, shape);
        int[][] targets = {
            {24},
            {4, 6},
            {6, 4},
            {2, 12},
            {1, 24, 1},
            {2, 3, 2, 2},
            {-1},
            {4, -1},
            {-1, 3, 2},
            {1, 1, 2, -1, 1},
            {24, 1}
        };
        for (int[] target : targets) {
            Tensor r = t.reshape(target);
            int[] expectedShape = target.clone();
            int known = 1;
            int infer = -1;
            for (int k = 0; k < target.length; k++) {
                if (target[k] == -1) {
                    infer = k;
                } else {
                    known *= target[k];
                }
            }
            if (infer >= 0) {
                expectedShape[infer] = 24 / known;
            }
            assertExact(r, expectedShape, v, "reshape " + Arrays.toString(target) + " of " + l);
        }
        assertExact(t.flatten(), new int[] {24}, v, "flatten");
    }

    @Test
    void reshapeEdgeShapes() {
        assertThat(Tensor.scalar(3).reshape(1, 1).shape()).containsExactly(1, 1);
        assertThat(Tensor.scalar(3).reshape(-1).shape()).containsExactly(1);
        assertThat(Tensor.ones(1, 1).reshape().shape()).isEmpty();
        assertThat(Tensor.zeros(0, 3).reshape(3, 0, 5).shape()).containsExactly(3, 0, 5);
        assertThat(Tensor.zeros(0, 3).reshape(-1).shape()).containsExactly(0);
        assertThat(Tensor.zeros(0, 3).reshape(-1, 3).shape()).containsExactly(0, 3);
        assertThat(Tensor.zeros(2, 0).transpose(0, 1).reshape(-1, 2).shape()).containsExactly(0, 2);
    }

    /** Whether {@code r} shares its elements with {@code base}: a write through r shows in base's array. */
    private static boolean writesThrough(Tensor base, Tensor r) {
        double[] before = base.toArray();
        int[] last = new int[r.rank()];
        for (int k = 0; k < last.length; k++) {
            last[k] = r.shape()[k] - 1;
        }
        double old = r.get(last);
        r.set(-12345.5, last);
        boolean changed = !Arrays.equals(before, base.toArray());
        r.set(old, last);
        return changed;
    }

    static Stream<Arguments> reshapeCases() {
        // NumPy's answer for each case (np.shares_memory(a.reshape(s), a)).
        Tensor base = Tensor.of(iota(24), 2, 3, 4);
        Tensor mat = Tensor.of(iota(24), 4, 6);
        Tensor vec = Tensor.of(iota(13), 13);
        return Stream.of(
                Arguments.of("contiguous to [6, 4]", base, new int[] {6, 4}, true),
                Arguments.of("contiguous to [24]", base, new int[] {24}, true),
                Arguments.of("contiguous to [1, 2, 1, 12, 1]", base, new int[] {1, 2, 1, 12, 1}, true),
                Arguments.of("transposed [6, 4] to [24]", mat.transpose(0, 1), new int[] {24}, false),
                Arguments.of("transposed [6, 4] to [2, 3, 4]", mat.transpose(0, 1), new int[] {2, 3, 4}, true),
                Arguments.of("transposed [6, 4] to [6, 1, 4]", mat.transpose(0, 1), new int[] {6, 1, 4}, true),
                Arguments.of("transposed [6, 4] to [3, 8]", mat.transpose(0, 1), new int[] {3, 8}, false),
                Arguments.of("stepped [6] to [2, 3]", vec.slice(0, 1, 13, 2), new int[] {2, 3}, true),
                Arguments.of("stepped [7] to [7, 1]", vec.slice(0, 0, 13, 2), new int[] {7, 1}, true),
                Arguments.of(
                        "reversed [13] to [13, 1]",
                        Tensor.strided(iota(13), 12, new int[] {13}, new int[] {-1}),
                        new int[] {1, 13},
                        true),
                Arguments.of("columns [4, 3] to [12]", mat.slice(1, 0, 3), new int[] {12}, false),
                Arguments.of("columns [4, 3] to [2, 2, 3]", mat.slice(1, 0, 3), new int[] {2, 2, 3}, true),
                Arguments.of("rows [2, 6] to [12]", mat.slice(0, 1, 3), new int[] {12}, true),
                Arguments.of("rows [2, 6] to [3, 4]", mat.slice(0, 1, 3), new int[] {3, 4}, true),
                Arguments.of(
                        "broadcast [4, 6] to [24]", Tensor.of(iota(6), 6).broadcastTo(4, 6), new int[] {24}, false),
                Arguments.of(
                        "broadcast [4, 6] to [2, 2, 6]",
                        Tensor.of(iota(6), 6).broadcastTo(4, 6),
                        new int[] {2, 2, 6},
                        true),
                Arguments.of("permuted [3, 2, 4] to [3, 8]", base.permute(1, 0, 2), new int[] {3, 8}, false),
                Arguments.of("permuted [3, 2, 4] to [3, 2, 2, 2]", base.permute(1, 0, 2), new int[] {3, 2, 2, 2}, true),
                Arguments.of("selected [2, 4] to [8]", base.select(1, 1), new int[] {8}, false),
                Arguments.of("selected [3, 4] to [12]", base.select(0, 1), new int[] {12}, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("reshapeCases")
    void reshapeIsAViewWhenTheLayoutAllowsAndACopyOtherwise(String name, Tensor t, int[] target, boolean view) {
        double[] before = t.toArray();
        Tensor r = t.reshape(target);
        assertExact(r, target, before, name);
        assertThat(writesThrough(t, r)).as("%s shares data", name).isEqualTo(view);
        if (!view) {
            assertThat(r.isContiguous()).isTrue();
        }
    }

    @Test
    void flattenOfATransposeIsACopy() {
        double[] data = iota(6);
        Tensor t = Tensor.of(data, 2, 3).transpose(0, 1);
        Tensor f = t.flatten();
        assertThat(f.toArray()).containsExactly(0, 3, 1, 4, 2, 5);
        f.set(-1, 0);
        assertThat(data[0]).isEqualTo(0);
        Tensor g = Tensor.of(data, 2, 3).flatten();
        g.set(-1, 5);
        assertThat(data[5]).isEqualTo(-1);
    }

    @Test
    void viewsOfViewsShareTheBaseArray() {
        double[] data = iota(60);
        Tensor base = Tensor.of(data, 3, 4, 5);
        Tensor v = base.transpose(0, 2)
                .slice(0, 1, 5, 2)
                .select(1, -1)
                .unsqueeze(0)
                .reshape(2, 3);
        // transpose → [5, 4, 3] (i5, i4, i3) = base[i3, i4, i5]; slice i5 ∈ {1, 3}; select i4 = 3
        forEachIndex(new int[] {2, 3}, idx -> assertThat(v.get(idx)).isEqualTo(base.get(idx[1], 3, 1 + 2 * idx[0])));
        v.set(-100, 1, 2);
        assertThat(data[2 * 20 + 3 * 5 + 3]).isEqualTo(-100);
        assertThat(v.data()).isSameAs(data);
    }

    @Test
    void shapeOfAxisAcceptsNegativeAxes() {
        Tensor t = Tensor.zeros(2, 3, 5);
        assertThat(t.shape(0)).isEqualTo(2);
        assertThat(t.shape(-1)).isEqualTo(5);
        assertThat(t.shape(-3)).isEqualTo(2);
        assertThat(t.shape(2)).isEqualTo(5);
    }
}
