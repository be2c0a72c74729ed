package dev.heed.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.heed.layers.Linear;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AlignmentAttentionTest {

    /** The parameters of one score function as plain arrays, and the score written from the papers' formulas. */
    record Params(
            AlignmentAttention.Score kind, double[][] w, double[] wBias, double[][] u, double[] uBias, double[] v) {

        double score(double[] ht, double[] hs) {
            switch (kind) {
                case DOT:
                    return dot(ht, hs);
                case GENERAL: { // h_tᵀ W h_s, W [Hd, He]
                    double s = 0;
                    for (int i = 0; i < ht.length; i++) {
                        s += ht[i] * dot(w[i], hs);
                    }
                    return s;
                }
                case CONCAT: { // vᵀ tanh(W [h_t; h_s] + b)
                    double[] cat = new double[ht.length + hs.length];
                    System.arraycopy(ht, 0, cat, 0, ht.length);
                    System.arraycopy(hs, 0, cat, ht.length, hs.length);
                    double s = 0;
                    for (int h = 0; h < v.length; h++) {
                        s += v[h] * Math.tanh(dot(w[h], cat) + (wBias == null ? 0 : wBias[h]));
                    }
                    return s;
                }
                default: { // vᵀ tanh(W h_t + U h_s)
                    double s = 0;
                    for (int h = 0; h < v.length; h++) {
                        double z = dot(w[h], ht)
                                + dot(u[h], hs)
                                + (wBias == null ? 0 : wBias[h])
                                + (uBias == null ? 0 : uBias[h]);
                        s += v[h] * Math.tanh(z);
                    }
                    return s;
                }
            }
        }
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static double[][] rows(Tensor t) {
        double[][] m = new double[t.shape(0)][];
        for (int i = 0; i < m.length; i++) {
            m[i] = t.select(0, i).toArray();
        }
        return m;
    }

    /** Naive alignment for one batch element: {context [T][He], weights [T][S]}; blocked[t][s] hides a source. */
    static double[][][] naive(Params p, double[][] dec, double[][] enc, boolean[][] blocked) {
        int steps = dec.length;
        int sources = enc.length;
        int he = sources == 0 ? 0 : enc[0].length;
        double[][] context = new double[steps][he];
        double[][] weights = new double[steps][sources];
        for (int t = 0; t < steps; t++) {
            double[] s = new double[sources];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < sources; j++) {
                if (!blocked[t][j]) {
                    s[j] = p.score(dec[t], enc[j]);
                    max = Math.max(max, s[j]);
                }
            }
            if (max == Double.NEGATIVE_INFINITY) {
                continue;
            }
            double sum = 0;
            for (int j = 0; j < sources; j++) {
                sum += blocked[t][j] ? 0 : Math.exp(s[j] - max);
            }
            for (int j = 0; j < sources; j++) {
                weights[t][j] = blocked[t][j] ? 0 : Math.exp(s[j] - max) / sum;
                for (int c = 0; c < he; c++) {
                    context[t][c] += weights[t][j] * enc[j][c];
                }
            }
        }
        return new double[][][] {context, weights};
    }

    static Params params(AlignmentAttention.Score kind, int hd, int he, int hidden, long seed, boolean biases) {
        Random r = new Random(seed);
        switch (kind) {
            case DOT:
                return new Params(kind, null, null, null, null, null);
            case GENERAL:
                return new Params(kind, rows(Tensor.random(r.nextLong()).normal(hd, he)), null, null, null, null);
            case CONCAT:
                return new Params(
                        kind,
                        rows(Tensor.random(r.nextLong()).normal(hidden, hd + he)),
                        biases ? Tensor.random(r.nextLong()).normal(hidden).toArray() : null,
                        null,
                        null,
                        Tensor.random(r.nextLong()).normal(hidden).toArray());
            default:
                return new Params(
                        kind,
                        rows(Tensor.random(r.nextLong()).normal(hidden, hd)),
                        biases ? Tensor.random(r.nextLong()).normal(hidden).toArray() : null,
                        rows(Tensor.random(r.nextLong()).normal(hidden, he)),
                        biases ? Tensor.random(r.nextLong()).normal(hidden).toArray() : null,
                        Tensor.random(r.nextLong()).normal(hidden).toArray());
        }
    }

    static AlignmentAttention build(Params p) {
        switch (p.kind) {
            case DOT:
                return AlignmentAttention.dot();
            case GENERAL:
                return AlignmentAttention.general(Tensor.of(p.w));
            case CONCAT:
                return AlignmentAttention.concat(
                        Linear.of(Tensor.of(p.w), p.wBias == null ? null : Tensor.of(p.wBias.clone(), p.wBias.length)),
                        Tensor.of(p.v.clone(), p.v.length));
            default:
                return AlignmentAttention.additive(
                        Linear.of(Tensor.of(p.w), p.wBias == null ? null : Tensor.of(p.wBias.clone(), p.wBias.length)),
                        Linear.of(Tensor.of(p.u), p.uBias == null ? null : Tensor.of(p.uBias.clone(), p.uBias.length)),
                        Tensor.of(p.v.clone(), p.v.length));
        }
    }

    static void assertClose(String what, double[] actual, double[] expected, double tol) {
        assertThat(actual).as(what).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("%s [%d]", what, i).isCloseTo(expected[i], within(tol));
        }
    }

    static double[] flat(double[][] m) {
        return Arrays.stream(m).flatMapToDouble(Arrays::stream).toArray();
    }

    @ParameterizedTest(name = "{0} B={1} T={2} S={3} Hd={4} He={5} H={6} biases={7}")
    @CsvSource({
        "DOT,1,1,1,1,1,0,false", "DOT,3,7,13,3,3,0,false", "DOT,2,1,7,13,13,0,false",
        "GENERAL,1,1,1,1,1,0,false", "GENERAL,3,7,13,3,5,0,false", "GENERAL,2,13,3,7,1,0,false",
        "CONCAT,1,1,1,1,1,1,false", "CONCAT,3,7,13,3,5,7,true", "CONCAT,2,3,7,13,1,3,false",
        "ADDITIVE,1,1,1,1,1,1,false", "ADDITIVE,3,7,13,3,5,7,true", "ADDITIVE,2,13,3,1,7,13,false"
    })
    void matchesTheFormulasWithSourcePadding(
            AlignmentAttention.Score kind,
            int batch,
            int steps,
            int sources,
            int hd,
            int he,
            int hidden,
            boolean biases) {
        Params p = params(kind, hd, he, hidden, batch * 1000L + steps * 10 + sources, biases);
        AlignmentAttention attention = build(p);
        Tensor dec = Tensor.random(steps + 1).normal(batch, steps, hd);
        Tensor enc = Tensor.random(sources + 2).normal(batch, sources, he);
        int[] lengths = new int[batch];
        Random random = new Random(sources);
        for (int b = 0; b < batch; b++) {
            lengths[b] = b == 0 ? sources : random.nextInt(sources + 1);
        }
        AttentionResult r = attention.forward(dec, enc, lengths);
        assertThat(r.output().shape()).containsExactly(batch, steps, he);
        assertThat(r.weights().shape()).containsExactly(batch, steps, sources);
        assertThat(r.logSumExp().shape()).containsExactly(batch, steps);
        Tensor scores = attention.scores(dec, enc);
        assertThat(scores.shape()).containsExactly(batch, steps, sources);
        for (int b = 0; b < batch; b++) {
            double[][] d = rows(dec.select(0, b));
            double[][] e = rows(enc.select(0, b));
            boolean[][] blocked = new boolean[steps][sources];
            for (boolean[] row : blocked) {
                for (int j = lengths[b]; j < sources; j++) {
                    row[j] = true;
                }
            }
            double[][][] expected = naive(p, d, e, blocked);
            assertClose("context " + b, r.output().select(0, b).toArray(), flat(expected[0]), 1e-12);
            assertClose("weights " + b, r.weights().select(0, b).toArray(), flat(expected[1]), 1e-13);
            for (int t = 0; t < steps; t++) {
                for (int j = 0; j < sources; j++) {
                    assertThat(scores.get(b, t, j)).isCloseTo(p.score(d[t], e[j]), within(1e-12));
                    if (j >= lengths[b]) {
                        assertThat(r.weights().get(b, t, j)).isEqualTo(0.0);
                    }
                }
            }
        }
    }

    @Test
    void singleStepAndUnbatchedShapesDropTheirAxes() {
        AlignmentAttention attention = AlignmentAttention.additive(4, 3, 5, 1);
        Tensor enc = Tensor.random(2).normal(2, 6, 3);
        Tensor dec = Tensor.random(3).normal(2, 4); // one step per batch element
        AttentionResult step = attention.forward(dec, enc, 6, 2);
        assertThat(step.output().shape()).containsExactly(2, 3);
        assertThat(step.weights().shape()).containsExactly(2, 6);
        assertThat(step.logSumExp().shape()).containsExactly(2);
        assertThat(attention.scores(dec, enc).shape()).containsExactly(2, 6);
        AttentionResult asSequence = attention.forward(dec.unsqueeze(1), enc, 6, 2);
        assertThat(step.output().toArray()).containsExactly(asSequence.output().toArray());
        assertThat(step.weights().toArray())
                .containsExactly(asSequence.weights().toArray());

        Tensor enc1 = enc.select(0, 1); // [S, He]
        AttentionResult unbatched = attention.forward(Tensor.random(4).normal(5, 4), enc1);
        assertThat(unbatched.output().shape()).containsExactly(5, 3);
        assertThat(unbatched.weights().shape()).containsExactly(5, 6);
        assertThat(unbatched.logSumExp().shape()).containsExactly(5);
        AttentionResult one = attention.forward(dec.select(0, 1), enc1, 2);
        assertThat(one.output().shape()).containsExactly(3);
        assertThat(one.weights().shape()).containsExactly(6);
        assertThat(one.logSumExp().shape()).isEmpty();
        assertClose(
                "unbatched single step",
                one.weights().toArray(),
                step.weights().select(0, 1).toArray(),
                1e-15);
        assertThat(attention.scores(dec.select(0, 1), enc1).shape()).containsExactly(6);
    }

    @Test
    void anyMaskBroadcastsAgainstTheScores() {
        AlignmentAttention attention = AlignmentAttention.general(5, 5, 3);
        Tensor dec = Tensor.random(1).normal(2, 4, 5);
        Tensor enc = Tensor.random(2).normal(2, 4, 5);
        // causal over [T, S] = [4, 4] for every batch element, and a per-batch [B, 1, S] source mask
        Tensor keep = Tensor.of(new double[] {1, 1, 0, 1, 1, 1, 1, 1}, 2, 1, 4);
        AttentionResult r = attention.forward(dec, enc, Mask.causal().and(Mask.allow(keep)));
        Tensor scores = attention.scores(dec, enc);
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < 4; t++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= t; j++) {
                    if (keep.get(b, 0, j) != 0) {
                        max = Math.max(max, scores.get(b, t, j));
                    }
                }
                double sum = 0;
                for (int j = 0; j <= t; j++) {
                    sum += keep.get(b, 0, j) != 0 ? Math.exp(scores.get(b, t, j) - max) : 0;
                }
                for (int j = 0; j < 4; j++) {
                    double expected = j <= t && keep.get(b, 0, j) != 0 ? Math.exp(scores.get(b, t, j) - max) / sum : 0;
                    assertThat(r.weights().get(b, t, j)).isCloseTo(expected, within(1e-15));
                }
            }
        }
    }

    @Test
    void stepsWithNothingToAttendGiveZerosNeverNaN() {
        AlignmentAttention attention = AlignmentAttention.concat(3, 2, 4, 5);
        Tensor dec = Tensor.random(1).normal(2, 3, 3);
        Tensor enc = Tensor.random(2).normal(2, 5, 2);
        AttentionResult r = attention.forward(dec, enc, 0, 5);
        assertThat(r.output().select(0, 0).toArray()).containsOnly(0.0);
        assertThat(r.weights().select(0, 0).toArray()).containsOnly(0.0);
        assertThat(r.logSumExp().select(0, 0).toArray()).containsOnly(Double.NEGATIVE_INFINITY);
        assertThat(r.output().select(0, 1).toArray()).doesNotContain(Double.NaN);
        // no batch at all, and an empty source
        AttentionResult noBatch = attention.forward(Tensor.zeros(0, 3, 3), Tensor.zeros(0, 5, 2), new int[0]);
        assertThat(noBatch.weights().shape()).containsExactly(0, 3, 5);
        AttentionResult empty = attention.forward(dec, Tensor.zeros(2, 0, 2));
        assertThat(empty.output().shape()).containsExactly(2, 3, 2);
        assertThat(empty.output().toArray()).containsOnly(0.0);
        assertThat(empty.weights().shape()).containsExactly(2, 3, 0);
    }

    @Test
    void largeDotScoresStayExact() {
        Tensor enc = Tensor.of(new double[][] {{1000, 0}, {999, 0}, {-1000, 5}});
        Tensor dec = Tensor.of(new double[] {1000, 0}, 2); // scores 1e6, 999000, -1e6
        AttentionResult r = AlignmentAttention.dot().forward(dec, enc);
        assertThat(r.weights().toArray()).containsExactly(1.0, 0.0, 0.0);
        assertThat(r.output().toArray()).containsExactly(1000, 0);
        assertThat(r.logSumExp().item()).isEqualTo(1e6);
    }

    @Test
    void concatEqualsAdditiveWithTheSplitMatrix() {
        // Luong's concat W [H, Hd+He] is Bahdanau's [W_a | U_a].
        Tensor w = Tensor.random(3).normal(4, 5);
        Tensor v = Tensor.random(4).normal(4);
        AlignmentAttention concat = AlignmentAttention.concat(Linear.of(w), v);
        AlignmentAttention additive =
                AlignmentAttention.additive(Linear.of(w.slice(1, 0, 2)), Linear.of(w.slice(1, 2, 5)), v);
        Tensor dec = Tensor.random(5).normal(2, 3, 2);
        Tensor enc = Tensor.random(6).normal(2, 7, 3);
        assertThat(concat.scores(dec, enc).toArray())
                .containsExactly(additive.scores(dec, enc).toArray());
    }

    @Test
    void tutorialTranslationAttentionIsGeneral() {
        // projected = h_t W; scores = encoder · projectedᵀ  ==  h_tᵀ W h_s
        Tensor w = Tensor.random(1).normal(6, 6);
        Tensor enc = Tensor.random(2).normal(5, 6);
        Tensor state = Tensor.random(3).normal(6);
        Tensor tutorialScores = enc.matmul(state.matmul(w));
        assertClose(
                "scores", AlignmentAttention.general(w).scores(state, enc).toArray(), tutorialScores.toArray(), 1e-13);
    }

    @Test
    void nonContiguousInputsGiveTheSameResult() {
        for (AlignmentAttention a : new AlignmentAttention[] {
            AlignmentAttention.dot(),
            AlignmentAttention.general(3, 3, 1),
            AlignmentAttention.concat(3, 3, 2, 1),
            AlignmentAttention.additive(3, 3, 2, 1)
        }) {
            Tensor dec = Tensor.random(1).normal(3, 4, 2).permute(2, 1, 0); // [2, 4, 3] view
            Tensor enc = Tensor.random(2).normal(2, 3, 5).transpose(1, 2); // [2, 5, 3] view
            AttentionResult r = a.forward(dec, enc, 5, 1);
            AttentionResult c = a.forward(dec.copy(), enc.copy(), 5, 1);
            assertThat(r.output().toArray())
                    .as("%s", a)
                    .containsExactly(c.output().toArray());
            assertThat(r.weights().toArray())
                    .as("%s", a)
                    .containsExactly(c.weights().toArray());
        }
    }

    @Test
    void seededFactoriesAreReproducibleAndDrawInTheDocumentedOrder() {
        Tensor dec = Tensor.random(1).normal(2, 3, 4);
        Tensor enc = Tensor.random(2).normal(2, 5, 6);
        assertThat(AlignmentAttention.additive(4, 6, 3, 9).scores(dec, enc).toArray())
                .containsExactly(
                        AlignmentAttention.additive(4, 6, 3, 9).scores(dec, enc).toArray());
        assertThat(AlignmentAttention.additive(4, 6, 3, 9).scores(dec, enc).toArray())
                .isNotEqualTo(AlignmentAttention.additive(4, 6, 3, 10)
                        .scores(dec, enc)
                        .toArray());
        Random r = new Random(9);
        AlignmentAttention replay = AlignmentAttention.additive(
                Linear.seeded(4, 3, false, r),
                Linear.seeded(6, 3, false, r),
                Linear.seeded(3, 1, false, r).weight().reshape(3));
        assertThat(replay.scores(dec, enc).toArray())
                .containsExactly(
                        AlignmentAttention.additive(4, 6, 3, 9).scores(dec, enc).toArray());
        r = new Random(9);
        AlignmentAttention concat = AlignmentAttention.concat(
                Linear.seeded(10, 3, false, r),
                Linear.seeded(3, 1, false, r).weight().reshape(3));
        assertThat(concat.scores(dec, enc).toArray())
                .containsExactly(
                        AlignmentAttention.concat(4, 6, 3, 9).scores(dec, enc).toArray());
        AlignmentAttention general =
                AlignmentAttention.general(Linear.seeded(6, 4, false, 9).weight());
        assertThat(general.scores(dec, enc).toArray())
                .containsExactly(
                        AlignmentAttention.general(4, 6, 9).scores(dec, enc).toArray());
        assertThat(AlignmentAttention.general(4, 6, 9).score()).isEqualTo(AlignmentAttention.Score.GENERAL);
        assertThat(AlignmentAttention.general(4, 6, 9).toString())
                .contains("GENERAL")
                .contains("[4, 6]");
    }

    @Test
    void badArgumentsAreNamed() {
        Tensor dec = Tensor.zeros(2, 3, 4);
        Tensor enc = Tensor.zeros(2, 5, 6);
        assertThatThrownBy(() -> AlignmentAttention.dot().forward(dec, enc))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("same size")
                .hasMessageContaining("[2, 3, 4]")
                .hasMessageContaining("[2, 5, 6]");
        assertThatThrownBy(() -> AlignmentAttention.general(6, 4, 1).forward(dec, enc))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[6, 4]");
        assertThatThrownBy(() -> AlignmentAttention.concat(4, 5, 2, 1).forward(dec, enc))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("9")
                .hasMessageContaining("4 + 6");
        assertThatThrownBy(() -> AlignmentAttention.additive(4, 5, 2, 1).forward(dec, enc))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("encoder size 5");
        AlignmentAttention ok = AlignmentAttention.additive(4, 6, 2, 1);
        assertThatThrownBy(() -> ok.forward(Tensor.zeros(3, 3, 4), enc))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batch size");
        assertThatThrownBy(() -> ok.forward(Tensor.zeros(4), enc))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("encoder [B, S, He]");
        assertThatThrownBy(() -> ok.forward(dec, Tensor.zeros(6)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[6]");
        assertThatThrownBy(() -> ok.forward(null, enc)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ok.forward(dec, enc, 5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 source sequences");
        assertThatThrownBy(() -> ok.forward(dec, enc, 5, 6))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("length 6")
                .hasMessageContaining("[0, 5]");
        assertThatThrownBy(() -> ok.forward(dec, enc, (Mask) null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ok.forward(dec, enc, Mask.allow(Tensor.ones(2, 5))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 5]");
        assertThatThrownBy(() -> AlignmentAttention.additive(
                        Linear.seeded(4, 2, false, 1), Linear.seeded(6, 3, false, 1), Tensor.zeros(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("same hidden size");
        assertThatThrownBy(() -> AlignmentAttention.concat(Linear.seeded(4, 2, false, 1), Tensor.zeros(3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2]")
                .hasMessageContaining("[3]");
        assertThatThrownBy(() -> AlignmentAttention.concat(null, Tensor.zeros(3)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AlignmentAttention.general(Tensor.zeros(3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3]");
        assertThatThrownBy(() -> AlignmentAttention.additive(0, 1, 1, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(">= 1");
    }
}
