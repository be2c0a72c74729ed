package dev.heed.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MultiHeadAttentionTest {

    /** Multi-head attention written out with loops over plain arrays, independent of Heed's kernels. */
    static double[][][] naive(
            double[][][] query,
            double[][][] key,
            double[][][] value,
            int heads,
            double[][] wq,
            double[][] wk,
            double[][] wv,
            double[][] wo,
            double[] bq,
            double[] bk,
            double[] bv,
            double[] bo,
            boolean[][][] blocked) {
        int batch = query.length;
        int e = wq.length;
        int hd = e / heads;
        double[][][] out = new double[batch][][];
        for (int b = 0; b < batch; b++) {
            double[][] q = linear(query[b], wq, bq);
            double[][] k = linear(key[b], wk, bk);
            double[][] v = linear(value[b], wv, bv);
            int len = q.length;
            int keys = k.length;
            double[][] merged = new double[len][e];
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < len; i++) {
                    double[] s = new double[keys];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < keys; j++) {
                        if (blocked != null && blocked[b][i][j]) {
                            s[j] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double dot = 0;
                        for (int c = 0; c < hd; c++) {
                            dot += q[i][h * hd + c] * k[j][h * hd + c];
                        }
                        s[j] = dot / Math.sqrt(hd);
                        max = Math.max(max, s[j]);
                    }
                    if (max == Double.NEGATIVE_INFINITY) {
                        continue;
                    }
                    double sum = 0;
                    for (int j = 0; j < keys; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int j = 0; j < keys; j++) {
                        for (int c = 0; c < hd; c++) {
                            merged[i][h * hd + c] += s[j] / sum * v[j][h * hd + c];
                        }
                    }
                }
            }
            out[b] = linear(merged, wo, bo);
        }
        return out;
    }

    static double[][] linear(double[][] x, double[][] w, double[] bias) {
        double[][] y = new double[x.length][w.length];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < w.length; o++) {
                double s = bias == null ? 0 : bias[o];
                for (int c = 0; c < x[i].length; c++) {
                    s += x[i][c] * w[o][c];
                }
                y[i][o] = s;
            }
        }
        return y;
    }

    static double[][] rows(Tensor t) {
        double[][] r = new double[t.shape(0)][t.shape(1)];
        for (int i = 0; i < r.length; i++) {
            for (int j = 0; j < r[i].length; j++) {
                r[i][j] = t.get(i, j);
            }
        }
        return r;
    }

    static double[][][] blocks(Tensor t) {
        double[][][] r = new double[t.shape(0)][][];
        for (int b = 0; b < r.length; b++) {
            r[b] = rows(t.select(0, b));
        }
        return r;
    }

    static void assertClose(Tensor actual, double[][][] expected, double tol) {
        assertThat(actual.shape()).containsExactly(expected.length, expected[0].length, expected[0][0].length);
        for (int b = 0; b < expected.length; b++) {
            for (int i = 0; i < expected[b].length; i++) {
                for (int j = 0; j < expected[b][i].length; j++) {
                    double want = expected[b][i][j];
                    assertThat(actual.get(b, i, j))
                            .as("[%d, %d, %d]", b, i, j)
                            .isCloseTo(want, org.assertj.core.data.Offset.offset(tol * (1 + Math.abs(want))));
                }
            }
        }
    }

    @ParameterizedTest(name = "E={0} H={1} kdim={2} vdim={3} L={4} S={5} bias={6}")
    @CsvSource({
        "8, 2, 8, 8, 5, 5, true",
        "12, 3, 12, 12, 7, 3, false",
        "6, 6, 5, 9, 1, 13, true",
        "9, 3, 4, 4, 13, 1, true",
        "16, 4, 7, 3, 3, 7, false",
    })
    void matchesNaiveMultiHeadAttention(int e, int h, int kdim, int vdim, int len, int keys, boolean bias) {
        long seed = 31L * e + h;
        Tensor wq = Tensor.random(seed).normal(e, e);
        Tensor wk = Tensor.random(seed + 1).normal(e, kdim);
        Tensor wv = Tensor.random(seed + 2).normal(e, vdim);
        Tensor wo = Tensor.random(seed + 3).normal(e, e);
        Tensor bq = Tensor.random(seed + 4).normal(e);
        Tensor bk = Tensor.random(seed + 5).normal(e);
        Tensor bv = Tensor.random(seed + 6).normal(e);
        Tensor bo = Tensor.random(seed + 7).normal(e);
        MultiHeadAttention.Builder builder = MultiHeadAttention.builder(e, h)
                .keyDim(kdim)
                .valueDim(vdim)
                .bias(bias)
                .weights(wq, wk, wv, wo);
        if (bias) {
            builder.biases(bq, bk, bv, bo);
        }
        MultiHeadAttention mha = builder.build();
        Tensor query = Tensor.random(seed + 8).normal(2, len, e);
        Tensor key = Tensor.random(seed + 9).normal(2, keys, kdim);
        Tensor value = Tensor.random(seed + 10).normal(2, keys, vdim);

        AttentionResult r = mha.forward(query, key, value, Mask.none());

        double[][][] expected = naive(
                blocks(query),
                blocks(key),
                blocks(value),
                h,
                rows(wq),
                rows(wk),
                rows(wv),
                rows(wo),
                bias ? bq.toArray() : null,
                bias ? bk.toArray() : null,
                bias ? bv.toArray() : null,
                bias ? bo.toArray() : null,
                null);
        assertClose(r.output(), expected, 1e-11);
        assertThat(r.weights().shape()).containsExactly(2, h, len, keys);
        assertThat(r.logSumExp().shape()).containsExactly(2, h, len);
        Tensor rowSums = r.weights().sum(-1);
        assertThat(rowSums.allClose(Tensor.ones(2, h, len), 1e-12, 1e-12)).isTrue();
    }

    @Test
    void fullyBlockedRowCarriesOnlyTheOutputBias() {
        int e = 4;
        Tensor bo = Tensor.of(new double[] {0.5, -1, 2, 3}, e);
        MultiHeadAttention mha = MultiHeadAttention.builder(e, 2)
                .weights(
                        Tensor.random(1).normal(e, e),
                        Tensor.random(2).normal(e, e),
                        Tensor.random(3).normal(e, e),
                        Tensor.random(4).normal(e, e))
                .biases(
                        Tensor.random(5).normal(e),
                        Tensor.random(6).normal(e),
                        Tensor.random(7).normal(e),
                        bo)
                .build();
        Tensor x = Tensor.random(8).normal(1, 3, e);
        double[] blocked = new double[9];
        blocked[0] = blocked[1] = blocked[2] = 1; // query 0 may see nothing
        AttentionResult r = mha.forward(x, Mask.block(Tensor.of(blocked, 3, 3)));
        assertThat(r.output().select(0, 0).select(0, 0).toArray()).containsExactly(bo.toArray());
        assertThat(r.weights().select(0, 0).select(1, 0).toArray()).containsOnly(0.0); // every head, query 0
        assertThat(r.logSumExp().get(0, 1, 0)).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(r.output().toArray()).doesNotContain(Double.NaN);
    }

    @Test
    void causalSelfAttentionMatchesNaiveWithLowerTriangle() {
        MultiHeadAttention mha = MultiHeadAttention.builder(6, 3).seed(11).build();
        Tensor x = Tensor.random(12).normal(2, 5, 6);
        boolean[][][] blocked = new boolean[2][5][5];
        for (int b = 0; b < 2; b++) {
            for (int i = 0; i < 5; i++) {
                for (int j = i + 1; j < 5; j++) {
                    blocked[b][i][j] = true;
                }
            }
        }
        AttentionResult r = mha.forward(x, Mask.causal());
        double[][][] expected = naive(
                blocks(x),
                blocks(x),
                blocks(x),
                3,
                rows(mha.queryWeight()),
                rows(mha.keyWeight()),
                rows(mha.valueWeight()),
                rows(mha.outputWeight()),
                mha.queryBias().toArray(),
                mha.keyBias().toArray(),
                mha.valueBias().toArray(),
                mha.outputBias().toArray(),
                blocked);
        assertClose(r.output(), expected, 1e-11);
    }

    @Test
    void keyPaddingTakesOneLengthPerBatchElement() {
        MultiHeadAttention mha = MultiHeadAttention.builder(4, 2).seed(3).build();
        Tensor x = Tensor.random(4).normal(2, 3, 4);
        AttentionResult padded = mha.forward(x, Mask.keyPadding(3, 1));
        // Sequence 1 with only its first key equals attending to that key alone.
        Tensor first = x.select(0, 1).slice(0, 0, 1).unsqueeze(0);
        AttentionResult alone = mha.forward(x.select(0, 1).unsqueeze(0), first, first);
        assertThat(padded.output().select(0, 1).allClose(alone.output().select(0, 0), 1e-12, 1e-12))
                .isTrue();
        assertThat(padded.weights().select(0, 1).slice(-1, 1, 3).toArray()).containsOnly(0.0);
    }

    @Test
    void unbatchedInputGivesUnbatchedShapesAndTheSameNumbers() {
        MultiHeadAttention mha =
                MultiHeadAttention.builder(8, 4).keyDim(3).valueDim(5).seed(9).build();
        Tensor q = Tensor.random(1).normal(7, 8);
        Tensor k = Tensor.random(2).normal(4, 3);
        Tensor v = Tensor.random(3).normal(4, 5);
        AttentionResult r = mha.forward(q, k, v, Mask.causal());
        assertThat(r.output().shape()).containsExactly(7, 8);
        assertThat(r.weights().shape()).containsExactly(4, 7, 4);
        assertThat(r.logSumExp().shape()).containsExactly(4, 7);
        AttentionResult batched = mha.forward(q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0), Mask.causal());
        assertThat(r.output().toArray()).containsExactly(batched.output().toArray());
        assertThat(r.weights().toArray()).containsExactly(batched.weights().toArray());
    }

    @Test
    void chunkedKernelGivesTheSameResult() {
        MultiHeadAttention.Builder b = MultiHeadAttention.builder(12, 3).seed(5);
        MultiHeadAttention full = b.build();
        MultiHeadAttention chunked = MultiHeadAttention.builder(12, 3)
                .seed(5)
                .kernel(new ChunkedAttention(2, 3))
                .build();
        Tensor x = Tensor.random(6).normal(2, 9, 12);
        AttentionResult a = full.forward(x, Mask.causal().and(Mask.keyPadding(9, 4)));
        AttentionResult c = chunked.forward(x, Mask.causal().and(Mask.keyPadding(9, 4)));
        assertThat(a.output().allClose(c.output(), 1e-12, 1e-12)).isTrue();
        assertThat(a.weights().allClose(c.weights(), 1e-12, 1e-12)).isTrue();
    }

    @Test
    void splitHeadsIsAViewGivingEachHeadItsSliceOfFeatures() {
        MultiHeadAttention mha = MultiHeadAttention.builder(6, 3).build();
        Tensor x = Tensor.arange(2 * 4 * 6).reshape(2, 4, 6);
        Tensor heads = mha.splitHeads(x);
        assertThat(heads.shape()).containsExactly(2, 3, 4, 2);
        for (int b = 0; b < 2; b++) {
            for (int h = 0; h < 3; h++) {
                for (int i = 0; i < 4; i++) {
                    for (int c = 0; c < 2; c++) {
                        assertThat(heads.get(b, h, i, c)).isEqualTo(x.get(b, i, h * 2 + c));
                    }
                }
            }
        }
        x.set(-7, 1, 2, 5);
        assertThat(heads.get(1, 2, 2, 1)).as("a view shares data").isEqualTo(-7);
        assertThat(mha.mergeHeads(heads).toArray()).containsExactly(x.toArray());
        Tensor unbatched = mha.splitHeads(x.select(0, 0));
        assertThat(unbatched.shape()).containsExactly(3, 4, 2);
        assertThat(mha.mergeHeads(unbatched).toArray())
                .containsExactly(x.select(0, 0).toArray());
    }

    @Test
    void seededInitialisationIsReproducibleBoundedAndSeedDependent() {
        MultiHeadAttention a = MultiHeadAttention.builder(8, 2).seed(1).build();
        MultiHeadAttention b = MultiHeadAttention.builder(8, 2).seed(1).build();
        MultiHeadAttention c = MultiHeadAttention.builder(8, 2).seed(2).build();
        assertThat(a.queryWeight().toArray()).containsExactly(b.queryWeight().toArray());
        assertThat(a.outputWeight().toArray()).containsExactly(b.outputWeight().toArray());
        assertThat(a.queryWeight().toArray()).isNotEqualTo(c.queryWeight().toArray());
        double xavier = Math.sqrt(6.0 / (8 + 24));
        for (Tensor w : new Tensor[] {a.queryWeight(), a.keyWeight(), a.valueWeight()}) {
            assertThat(w.map(Math::abs).max()).isLessThanOrEqualTo(xavier);
            assertThat(w.max()).isGreaterThan(xavier / 2); // spread over the interval, not collapsed
        }
        assertThat(a.outputWeight().map(Math::abs).max()).isLessThanOrEqualTo(1 / Math.sqrt(8));
        assertThat(a.queryBias().toArray()).containsOnly(0.0);
        MultiHeadAttention crossDims =
                MultiHeadAttention.builder(8, 2).keyDim(3).valueDim(5).build();
        assertThat(crossDims.keyWeight().shape()).containsExactly(8, 3);
        assertThat(crossDims.valueWeight().shape()).containsExactly(8, 5);
    }

    @Test
    void weightsAreCopiedInAndOut() {
        Tensor wq = Tensor.random(1).normal(4, 4);
        MultiHeadAttention mha = MultiHeadAttention.builder(4, 1)
                .weights(
                        wq,
                        Tensor.random(2).normal(4, 4),
                        Tensor.random(3).normal(4, 4),
                        Tensor.random(4).normal(4, 4))
                .build();
        Tensor x = Tensor.random(5).normal(2, 4);
        double[] before = mha.forward(x).output().toArray();
        wq.set(100, 0, 0);
        mha.queryWeight().set(100, 0, 1);
        assertThat(mha.forward(x).output().toArray()).containsExactly(before);
        assertThat(mha.hasBias()).isTrue();
        assertThat(MultiHeadAttention.builder(4, 1).bias(false).build().queryBias())
                .isNull();
    }

    @Test
    void badConfigurationIsRefusedNamingTheNumbers() {
        assertThatThrownBy(() -> MultiHeadAttention.builder(10, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3")
                .hasMessageContaining("10");
        assertThatThrownBy(() -> MultiHeadAttention.builder(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MultiHeadAttention.builder(4, -2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MultiHeadAttention.builder(4, 2).keyDim(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MultiHeadAttention.builder(4, 2)
                        .keyDim(3)
                        .weights(Tensor.zeros(4, 4), Tensor.zeros(4, 4), Tensor.zeros(4, 4), Tensor.zeros(4, 4))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Wk")
                .hasMessageContaining("[4, 3]")
                .hasMessageContaining("[4, 4]");
        assertThatThrownBy(() -> MultiHeadAttention.builder(4, 2)
                        .weights(Tensor.zeros(4, 4), Tensor.zeros(4, 4), Tensor.zeros(4, 4), Tensor.zeros(4, 4))
                        .biases(Tensor.zeros(4), Tensor.zeros(4), Tensor.zeros(3), Tensor.zeros(4))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bv")
                .hasMessageContaining("[3]");
        assertThatThrownBy(() -> MultiHeadAttention.builder(4, 2)
                        .bias(false)
                        .biases(Tensor.zeros(4), Tensor.zeros(4), Tensor.zeros(4), Tensor.zeros(4))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bias(false)");
    }

    @Test
    void badInputsAreRefusedNamingTheShapes() {
        MultiHeadAttention mha = MultiHeadAttention.builder(4, 2).keyDim(3).build();
        Tensor q = Tensor.zeros(2, 5, 4);
        Tensor k = Tensor.zeros(2, 6, 3);
        Tensor v = Tensor.zeros(2, 6, 4);
        assertThatThrownBy(() -> mha.forward(Tensor.zeros(2, 5, 3), k, v))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 5, 3]");
        assertThatThrownBy(() -> mha.forward(q, Tensor.zeros(2, 6, 4), v))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("key [2, 6, 4]");
        assertThatThrownBy(() -> mha.forward(q, k, Tensor.zeros(2, 7, 4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 7, 4]");
        assertThatThrownBy(() -> mha.forward(q, Tensor.zeros(3, 6, 3), Tensor.zeros(3, 6, 4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batch");
        assertThatThrownBy(() -> mha.forward(Tensor.zeros(1, 2, 5, 4), k, v))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[1, 2, 5, 4]");
        assertThatThrownBy(() -> mha.forward(q, k, v, Mask.block(Tensor.zeros(4, 6))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[4, 6]")
                .hasMessageContaining("[2, 2, 5, 6]");
        assertThatThrownBy(() -> mha.forward(q, k, v, Mask.keyPadding(1, 2, 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3 lengths");
        assertThatThrownBy(() -> mha.splitHeads(Tensor.zeros(2, 5, 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 5, 3]");
        assertThatThrownBy(() -> mha.mergeHeads(Tensor.zeros(2, 3, 5, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3, 5, 2]");
    }
}
