package dev.heed.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.heed.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LinearTest {

    /** y[r][o] = b[o] + Σ_c x[r][c] · w[o][c], over rows r of a flattened [..., in] input. */
    static double[] naive(double[] x, int in, double[] w, int out, double[] b) {
        int rows = x.length / in;
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int c = 0; c < in; c++) {
                    s += x[r * in + c] * w[o * in + c];
                }
                y[r * out + o] = s;
            }
        }
        return y;
    }

    private static void assertClose(double[] actual, double[] expected, double tol) {
        assertThat(actual).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("element %d", i).isCloseTo(expected[i], within(tol));
        }
    }

    @ParameterizedTest(name = "in={0} out={1} bias={2}")
    @CsvSource({"1,1,true", "1,3,false", "3,1,true", "7,13,true", "13,7,false", "4,4,true"})
    void matchesNaiveLoopsForEveryRank(int in, int out, boolean bias) {
        Linear layer = Linear.seeded(in, out, bias, 11);
        double[] w = layer.weight().toArray();
        double[] b = bias ? layer.bias().toArray() : null;
        for (int[] lead : new int[][] {{}, {3}, {2, 5}, {1, 2, 3}}) {
            int[] shape = java.util.Arrays.copyOf(lead, lead.length + 1);
            shape[lead.length] = in;
            Tensor x = Tensor.random(5).normal(shape);
            Tensor y = layer.forward(x);
            int[] expectedShape = shape.clone();
            expectedShape[lead.length] = out;
            assertThat(y.shape()).containsExactly(expectedShape);
            assertClose(y.toArray(), naive(x.toArray(), in, w, out, b), 1e-13);
        }
    }

    @Test
    void acceptsNonContiguousInput() {
        Linear layer = Linear.seeded(3, 4, true, 2);
        Tensor stored = Tensor.random(9).normal(3, 5); // [in, rows] stored transposed
        Tensor x = stored.transpose(0, 1); // [5, 3], not contiguous
        assertThat(x.isContiguous()).isFalse();
        double[] expected =
                naive(x.toArray(), 3, layer.weight().toArray(), 4, layer.bias().toArray());
        assertClose(layer.forward(x).toArray(), expected, 1e-14);
        Tensor every2nd = Tensor.random(4).normal(7, 3).slice(0, 0, 7, 2);
        assertClose(
                layer.forward(every2nd).toArray(),
                naive(
                        every2nd.toArray(),
                        3,
                        layer.weight().toArray(),
                        4,
                        layer.bias().toArray()),
                1e-14);
    }

    @Test
    void computesXTimesWTransposedPlusBiasInPyTorchLayout() {
        // weight [out=2, in=3]: y = x Wᵀ + b
        Linear layer =
                Linear.of(Tensor.of(new double[][] {{1, 2, 3}, {0, -1, 0.5}}), Tensor.of(new double[] {10, 20}, 2));
        Tensor y = layer.forward(Tensor.of(new double[] {1, 1, 2}, 3));
        assertThat(y.shape()).containsExactly(2);
        assertThat(y.toArray()).containsExactly(10 + 1 + 2 + 6, 20 - 1 + 1);
        assertThat(Linear.of(Tensor.of(new double[][] {{2}}))
                        .forward(Tensor.of(new double[] {3}, 1, 1))
                        .toArray())
                .containsExactly(6);
    }

    @Test
    void seededInitialisationIsReproducibleAndWithinTorchBounds() {
        Linear a = Linear.seeded(13, 7, true, 42);
        Linear b = Linear.seeded(13, 7, true, 42);
        assertThat(a.weight().toArray()).containsExactly(b.weight().toArray());
        assertThat(a.bias().toArray()).containsExactly(b.bias().toArray());
        assertThat(Linear.seeded(13, 7, true, 43).weight().toArray())
                .isNotEqualTo(a.weight().toArray());
        double bound = 1 / Math.sqrt(13);
        for (double v : a.weight().toArray()) {
            assertThat(Math.abs(v)).isLessThanOrEqualTo(bound);
        }
        for (double v : a.bias().toArray()) {
            assertThat(Math.abs(v)).isLessThanOrEqualTo(bound);
        }
        // Large draws fill the whole interval, not a corner of it.
        double[] big = Linear.seeded(100, 100, false, 1).weight().toArray();
        double max = 0;
        double mean = 0;
        for (double v : big) {
            max = Math.max(max, Math.abs(v));
            mean += v / big.length;
        }
        assertThat(max).isGreaterThan(0.99 * 0.1);
        assertThat(mean).isCloseTo(0, within(0.005));
        assertThat(Linear.seeded(3, 2, false, 1).hasBias()).isFalse();
        assertThat(Linear.seeded(3, 2, false, 1).bias()).isNull();
    }

    @Test
    void randomOverloadDrawsWeightsThenBias() {
        Random random = new Random(8);
        Linear layer = Linear.seeded(3, 2, true, random);
        Random replay = new Random(8);
        double bound = 1 / Math.sqrt(3);
        double[] expected = new double[8];
        for (int i = 0; i < 8; i++) {
            expected[i] = (2 * replay.nextDouble() - 1) * bound;
        }
        double[] actual = new double[8];
        System.arraycopy(layer.weight().toArray(), 0, actual, 0, 6);
        System.arraycopy(layer.bias().toArray(), 0, actual, 6, 2);
        assertThat(actual).containsExactly(expected);
        assertThat(random.nextDouble())
                .as("the generator advanced by exactly 8 draws")
                .isEqualTo(replay.nextDouble());
        assertThat(Linear.seeded(3, 2, true, 8).weight().toArray())
                .containsExactly(layer.weight().toArray());
    }

    @Test
    void weightsAreCopiedInAndOut() {
        double[] w = {1, 2, 3, 4};
        double[] b = {5, 6};
        Linear layer = Linear.of(Tensor.of(w, 2, 2), Tensor.of(b, 2));
        w[0] = 100;
        b[0] = 100;
        layer.weight().set(-1, 0, 0);
        layer.bias().set(-1, 0);
        assertThat(layer.weight().toArray()).containsExactly(1, 2, 3, 4);
        assertThat(layer.bias().toArray()).containsExactly(5, 6);
        // A non-contiguous weight is copied as the matrix it shows.
        Linear t = Linear.of(Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 3, 2).transpose(0, 1));
        assertThat(t.weight().shape()).containsExactly(2, 3);
        assertThat(t.weight().toArray()).containsExactly(1, 3, 5, 2, 4, 6);
        assertThat(t.inFeatures()).isEqualTo(3);
        assertThat(t.outFeatures()).isEqualTo(2);
        assertThat(t.toString()).isEqualTo("Linear{in=3, out=2, bias=false}");
    }

    @Test
    void doesNotModifyItsInput() {
        Linear layer = Linear.seeded(3, 3, true, 1);
        double[] data = Tensor.random(3).normal(2, 3).toArray();
        double[] before = data.clone();
        layer.forward(Tensor.of(data, 2, 3));
        assertThat(data).containsExactly(before);
    }

    @Test
    void emptyLeadingAxesGiveEmptyOutput() {
        Tensor y = Linear.seeded(3, 2, true, 1).forward(Tensor.zeros(0, 3));
        assertThat(y.shape()).containsExactly(0, 2);
    }

    @Test
    void badArgumentsAreNamed() {
        assertThatThrownBy(() -> Linear.of(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null");
        assertThatThrownBy(() -> Linear.of(Tensor.zeros(3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[out, in]")
                .hasMessageContaining("[3]");
        assertThatThrownBy(() -> Linear.of(Tensor.zeros(0, 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[0, 3]");
        assertThatThrownBy(() -> Linear.of(Tensor.zeros(2, 3), Tensor.zeros(3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2]")
                .hasMessageContaining("[3]")
                .hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> Linear.of(Tensor.zeros(2, 3), Tensor.zeros(2, 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 1]");
        assertThatThrownBy(() -> Linear.seeded(0, 3, true, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("in=0");
        assertThatThrownBy(() -> Linear.seeded(3, -1, true, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("out=-1");
        assertThatThrownBy(() -> Linear.seeded(3, 1, true, (Random) null)).isInstanceOf(IllegalArgumentException.class);
        Linear layer = Linear.seeded(3, 2, true, 1);
        assertThatThrownBy(() -> layer.forward(Tensor.zeros(4, 5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[4, 5]")
                .hasMessageContaining("[..., 3]");
        assertThatThrownBy(() -> layer.forward(Tensor.scalar(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[]");
        assertThatThrownBy(() -> layer.forward(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
