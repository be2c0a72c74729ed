package dev.heed.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.heed.layers.Linear;
import dev.heed.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AdditiveAttentionPoolingTest {

    /** Naive pooling of one sequence x[n][E] over its first {@code len} positions: {context, weights}. */
    static double[][] naive(double[][] x, int len, double[][] w, double[] bias, double[] v) {
        int n = x.length;
        int e = w[0].length;
        double[] u = new double[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < len; i++) {
            for (int h = 0; h < w.length; h++) {
                double z = bias == null ? 0 : bias[h];
                for (int c = 0; c < e; c++) {
                    z += w[h][c] * x[i][c];
                }
                u[i] += v[h] * Math.tanh(z);
            }
            max = Math.max(max, u[i]);
        }
        double[] weights = new double[n];
        double[] context = new double[e];
        double sum = 0;
        for (int i = 0; i < len; i++) {
            sum += Math.exp(u[i] - max);
        }
        for (int i = 0; i < len; i++) {
            weights[i] = Math.exp(u[i] - max) / sum;
            for (int c = 0; c < e; c++) {
                context[c] += weights[i] * x[i][c];
            }
        }
        return new double[][] {context, weights};
    }

    static double[][] matrix(Tensor t) {
        double[][] m = new double[t.shape(0)][t.shape(1)];
        for (int i = 0; i < m.length; i++) {
            m[i] = t.select(0, i).toArray();
        }
        return m;
    }

    static void assertClose(String what, double[] actual, double[] expected, double tol) {
        assertThat(actual).as(what).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("%s [%d]", what, i).isCloseTo(expected[i], within(tol));
        }
    }

    @ParameterizedTest(name = "B={0} n={1} E={2} H={3}")
    @CsvSource({"1,1,1,1", "3,7,13,3", "2,13,7,1", "4,3,5,7", "1,7,3,13"})
    void matchesNaiveLoopsWithPadding(int batch, int n, int e, int hidden) {
        AdditiveAttentionPooling pool = AdditiveAttentionPooling.seeded(e, hidden, batch * 100 + n);
        double[][] w = matrix(pool.projection().weight());
        double[] bias = pool.projection().bias().toArray();
        double[] v = pool.scoreVector().toArray();
        Tensor x = Tensor.random(n + e).normal(batch, n, e).scale(2);
        int[] lengths = new int[batch];
        Random random = new Random(n);
        for (int b = 0; b < batch; b++) {
            lengths[b] = b == 0 ? n : random.nextInt(n + 1); // full length, then anything in [0, n]
        }
        AttentionResult full = pool.forward(x);
        AttentionResult padded = pool.forward(x, lengths);
        assertThat(padded.output().shape()).containsExactly(batch, e);
        assertThat(padded.weights().shape()).containsExactly(batch, n);
        assertThat(padded.logSumExp().shape()).containsExactly(batch);
        for (int b = 0; b < batch; b++) {
            double[][] xb = matrix(x.select(0, b));
            double[][] expectedFull = naive(xb, n, w, bias, v);
            assertClose("full context " + b, full.output().select(0, b).toArray(), expectedFull[0], 1e-13);
            assertClose("full weights " + b, full.weights().select(0, b).toArray(), expectedFull[1], 1e-14);
            double[][] expected = naive(xb, lengths[b], w, bias, v);
            assertClose("padded context " + b, padded.output().select(0, b).toArray(), expected[0], 1e-13);
            assertClose("padded weights " + b, padded.weights().select(0, b).toArray(), expected[1], 1e-14);
            for (int i = lengths[b]; i < n; i++) {
                assertThat(padded.weights().get(b, i))
                        .as("padded position %d of %d", i, b)
                        .isEqualTo(0.0);
            }
        }
    }

    @Test
    void weightsAreASoftmaxOverTheSequenceOfEachBatchElement() {
        // The tutorial normalises over everything at once; here each sequence sums to 1 on its own.
        AdditiveAttentionPooling pool = AdditiveAttentionPooling.seeded(4, 3, 5);
        Tensor x = Tensor.random(1).normal(3, 5, 4);
        AttentionResult r = pool.forward(x);
        Tensor sums = r.weights().sum(-1);
        for (double s : sums.toArray()) {
            assertThat(s).isCloseTo(1.0, within(1e-15));
        }
        // logSumExp is log Σ exp(u) of the scores
        Tensor u = pool.scores(x);
        assertClose("lse", r.logSumExp().toArray(), u.logSumExp(-1).toArray(), 1e-14);
    }

    @Test
    void singleVectorIsTheTutorialsTanhDotScore() {
        Tensor w = Tensor.random(2).normal(6);
        AdditiveAttentionPooling pool = AdditiveAttentionPooling.singleVector(w);
        assertThat(pool.hiddenDim()).isEqualTo(1);
        assertThat(pool.inputDim()).isEqualTo(6);
        Tensor x = Tensor.random(3).normal(5, 6);
        double[] u = pool.scores(x).toArray();
        for (int i = 0; i < 5; i++) {
            double dot = 0;
            for (int c = 0; c < 6; c++) {
                dot += x.get(i, c) * w.get(c);
            }
            assertThat(u[i]).isCloseTo(Math.tanh(dot), within(1e-15));
        }
        // unbatched: context [E], weights [n], logSumExp 0-d
        AttentionResult r = pool.forward(x);
        assertThat(r.output().shape()).containsExactly(6);
        assertThat(r.weights().shape()).containsExactly(5);
        assertThat(r.logSumExp().shape()).isEmpty();
        double[][] expected = naive(matrix(x), 5, matrix(w.reshape(1, 6)), null, new double[] {1});
        assertClose("context", r.output().toArray(), expected[0], 1e-14);
        assertClose("weights", r.weights().toArray(), expected[1], 1e-15);
    }

    @Test
    void givenParametersAreUsedAndCopied() {
        double[] v = {0.5, -1, 2};
        Linear projection =
                Linear.of(Tensor.random(4).normal(3, 2), Tensor.random(5).normal(3));
        AdditiveAttentionPooling pool = AdditiveAttentionPooling.of(projection, Tensor.of(v, 3));
        v[0] = 100;
        assertThat(pool.scoreVector().toArray()).containsExactly(0.5, -1, 2);
        pool.scoreVector().set(7, 0);
        assertThat(pool.scoreVector().toArray()).containsExactly(0.5, -1, 2);
        Tensor x = Tensor.random(6).normal(4, 2);
        double[][] expected = naive(
                matrix(x), 4, matrix(projection.weight()), projection.bias().toArray(), new double[] {0.5, -1, 2});
        assertClose("context", pool.forward(x).output().toArray(), expected[0], 1e-14);
        assertThat(pool.toString()).isEqualTo("AdditiveAttentionPooling{inputDim=2, hiddenDim=3, bias=true}");
    }

    @Test
    void nonContiguousInputGivesTheSameResult() {
        AdditiveAttentionPooling pool = AdditiveAttentionPooling.seeded(3, 4, 9);
        Tensor stored = Tensor.random(4).normal(3, 7, 2); // [E, n, B]
        Tensor x = stored.permute(2, 1, 0); // [B, n, E] view
        assertThat(x.isContiguous()).isFalse();
        AttentionResult a = pool.forward(x, 7, 3);
        AttentionResult b = pool.forward(x.copy(), 7, 3);
        assertThat(a.output().toArray()).containsExactly(b.output().toArray());
        assertThat(a.weights().toArray()).containsExactly(b.weights().toArray());
    }

    @Test
    void paddingIsIgnoredWhateverItHolds() {
        AdditiveAttentionPooling pool = AdditiveAttentionPooling.seeded(3, 2, 4);
        Tensor x = Tensor.random(8).normal(2, 5, 3);
        Tensor poisoned = x.copy();
        for (int i = 3; i < 5; i++) {
            for (int c = 0; c < 3; c++) {
                poisoned.set(i == 3 ? Double.NaN : Double.POSITIVE_INFINITY, 0, i, c);
            }
        }
        AttentionResult clean = pool.forward(x, 3, 5);
        AttentionResult dirty = pool.forward(poisoned, 3, 5);
        // equal up to rounding: a kernel may sum the real positions in another order when the padding is not finite
        assertClose(
                "context",
                dirty.output().select(0, 0).toArray(),
                clean.output().select(0, 0).toArray(),
                1e-15);
        assertClose(
                "weights",
                dirty.weights().select(0, 0).toArray(),
                clean.weights().select(0, 0).toArray(),
                1e-15);
        // the same through an elementwise mask: a [B, n] keep mask reshaped to [B, 1, n]
        Tensor keep = Tensor.of(new double[] {1, 1, 1, 0, 0, 1, 1, 1, 1, 1}, 2, 5);
        AttentionResult masked = pool.forward(poisoned, Mask.allow(keep.reshape(2, 1, 5)));
        assertClose("masked context", masked.output().toArray(), clean.output().toArray(), 1e-15);
        assertClose(
                "masked weights", masked.weights().toArray(), clean.weights().toArray(), 1e-15);
    }

    @Test
    void emptySequencesGiveZerosNeverNaN() {
        AdditiveAttentionPooling pool = AdditiveAttentionPooling.seeded(3, 2, 4);
        Tensor x = Tensor.random(8).normal(3, 4, 3);
        AttentionResult r = pool.forward(x, 0, 4, 0);
        for (int b : new int[] {0, 2}) {
            assertThat(r.output().select(0, b).toArray()).containsOnly(0.0);
            assertThat(r.weights().select(0, b).toArray()).containsOnly(0.0);
            assertThat(r.logSumExp().get(b)).isEqualTo(Double.NEGATIVE_INFINITY);
        }
        assertThat(r.weights().select(0, 1).sum()).isCloseTo(1.0, within(1e-15));
        // n = 0: nothing to pool at all
        AttentionResult none = pool.forward(Tensor.zeros(2, 0, 3));
        assertThat(none.output().shape()).containsExactly(2, 3);
        assertThat(none.output().toArray()).containsOnly(0.0);
        assertThat(none.weights().shape()).containsExactly(2, 0);
        // B = 0: no sequences, no lengths
        AttentionResult noBatch = pool.forward(Tensor.zeros(0, 4, 3), new int[0]);
        assertThat(noBatch.output().shape()).containsExactly(0, 3);
        assertThat(noBatch.weights().shape()).containsExactly(0, 4);
        // a mask that blocks everything
        AttentionResult blocked = pool.forward(x, Mask.block(Tensor.ones(4)));
        assertThat(blocked.output().toArray()).containsOnly(0.0);
        assertThat(blocked.weights().toArray()).containsOnly(0.0);
    }

    @Test
    void largeScoresStayExact() {
        // v large enough that scores reach ±1e6: a naive exp would overflow to inf/inf = NaN.
        AdditiveAttentionPooling pool = AdditiveAttentionPooling.of(
                Linear.of(Tensor.of(new double[] {1, 0}, 1, 2)), Tensor.of(new double[] {1e6}, 1));
        Tensor x = Tensor.of(new double[][] {{5, 1}, {-5, 2}, {0.1, 3}});
        AttentionResult r = pool.forward(x);
        assertThat(r.weights().toArray()).containsExactly(1.0, 0.0, 0.0);
        assertThat(r.output().toArray()).containsExactly(5, 1);
    }

    @Test
    void seededPoolingIsReproducible() {
        Tensor x = Tensor.random(1).normal(2, 7, 5);
        AttentionResult a = AdditiveAttentionPooling.seeded(5, 3, 77).forward(x);
        AttentionResult b = AdditiveAttentionPooling.seeded(5, 3, 77).forward(x);
        assertThat(a.output().toArray()).containsExactly(b.output().toArray());
        assertThat(AdditiveAttentionPooling.seeded(5, 3, 78).forward(x).output().toArray())
                .isNotEqualTo(a.output().toArray());
        // the documented draw order: W, b, then v from one Random
        Random random = new Random(77);
        Linear w = Linear.seeded(5, 3, true, random);
        Linear v = Linear.seeded(3, 1, false, random);
        AdditiveAttentionPooling pool = AdditiveAttentionPooling.seeded(5, 3, 77);
        assertThat(pool.projection().weight().toArray())
                .containsExactly(w.weight().toArray());
        assertThat(pool.scoreVector().toArray()).containsExactly(v.weight().toArray());
        for (double value : pool.scoreVector().toArray()) {
            assertThat(Math.abs(value)).isLessThanOrEqualTo(1 / Math.sqrt(3));
        }
    }

    @Test
    void badArgumentsAreNamed() {
        AdditiveAttentionPooling pool = AdditiveAttentionPooling.seeded(3, 2, 1);
        assertThatThrownBy(() -> pool.forward(Tensor.zeros(2, 4, 5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 4, 5]")
                .hasMessageContaining("[B, n, 3]");
        assertThatThrownBy(() -> pool.forward(Tensor.zeros(3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3]");
        assertThatThrownBy(() -> pool.forward(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pool.forward(Tensor.zeros(2, 4, 3), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 entries")
                .hasMessageContaining("2 sequences");
        assertThatThrownBy(() -> pool.forward(Tensor.zeros(2, 4, 3), 1, 5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("length 5")
                .hasMessageContaining("[0, 4]");
        assertThatThrownBy(() -> pool.forward(Tensor.zeros(2, 4, 3), -1, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("length -1");
        assertThatThrownBy(() -> pool.forward(Tensor.zeros(4, 3), 1, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 sequence");
        assertThatThrownBy(() -> pool.forward(Tensor.zeros(2, 4, 3), (Mask) null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Mask.none()");
        assertThatThrownBy(() -> pool.forward(Tensor.zeros(2, 4, 3), Mask.allow(Tensor.ones(2, 4))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 4]")
                .hasMessageContaining("[2, 1, 4]");
        assertThatThrownBy(() -> AdditiveAttentionPooling.seeded(0, 2, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("inputDim=0");
        assertThatThrownBy(() -> AdditiveAttentionPooling.seeded(2, 0, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hiddenDim=0");
        assertThatThrownBy(() -> AdditiveAttentionPooling.of(Linear.seeded(3, 2, true, 1), Tensor.zeros(3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2]")
                .hasMessageContaining("[3]");
        assertThatThrownBy(() -> AdditiveAttentionPooling.of(null, Tensor.zeros(3)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AdditiveAttentionPooling.singleVector(Tensor.zeros(2, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 2]");
    }
}
