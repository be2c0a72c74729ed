package dev.heed.tensor;

import static dev.heed.tensor.TensorTesting.assertExact;
import static dev.heed.tensor.TensorTesting.count;
import static dev.heed.tensor.TensorTesting.iota;
import static dev.heed.tensor.TensorTesting.random;
import static dev.heed.tensor.TensorTesting.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Factories: wrapping vs copying, nested arrays, fills, ranges, seeded random tensors, scalars. */
class TensorCreationTest {

    static Stream<int[]> shapes() {
        return Stream.of(
                new int[0],
                new int[] {0},
                new int[] {1},
                new int[] {7},
                new int[] {257},
                new int[] {3, 0},
                new int[] {0, 5},
                new int[] {1, 1},
                new int[] {3, 7},
                new int[] {13, 1, 5},
                new int[] {2, 3, 4, 5},
                new int[] {65, 64});
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void ofWrapsWithoutCopying(int[] shape) {
        int n = count(shape);
        double[] data = random(1, n);
        Tensor t = Tensor.of(data, shape);
        assertThat(t.shape()).containsExactly(shape);
        assertThat(t.rank()).isEqualTo(shape.length);
        assertThat(t.size()).isEqualTo(n);
        assertThat(t.data()).isSameAs(data);
        assertThat(t.offset()).isZero();
        assertThat(t.strides()).containsExactly(TensorTesting.rowMajor(shape));
        assertThat(t.isContiguous()).isTrue();
        assertExact(t, shape, data.clone(), "of");
        if (n > 0) {
            // Writes to the array show in the tensor, and the other way round.
            data[n - 1] = 42.5;
            int[] last = new int[shape.length];
            for (int k = 0; k < shape.length; k++) {
                last[k] = shape[k] - 1;
            }
            assertThat(t.get(last)).isEqualTo(42.5);
            int[] first = new int[shape.length];
            t.set(-7.25, first);
            assertThat(data[0]).isEqualTo(-7.25);
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void copyOfCopies(int[] shape) {
        int n = count(shape);
        double[] data = random(2, n);
        double[] original = data.clone();
        Tensor t = Tensor.copyOf(data, shape);
        assertThat(t.data()).isNotSameAs(data);
        assertExact(t, shape, original, "copyOf");
        if (n > 0) {
            data[0] = 99;
            t.set(-99, new int[shape.length]);
            assertThat(data[0]).isEqualTo(99);
            assertThat(values(t)[0]).isEqualTo(-99);
        }
    }

    @Test
    void ofRowsCopiesARectangularArray() {
        double[][] rows = new double[7][13];
        for (int i = 0; i < 7; i++) {
            for (int j = 0; j < 13; j++) {
                rows[i][j] = i * 100 + j + 0.5;
            }
        }
        Tensor t = Tensor.of(rows);
        assertThat(t.shape()).containsExactly(7, 13);
        for (int i = 0; i < 7; i++) {
            for (int j = 0; j < 13; j++) {
                assertThat(TensorTesting.ref(t, i, j)).isEqualTo(rows[i][j]);
            }
        }
        rows[2][3] = -1;
        assertThat(t.get(2, 3)).isEqualTo(203.5);
    }

    @Test
    void ofRowsEdgeShapes() {
        assertThat(Tensor.of(new double[0][]).shape()).containsExactly(0, 0);
        assertThat(Tensor.of(new double[3][0]).shape()).containsExactly(3, 0);
        assertThat(Tensor.of(new double[][] {{4}}).shape()).containsExactly(1, 1);
    }

    @Test
    void ofRowsRejectsRaggedArraysNamingTheRow() {
        double[][] ragged = {{1, 2, 3}, {4, 5, 6}, {7, 8}};
        assertThatThrownBy(() -> Tensor.of(ragged))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ragged")
                .hasMessageContaining("row 2")
                .hasMessageContaining("2")
                .hasMessageContaining("3");
        double[][] longer = {{1}, {2, 3}};
        assertThatThrownBy(() -> Tensor.of(longer))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("row 1");
    }

    @Test
    void ofBlocksCopiesARectangularArray() {
        double[][][] blocks = new double[3][5][7];
        for (int b = 0; b < 3; b++) {
            for (int i = 0; i < 5; i++) {
                for (int j = 0; j < 7; j++) {
                    blocks[b][i][j] = b * 1000 + i * 10 + j;
                }
            }
        }
        Tensor t = Tensor.of(blocks);
        assertThat(t.shape()).containsExactly(3, 5, 7);
        TensorTesting.forEachIndex(
                t.shape(), idx -> assertThat(TensorTesting.ref(t, idx)).isEqualTo(blocks[idx[0]][idx[1]][idx[2]]));
        blocks[0][0][0] = 77;
        assertThat(t.get(0, 0, 0)).isEqualTo(0);
        assertThat(Tensor.of(new double[0][][]).shape()).containsExactly(0, 0, 0);
        assertThat(Tensor.of(new double[2][0][]).shape()).containsExactly(2, 0, 0);
        assertThat(Tensor.of(new double[2][3][0]).shape()).containsExactly(2, 3, 0);
    }

    @Test
    void ofBlocksRejectsRaggedArrays() {
        double[][][] fewerRows = {{{1, 2}, {3, 4}}, {{5, 6}}};
        assertThatThrownBy(() -> Tensor.of(fewerRows))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ragged")
                .hasMessageContaining("block 1");
        double[][][] shortRow = {{{1, 2}, {3, 4}}, {{5, 6}, {7}}};
        assertThatThrownBy(() -> Tensor.of(shortRow))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ragged")
                .hasMessageContaining("block 1 row 1");
        double[][][] shortFirst = {{{1, 2}, {3}}};
        assertThatThrownBy(() -> Tensor.of(shortFirst))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("row 1");
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void fills(int[] shape) {
        int n = count(shape);
        double[] zeros = new double[n];
        double[] ones = new double[n];
        double[] sevens = new double[n];
        double[] nans = new double[n];
        Arrays.fill(ones, 1);
        Arrays.fill(sevens, -7.5);
        Arrays.fill(nans, Double.NaN);
        assertExact(Tensor.zeros(shape), shape, zeros, "zeros");
        assertExact(Tensor.ones(shape), shape, ones, "ones");
        assertExact(Tensor.full(-7.5, shape), shape, sevens, "full");
        assertExact(Tensor.full(Double.NaN, shape), shape, nans, "full NaN");
        assertThat(Tensor.zeros(shape).isContiguous()).isTrue();
    }

    @Test
    void factoriesCopyTheShapeArgument() {
        int[] shape = {2, 3};
        Tensor t = Tensor.zeros(shape);
        shape[0] = 5;
        assertThat(t.shape()).containsExactly(2, 3);
        t.shape()[1] = 9;
        assertThat(t.shape()).containsExactly(2, 3);
        t.strides()[0] = 100;
        assertThat(t.strides()).containsExactly(3, 1);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3, 7, 13, 64, 65, 257})
    void arange(int n) {
        assertExact(Tensor.arange(n), new int[] {n}, iota(n), "arange");
    }

    @Test
    void randnIsReproduciblePerSeedAndDiffersAcrossSeeds() {
        Tensor a = Tensor.random(7).normal(13, 5);
        Tensor b = Tensor.random(7).normal(13, 5);
        Tensor c = Tensor.random(8).normal(13, 5);
        assertThat(a.shape()).containsExactly(13, 5);
        assertThat(values(a)).containsExactly(values(b));
        assertThat(a.data()).isNotSameAs(b.data());
        assertThat(values(a)).isNotEqualTo(values(c));
        // The generator is java.util.Random, so the values are specified on every JVM.
        Random r = new Random(7);
        double[] expected = new double[65];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = r.nextGaussian();
        }
        assertExact(Tensor.random(7).normal(65), new int[] {65}, expected, "randn");
    }

    @Test
    void oneGeneratorDrawsTheNextSamplesOnEachCall() {
        RandomTensors rng = Tensor.random(7);
        Tensor first = rng.normal(3, 4);
        Tensor second = rng.normal(3, 4);
        assertThat(values(first)).isNotEqualTo(values(second));
        // Together they are the first 24 samples of one stream.
        double[] both = values(Tensor.random(7).normal(24));
        assertThat(values(first)).containsExactly(Arrays.copyOfRange(both, 0, 12));
        assertThat(values(second)).containsExactly(Arrays.copyOfRange(both, 12, 24));
    }

    @Test
    void randnLooksStandardNormal() {
        double[] v = values(Tensor.random(3).normal(257, 64));
        double mean = Arrays.stream(v).average().orElseThrow();
        double var = Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / v.length;
        assertThat(mean).isBetween(-0.02, 0.02);
        assertThat(var).isBetween(0.95, 1.05);
        assertThat(Tensor.random(3).normal().shape()).isEmpty();
        assertThat(Tensor.random(3).normal(0, 4).size()).isZero();
    }

    @Test
    void uniformIsReproduciblePerSeedAndInRange() {
        Tensor a = Tensor.random(11).uniform(-3, 5, 65, 7);
        assertThat(values(a)).containsExactly(values(Tensor.random(11).uniform(-3, 5, 65, 7)));
        assertThat(values(a)).isNotEqualTo(values(Tensor.random(12).uniform(-3, 5, 65, 7)));
        assertThat(Arrays.stream(values(a)).boxed())
                .allSatisfy(x -> assertThat(x).isGreaterThanOrEqualTo(-3).isLessThan(5));
        double mean = Arrays.stream(values(a)).average().orElseThrow();
        assertThat(mean).isBetween(0.5, 1.5);
        Random r = new Random(11);
        double[] expected = new double[13];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = -3 + 8 * r.nextDouble();
        }
        assertExact(Tensor.random(11).uniform(-3, 5, 13), new int[] {13}, expected, "uniform");
        assertThat(values(Tensor.random(1).uniform(2.5, 2.5, 3))).containsExactly(2.5, 2.5, 2.5);
    }

    @Test
    void uniformRejectsBadBounds() {
        assertThatThrownBy(() -> Tensor.random(1).uniform(2, 1, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2.0")
                .hasMessageContaining("1.0");
        assertThatThrownBy(() -> Tensor.random(1).uniform(Double.NaN, 1, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NaN");
        assertThatThrownBy(() -> Tensor.random(1).uniform(0, Double.POSITIVE_INFINITY, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Infinity");
    }

    @Test
    void scalarIsZeroDimensional() {
        Tensor s = Tensor.scalar(-3.5);
        assertThat(s.shape()).isEmpty();
        assertThat(s.rank()).isZero();
        assertThat(s.size()).isEqualTo(1);
        assertThat(s.item()).isEqualTo(-3.5);
        assertThat(s.get()).isEqualTo(-3.5);
        assertThat(s.toArray()).containsExactly(-3.5);
        assertThat(s.isContiguous()).isTrue();
        s.set(2);
        assertThat(s.item()).isEqualTo(2);
        assertThat(Tensor.of(new double[] {9}).shape()).isEmpty();
    }

    @Test
    void itemNeedsExactlyOneElement() {
        assertThat(Tensor.of(new double[] {4}, 1, 1, 1).item()).isEqualTo(4);
        assertThatThrownBy(() -> Tensor.zeros(2).item())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2]");
        assertThatThrownBy(() -> Tensor.zeros(0, 3).item())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[0, 3]");
    }

    @Test
    void stridedViewsAnArrayWithAnyStrides() {
        double[] data = iota(20);
        Tensor t = Tensor.strided(data, 19, new int[] {4, 3}, new int[] {-5, -2});
        TensorTesting.forEachIndex(t.shape(), idx -> assertThat(t.get(idx)).isEqualTo(19 - 5 * idx[0] - 2 * idx[1]));
        assertThat(t.data()).isSameAs(data);
        assertThat(t.isContiguous()).isFalse();
        t.set(-1, 1, 1);
        assertThat(data[12]).isEqualTo(-1);
        Tensor repeated = Tensor.strided(data, 3, new int[] {5, 2}, new int[] {0, 1});
        assertThat(repeated.toArray()).containsExactly(3, 4, 3, 4, 3, 4, 3, 4, 3, 4);
        assertThat(Tensor.strided(data, 100, new int[] {0, 4}, new int[] {1, 1}).size())
                .isZero();
        assertThat(Tensor.strided(data, 7, new int[0], new int[0]).item()).isEqualTo(7);
    }

    @Test
    void stridedRejectsReachOutsideTheArray() {
        double[] data = new double[10];
        assertThatThrownBy(() -> Tensor.strided(data, 0, new int[] {4, 3}, new int[] {3, 1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[4, 3]")
                .hasMessageContaining("[3, 1]")
                .hasMessageContaining("10");
        assertThatThrownBy(() -> Tensor.strided(data, 2, new int[] {2}, new int[] {-3}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[-3]");
        assertThatThrownBy(() -> Tensor.strided(data, -1, new int[] {1}, new int[] {1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> Tensor.strided(data, 0, new int[] {2, 2}, new int[] {1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rank");
        assertThatThrownBy(() -> Tensor.strided(data, 0, new int[] {2, 3}, new int[] {Integer.MAX_VALUE, 1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("outside");
    }

    @Test
    void equalsIsIdentityAsTheClassDocumentationSays() {
        Tensor a = Tensor.of(new double[] {1, 2, 3}, 3);
        Tensor same = Tensor.of(new double[] {1, 2, 3}, 3);
        assertThat(a.equals(a)).isTrue();
        assertThat(a.equals(same)).isFalse();
        assertThat(a.equals(a.reshape(3))).as("even a view of the same data").isFalse();
        assertThat(a.hashCode()).isEqualTo(System.identityHashCode(a));
        // The two comparisons the documentation points to instead.
        assertThat(a.allClose(same)).isTrue();
        assertThat(Arrays.equals(a.shape(), same.shape()) && Arrays.equals(a.toArray(), same.toArray()))
                .isTrue();
        Tensor nan = Tensor.of(new double[] {Double.NaN}, 1);
        assertThat(Arrays.equals(nan.toArray(), nan.copy().toArray()))
                .as("NaN equals NaN in Arrays.equals")
                .isTrue();
        assertThat(nan.allClose(nan.copy())).as("NaN is close to nothing").isFalse();
        assertThat(Arrays.equals(
                        Tensor.of(new double[] {0.0}, 1).toArray(),
                        Tensor.of(new double[] {-0.0}, 1).toArray()))
                .as("0.0 and -0.0 differ in Arrays.equals")
                .isFalse();
    }
}
