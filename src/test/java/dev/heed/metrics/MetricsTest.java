package dev.heed.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.heed.tensor.Tensor;
import org.junit.jupiter.api.Test;

class MetricsTest {

    @Test
    void entropyOfOneHotIsExactlyZeroAndOfUniformIsLogN() {
        Tensor w = Tensor.of(new double[][] {
            {0, 0, 1, 0},
            {0.25, 0.25, 0.25, 0.25},
            {0.5, 0.5, 0, 0},
            {0, 0, 0, 0}
        });
        double[] h = Metrics.entropy(w).toArray();
        assertThat(h[0]).isEqualTo(0.0);
        assertThat(h[1]).isCloseTo(Math.log(4), within(1e-15));
        assertThat(h[2]).isCloseTo(Math.log(2), within(1e-15));
        assertThat(h[3]).as("a row that attended to nothing").isEqualTo(0.0);
    }

    @Test
    void entropyReducesTheLastAxisOfAnyRank() {
        Tensor w = Tensor.random(3).uniform(0, 1, 2, 3, 4, 7);
        Tensor h = Metrics.entropy(w);
        assertThat(h.shape()).containsExactly(2, 3, 4);
        for (int a = 0; a < 2; a++) {
            for (int b = 0; b < 3; b++) {
                for (int c = 0; c < 4; c++) {
                    double expected = 0;
                    for (int j = 0; j < 7; j++) {
                        double p = w.get(a, b, c, j);
                        expected -= p * Math.log(p);
                    }
                    assertThat(h.get(a, b, c)).isCloseTo(expected, within(1e-14));
                }
            }
        }
        // Non-contiguous input: the entropy of the columns of a transposed matrix.
        Tensor m = Tensor.of(new double[][] {{1, 0.5}, {0, 0.5}});
        assertThat(Metrics.entropy(m.transpose(0, 1)).toArray()).containsExactly(0, Math.log(2));
    }

    @Test
    void concentrationIsTheRowMaximum() {
        Tensor w = Tensor.of(new double[][] {{0.1, 0.7, 0.2}, {1.0 / 3, 1.0 / 3, 1.0 / 3}});
        assertThat(Metrics.concentration(w).toArray()).containsExactly(0.7, 1.0 / 3);
        assertThat(Metrics.concentration(Tensor.ones(2, 3, 1)).shape()).containsExactly(2, 3);
    }

    @Test
    void nanPropagatesToItsRowOnly() {
        Tensor w = Tensor.of(new double[][] {{Double.NaN, 0.5}, {0.5, 0.5}});
        assertThat(Metrics.entropy(w).get(0)).isNaN();
        assertThat(Metrics.entropy(w).get(1)).isCloseTo(Math.log(2), within(1e-15));
        assertThat(Metrics.concentration(w).get(0)).isNaN();
    }

    @Test
    void accuracyIsTheFractionEqual() {
        // The tutorial's example: 4 of 5 right.
        assertThat(Metrics.accuracy(new int[] {1, 0, 1, 1, 0}, new int[] {1, 0, 1, 0, 0}))
                .isEqualTo(0.8);
        assertThat(Metrics.accuracy(new int[] {3}, new int[] {3})).isEqualTo(1.0);
        assertThat(Metrics.accuracy(new int[] {3, 4}, new int[] {4, 3})).isEqualTo(0.0);
    }

    @Test
    void evaluateSummarisesAccuracyEntropyAndConcentration() {
        Tensor w = Tensor.of(new double[][] {{1, 0}, {0.5, 0.5}});
        Metrics.Evaluation e = Metrics.evaluate(new int[] {1, 0, 1, 1, 0}, new int[] {1, 0, 1, 0, 0}, w);
        assertThat(e.accuracy()).isEqualTo(0.8);
        assertThat(e.meanEntropy()).isCloseTo(Math.log(2) / 2, within(1e-15));
        assertThat(e.meanConcentration()).isEqualTo(0.75);
    }

    @Test
    void badInputIsRefused() {
        assertThatThrownBy(() -> Metrics.accuracy(new int[] {1, 2}, new int[] {1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2")
                .hasMessageContaining("1");
        assertThatThrownBy(() -> Metrics.accuracy(new int[0], new int[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Metrics.entropy(Tensor.of(new double[] {0.5, -0.1, 0.6}, 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-0.1");
        assertThatThrownBy(() -> Metrics.entropy(Tensor.scalar(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rank");
        assertThatThrownBy(() -> Metrics.concentration(Tensor.zeros(3, 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3, 0]");
    }
}
