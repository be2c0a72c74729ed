package dev.heed.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.heed.attention.Mask;
import dev.heed.attention.MultiHeadAttention;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Normalised entropy, top-k mass and mean attention distance against naive loops. */
class SpreadMetricsTest {

    /** Rows of a softmax over random logits, [rows, keys], each summing to 1. */
    static Tensor softmaxRows(long seed, int... shape) {
        return Tensor.random(seed).normal(shape).scale(2).softmax(-1);
    }

    @Test
    void normalizedEntropyIsEntropyOverLnS() {
        for (int keys : new int[] {2, 3, 7, 13}) {
            Tensor w = softmaxRows(keys, 4, keys);
            double[] got = Metrics.normalizedEntropy(w).toArray();
            for (int r = 0; r < 4; r++) {
                double h = 0;
                for (int j = 0; j < keys; j++) {
                    double p = w.get(r, j);
                    h -= p * Math.log(p);
                }
                assertThat(got[r]).isCloseTo(h / Math.log(keys), within(1e-15)).isBetween(0.0, 1.0);
            }
        }
        Tensor edges = Tensor.of(new double[][] {{0, 1, 0}, {1.0 / 3, 1.0 / 3, 1.0 / 3}, {0, 0, 0}});
        double[] got = Metrics.normalizedEntropy(edges).toArray();
        assertThat(got[0]).isEqualTo(0.0);
        assertThat(got[1]).isCloseTo(1.0, within(1e-15));
        assertThat(got[2]).as("a query that attended to nothing").isEqualTo(0.0);
    }

    @Test
    void normalizedEntropyOfASingleKeyIsZero() {
        assertThat(Metrics.normalizedEntropy(Tensor.ones(3, 1)).toArray()).containsExactly(0, 0, 0);
        assertThat(Metrics.normalizedEntropy(Tensor.zeros(2, 0)).toArray()).containsExactly(0, 0);
        assertThat(Metrics.normalizedEntropy(Tensor.of(new double[] {Double.NaN}, 1, 1))
                        .get(0))
                .isNaN();
        assertThat(Metrics.normalizedEntropy(Tensor.of(new double[] {0.5, Double.NaN}, 1, 2))
                        .get(0))
                .isNaN();
        assertThatThrownBy(() -> Metrics.normalizedEntropy(Tensor.of(new double[] {-0.5, 1.5}, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-0.5");
        assertThatThrownBy(() -> Metrics.normalizedEntropy(Tensor.scalar(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void topKMassSumsTheKLargestWeights() {
        Tensor w = Tensor.of(new double[][] {{0.1, 0.4, 0.2, 0.3}, {0.25, 0.25, 0.25, 0.25}, {0, 0, 1, 0}});
        assertThat(Metrics.topKMass(w, 1).toArray()).containsExactly(0.4, 0.25, 1);
        assertThat(Metrics.topKMass(w, 2).toArray()).containsExactly(0.4 + 0.3, 0.5, 1);
        double[] all = Metrics.topKMass(w, 4).toArray();
        for (int r = 0; r < 3; r++) {
            assertThat(all[r]).isCloseTo(1.0, within(1e-15));
        }
        // naive: repeatedly take the largest remaining weight, odd sizes, rank 3, non-contiguous
        for (int keys : new int[] {1, 3, 7, 13}) {
            Tensor x = softmaxRows(keys, keys, 3, 2).transpose(0, 2); // [2, 3, keys] view over the wrong axis
            for (int k = 1; k <= keys; k += 2) {
                double[] got = Metrics.topKMass(x, k).toArray();
                assertThat(Metrics.topKMass(x, k).shape()).containsExactly(2, 3);
                for (int a = 0; a < 2; a++) {
                    for (int b = 0; b < 3; b++) {
                        boolean[] used = new boolean[keys];
                        double sum = 0;
                        for (int taken = 0; taken < k; taken++) {
                            int best = -1;
                            for (int j = 0; j < keys; j++) {
                                if (!used[j] && (best < 0 || x.get(a, b, j) > x.get(a, b, best))) {
                                    best = j;
                                }
                            }
                            used[best] = true;
                            sum += x.get(a, b, best);
                        }
                        assertThat(got[a * 3 + b]).isCloseTo(sum, within(1e-15));
                    }
                }
            }
        }
    }

    @Test
    void topKMassChecksK() {
        Tensor w = Tensor.ones(2, 5);
        assertThatThrownBy(() -> Metrics.topKMass(w, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("k = 0")
                .hasMessageContaining("[1, 5]");
        assertThatThrownBy(() -> Metrics.topKMass(w, 6))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("k = 6")
                .hasMessageContaining("[2, 5]");
        assertThatThrownBy(() -> Metrics.topKMass(Tensor.zeros(2, 0), 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Metrics.topKMass(Tensor.of(new double[] {0.5, -0.1}, 2), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-0.1");
        assertThat(Metrics.topKMass(Tensor.of(new double[] {0.5, Double.NaN, 0.2, 0.3}, 2, 2), 1)
                        .toArray()[0])
                .isNaN();
        assertThat(Metrics.topKMass(Tensor.of(new double[] {0.5, Double.NaN, 0.2, 0.3}, 2, 2), 1)
                        .toArray()[1])
                .isEqualTo(0.3);
    }

    /** Σ_j w[i][j] |i + (S − L) − j| written out. */
    static double naiveDistance(Tensor w2, int i) {
        int l = w2.shape(0);
        int s = w2.shape(1);
        double d = 0;
        for (int j = 0; j < s; j++) {
            d += w2.get(i, j) * Math.abs(i + (s - l) - j);
        }
        return d;
    }

    @Test
    void meanAttentionDistanceUsesBottomRightAlignment() {
        // self-attention: |i - j|
        Tensor eye = Tensor.of(new double[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}});
        assertThat(Metrics.meanAttentionDistance(eye).toArray()).containsExactly(0, 0, 0);
        Tensor first = Tensor.of(new double[][] {{1, 0, 0}, {1, 0, 0}, {1, 0, 0}});
        assertThat(Metrics.meanAttentionDistance(first).toArray()).containsExactly(0, 1, 2);
        // L = 2 queries over S = 5 keys: query i sits at key position i + 3, as under Mask.causal()
        Tensor lastKeys = Tensor.of(new double[][] {{0, 0, 0, 1, 0}, {0, 0, 0, 0, 1}});
        assertThat(Metrics.meanAttentionDistance(lastKeys).toArray()).containsExactly(0, 0);
        Tensor spread = Tensor.of(new double[][] {{0.5, 0, 0, 0.5, 0}, {0.25, 0.25, 0, 0, 0.5}});
        assertThat(Metrics.meanAttentionDistance(spread).toArray()).containsExactly(1.5, 0.25 * 4 + 0.25 * 3);
        // a query that attended to nothing
        assertThat(Metrics.meanAttentionDistance(Tensor.zeros(2, 3)).toArray()).containsExactly(0, 0);
        // L > S: the first queries sit before the first key
        assertThat(Metrics.meanAttentionDistance(Tensor.of(new double[][] {{1}, {1}, {1}}))
                        .toArray())
                .containsExactly(2, 1, 0);
    }

    @Test
    void meanAttentionDistanceMatchesNaiveLoopsForOddShapes() {
        for (int[] ls : new int[][] {{1, 1}, {3, 7}, {7, 3}, {13, 13}, {1, 13}}) {
            Tensor w = softmaxRows(ls[0] * 17L + ls[1], 2, 3, ls[0], ls[1]);
            Tensor got = Metrics.meanAttentionDistance(w);
            assertThat(got.shape()).containsExactly(2, 3, ls[0]);
            for (int a = 0; a < 2; a++) {
                for (int b = 0; b < 3; b++) {
                    Tensor w2 = w.select(0, a).select(0, b);
                    for (int i = 0; i < ls[0]; i++) {
                        assertThat(got.get(a, b, i)).isCloseTo(naiveDistance(w2, i), within(1e-13));
                    }
                }
            }
        }
        Tensor stored = softmaxRows(3, 5, 4).transpose(0, 1); // [4, 5], not contiguous, rows not normalised
        Tensor got = Metrics.meanAttentionDistance(stored);
        for (int i = 0; i < 4; i++) {
            assertThat(got.get(i)).isCloseTo(naiveDistance(stored, i), within(1e-15));
        }
        assertThatThrownBy(() -> Metrics.meanAttentionDistance(Tensor.ones(3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3]")
                .hasMessageContaining("[..., L, S]");
        assertThatThrownBy(() -> Metrics.meanAttentionDistance(Tensor.full(-1, 2, 2)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Metrics.meanAttentionDistance(Tensor.zeros(2, 0)).toArray()).containsExactly(0, 0);
    }

    @Test
    void headMeanAveragesOverBatchAndQueriesSkippingEmptyRows() {
        Tensor w = softmaxRows(5, 2, 3, 4, 6);
        Tensor perHead = Metrics.headMeanAttentionDistance(w);
        assertThat(perHead.shape()).containsExactly(3);
        for (int h = 0; h < 3; h++) {
            double sum = 0;
            for (int b = 0; b < 2; b++) {
                for (int i = 0; i < 4; i++) {
                    sum += naiveDistance(w.select(0, b).select(0, h), i);
                }
            }
            assertThat(perHead.get(h)).isCloseTo(sum / 8, within(1e-14));
        }
        // [H, L, S] without a batch axis
        assertThat(Metrics.headMeanAttentionDistance(w.select(0, 0)).shape()).containsExactly(3);
        // blocked rows (all zero) are left out; a head with nothing at all gets 0
        Tensor some = Tensor.zeros(1, 2, 2, 3);
        some.set(1, 0, 0, 1, 0); // head 0, query 1 attends key 0: distance 2 (query sits at position 2)
        double[] d = Metrics.headMeanAttentionDistance(some).toArray();
        assertThat(d).containsExactly(2, 0);
        assertThatThrownBy(() -> Metrics.headMeanAttentionDistance(Tensor.ones(3, 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[B, H, L, S]")
                .hasMessageContaining("[3, 3]");
        assertThatThrownBy(() -> Metrics.headMeanAttentionDistance(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void causalHeadsLookBackwardAndTheDistanceShowsIt() {
        MultiHeadAttention mha = MultiHeadAttention.builder(8, 2).seed(3).build();
        Tensor x = Tensor.random(4).normal(2, 9, 8);
        Tensor weights = mha.forward(x, Mask.causal()).weights();
        double[] perHead = Metrics.headMeanAttentionDistance(weights).toArray();
        assertThat(perHead).hasSize(2);
        for (double v : perHead) {
            assertThat(v).isPositive().isLessThan(8);
        }
        double[] rows = Metrics.meanAttentionDistance(weights).toArray();
        assertThat(Arrays.stream(rows).min().orElseThrow()).isGreaterThanOrEqualTo(0);
    }
}
