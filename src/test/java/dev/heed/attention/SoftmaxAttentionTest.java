package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.assertBitwise;
import static dev.heed.attention.AttentionChecks.assertClose;
import static dev.heed.attention.AttentionChecks.assertWellFormed;
import static dev.heed.attention.AttentionChecks.bits;
import static dev.heed.attention.AttentionChecks.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.heed.attention.AttentionChecks.Layout;
import dev.heed.attention.NaiveAttention.Spec;
import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.VectorizationProvider;
import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link SoftmaxAttention}: against a naive loop written here from the documented semantics, against
 * {@link ScaledDotProductAttention} fed with its own {@code scale · q kᵀ}, over odd sizes, every mask kind,
 * awkward layouts of scores and values, rows with nothing to attend to, non-finite scores and values (the
 * matrix-product path and the row path), both kernel supports, and bad input.
 */
class SoftmaxAttentionTest {
    private static final SoftmaxAttention ATTENTION = new SoftmaxAttention();
    private static final int[] ODD = {1, 3, 7, 13, 64, 65};

    // ------------------------------------------------------------------ the naive twin

    /** Row-major results of the naive loop, with the batch shape they broadcast to. */
    record Naive(double[] output, double[] weights, double[] logSumExp, int[] batch, int L, int S, int dv) {
        int[] outputShape() {
            return NaiveAttention.append(batch, L, dv);
        }

        int[] weightsShape() {
            return NaiveAttention.append(batch, L, S);
        }

        int[] logSumExpShape() {
            return NaiveAttention.append(batch, L);
        }
    }

    /**
     * softmax(scores + mask) · value element by element: a key is blocked where the mask blocks it or its
     * score plus bias is -inf; a row with NaN or +inf among its allowed scores is NaN; a blocked key adds
     * nothing, whatever its value.
     */
    static Naive naive(Tensor scores, Tensor value, Spec mask) {
        int[] ss = scores.shape();
        int[] vs = value.shape();
        int L = ss[ss.length - 2];
        int S = ss[ss.length - 1];
        int dv = vs[vs.length - 1];
        int[] batch = NaiveAttention.broadcast(Arrays.copyOf(ss, ss.length - 2), Arrays.copyOf(vs, vs.length - 2));
        int batches = 1;
        for (int n : batch) {
            batches *= n;
        }
        double[] out = new double[batches * L * dv];
        double[] weights = new double[batches * L * S];
        double[] lse = new double[batches * L];
        int[] bi = new int[batch.length];
        int[] scoresShape = NaiveAttention.append(batch, L, S);
        for (int b = 0; b < batches; b++) {
            NaiveAttention.unravel(b, batch, bi);
            double[][] s = matrix(scores, bi, L, S);
            double[][] v = matrix(value, bi, S, dv);
            for (int i = 0; i < L; i++) {
                boolean[] allowed = new boolean[S];
                double[] bias = new double[S];
                mask.row(scoresShape, bi, i, allowed, bias);
                double[] x = new double[S];
                boolean nan = false;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < S; j++) {
                    x[j] = allowed[j] ? s[i][j] + bias[j] : Double.NEGATIVE_INFINITY;
                    if (Double.isNaN(x[j])) {
                        nan = true;
                    } else {
                        max = Math.max(max, x[j]);
                    }
                }
                int row = b * L + i;
                if (nan || max == Double.POSITIVE_INFINITY) {
                    for (int j = 0; j < S; j++) {
                        weights[row * S + j] = x[j] == Double.NEGATIVE_INFINITY ? 0 : Double.NaN;
                    }
                    Arrays.fill(out, row * dv, row * dv + dv, Double.NaN);
                    lse[row] = Double.NaN;
                    continue;
                }
                if (max == Double.NEGATIVE_INFINITY) {
                    lse[row] = Double.NEGATIVE_INFINITY;
                    continue;
                }
                double sum = 0;
                for (int j = 0; j < S; j++) {
                    sum += x[j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(x[j] - max);
                }
                for (int j = 0; j < S; j++) {
                    if (x[j] == Double.NEGATIVE_INFINITY) {
                        continue;
                    }
                    double w = Math.exp(x[j] - max) / sum;
                    weights[row * S + j] = w;
                    for (int c = 0; c < dv; c++) {
                        out[row * dv + c] += w * v[j][c];
                    }
                }
                lse[row] = max + Math.log(sum);
            }
        }
        return new Naive(out, weights, lse, batch, L, S, dv);
    }

    /** The [rows, cols] matrix of {@code t} at batch index {@code bi}, size-1 and missing batch axes broadcast. */
    private static double[][] matrix(Tensor t, int[] bi, int rows, int cols) {
        int r = t.rank();
        int[] shape = t.shape();
        int[] idx = new int[r];
        int skip = bi.length - (r - 2);
        for (int k = 0; k < r - 2; k++) {
            idx[k] = shape[k] == 1 ? 0 : bi[k + skip];
        }
        double[][] m = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < cols; c++) {
                idx[r - 2] = i;
                idx[r - 1] = c;
                m[i][c] = t.get(idx);
            }
        }
        return m;
    }

    private static AttentionResult check(String context, SoftmaxAttention a, Tensor scores, Tensor value, Spec mask) {
        Naive expected = naive(scores, value, mask);
        double[] scoresBefore = scores.data().clone();
        double[] valueBefore = value.data().clone();
        AttentionResult r = a.apply(scores, value, mask.toMask());
        assertClose(context + " output", expected.output(), expected.outputShape(), r.output());
        assertClose(context + " weights", expected.weights(), expected.weightsShape(), r.weights());
        assertClose(context + " logSumExp", expected.logSumExp(), expected.logSumExpShape(), r.logSumExp());
        assertThat(scores.data()).as("%s: scores modified", context).isEqualTo(scoresBefore);
        assertThat(value.data()).as("%s: value modified", context).isEqualTo(valueBefore);
        return r;
    }

    /** One of every mask kind for scores [2, L, S], some combined, with their naive descriptions. */
    static Map<String, Spec> masks(int L, int S) {
        Map<String, Spec> m = new LinkedHashMap<>();
        m.put("none", Spec.none());
        m.put("causal", Spec.causal());
        m.put("allow", Spec.allow(bits(11, 0.7, L, S)));
        m.put("block", Spec.block(bits(12, 0.3, 2, 1, S)));
        m.put("bias", Spec.bias(random(13, 2, L, S)));
        m.put("keyPadding", Spec.keyPadding(S, Math.max(0, S / 2)));
        m.put("causal&keyPadding", Spec.causal().and(Spec.keyPadding(Math.max(1, S - 1), S)));
        m.put("bias&block", Spec.bias(random(14, L, S)).and(Spec.block(bits(15, 0.2, L, S))));
        return m;
    }

    // ------------------------------------------------------------------ against the naive loop

    static Stream<Arguments> oddSizes() {
        List<Arguments> out = new ArrayList<>();
        for (int L : ODD) {
            for (int S : ODD) {
                out.add(Arguments.of(L, S, L % 5 + S % 3 + 1));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "L={0} S={1} dv={2}")
    @MethodSource("oddSizes")
    void matchesTheNaiveLoopForEveryMask(int L, int S, int dv) {
        Tensor scores = random(1, 2, L, S).scale(3);
        Tensor value = random(2, 2, S, dv);
        for (Map.Entry<String, Spec> e : masks(L, S).entrySet()) {
            AttentionResult r = check("L=" + L + " S=" + S + " " + e.getKey(), ATTENTION, scores, value, e.getValue());
            assertWellFormed(e.getKey(), r);
        }
    }

    @ParameterizedTest(name = "scores {0}, value {1}")
    @CsvSource({
        "TRANSPOSED, CONTIGUOUS",
        "STEP_SLICED, TRANSPOSED",
        "PERMUTED, STEP_SLICED",
        "OFFSET, PERMUTED",
        "CONTIGUOUS, OFFSET"
    })
    void readsScoresAndValuesInAnyLayout(Layout scoresLayout, Layout valueLayout) {
        for (int[] size : new int[][] {{1, 1, 1}, {3, 7, 2}, {13, 5, 9}, {65, 64, 3}}) {
            int L = size[0];
            int S = size[1];
            int dv = size[2];
            Tensor scores = random(3, scoresLayout, 2, 2, L, S);
            Tensor value = random(4, valueLayout, 2, 2, S, dv);
            for (Map.Entry<String, Spec> e : masks(L, S).entrySet()) {
                check(
                        scoresLayout + "/" + valueLayout + " " + Arrays.toString(size) + " " + e.getKey(),
                        ATTENTION,
                        scores,
                        value,
                        e.getValue());
            }
        }
    }

    @Test
    void broadcastsBatchAxesAndReadsBroadcastScores() {
        int L = 5;
        int S = 7;
        // One [L, S] scores matrix for a [2, 3] batch of values, and the other way round.
        check("scores [L, S], value [2, 3, S, dv]", ATTENTION, random(5, L, S), random(6, 2, 3, S, 4), Spec.causal());
        check(
                "scores [2, 1, L, S], value [3, S, dv]",
                ATTENTION,
                random(7, 2, 1, L, S),
                random(8, 3, S, 4),
                Spec.keyPadding(4, 7));
        // Stride-0 views within the matrix: one row of scores shared by every query, one column by every key;
        // the [L, S] scores broadcast against a batch of two values.
        Tensor row = random(9, 1, S).broadcastTo(L, S);
        Tensor column = random(10, L, 1).broadcastTo(L, S);
        Tensor value = random(11, 2, S, 3);
        for (Map.Entry<String, Spec> e : masks(L, S).entrySet()) {
            Naive n = naive(row, value, e.getValue());
            int[] w = n.weightsShape();
            check("broadcast row " + e.getKey(), ATTENTION, row, value, e.getValue());
            check("broadcast column " + e.getKey(), ATTENTION, column, value, e.getValue());
            assertThat(w[w.length - 1]).isEqualTo(S);
        }
        // A value broadcast along its keys (stride 0 rows) is packed for the matrix product.
        check(
                "broadcast value",
                ATTENTION,
                random(12, 2, L, S),
                random(13, 1, 1, 3).broadcastTo(2, S, 3),
                Spec.allow(bits(14, 0.5, L, S)));
    }

    // ------------------------------------------------------------------ against ScaledDotProductAttention

    @ParameterizedTest(name = "L={0} S={1} dv={2}")
    @MethodSource("oddSizes")
    void equalsScaledDotProductAttentionOnItsOwnScores(int L, int S, int dv) {
        int d = 5;
        double scale = 1 / Math.sqrt(d);
        Tensor q = random(21, 2, L, d);
        Tensor k = random(22, 2, S, d);
        Tensor v = random(23, 2, S, dv);
        Tensor scores = q.matmul(k.transpose(-1, -2)).scale(scale);
        for (Map.Entry<String, Spec> e : masks(L, S).entrySet()) {
            Mask mask = e.getValue().toMask();
            AttentionResult expected = new ScaledDotProductAttention().apply(q, k, v, mask);
            AttentionResult actual = ATTENTION.apply(scores, v, mask);
            String ctx = "L=" + L + " S=" + S + " " + e.getKey();
            assertClose(
                    ctx + " output",
                    expected.output().toArray(),
                    expected.output().shape(),
                    actual.output());
            assertClose(
                    ctx + " weights",
                    expected.weights().toArray(),
                    expected.weights().shape(),
                    actual.weights());
            assertClose(
                    ctx + " logSumExp",
                    expected.logSumExp().toArray(),
                    expected.logSumExp().shape(),
                    actual.logSumExp());
        }
    }

    // ------------------------------------------------------------------ edges

    @Test
    void aRowThatMayAttendToNothingIsZeroWithMinusInfinityLogSumExp() {
        Tensor scores = random(31, 2, 3, 4);
        Tensor value = random(32, 2, 4, 2);
        Tensor blockRow1 = Tensor.zeros(3, 4);
        for (int j = 0; j < 4; j++) {
            blockRow1.set(1, 1, j);
        }
        Tensor minusInfRow2 = Tensor.zeros(3, 4);
        for (int j = 0; j < 4; j++) {
            minusInfRow2.set(Double.NEGATIVE_INFINITY, 2, j);
        }
        Map<String, Mask> masks = Map.of(
                "block",
                Mask.block(blockRow1),
                "bias -inf",
                Mask.bias(minusInfRow2),
                "keyPadding 0",
                Mask.keyPadding(0, 4),
                "causal with L > S",
                Mask.causal());
        for (Map.Entry<String, Mask> e : masks.entrySet()) {
            Tensor s = e.getKey().startsWith("causal") ? random(33, 2, 6, 4) : scores;
            AttentionResult r = ATTENTION.apply(s, value, e.getValue());
            assertWellFormed(e.getKey(), r);
            double[] lse = r.logSumExp().toArray();
            assertThat(lse).as(e.getKey()).contains(Double.NEGATIVE_INFINITY);
        }
        // Scores of -inf block as a -inf bias does, also when the whole row is -inf.
        Tensor s = Tensor.of(
                new double[] {
                    0,
                    Double.NEGATIVE_INFINITY,
                    1,
                    Double.NEGATIVE_INFINITY,
                    Double.NEGATIVE_INFINITY,
                    Double.NEGATIVE_INFINITY
                },
                2,
                3);
        Tensor v = Tensor.of(new double[] {1, 2, 3}, 3, 1);
        AttentionResult r = ATTENTION.apply(s, v, Mask.none());
        double e = Math.exp(-1);
        assertThat(r.weights().toArray())
                .containsExactly(new double[] {e / (1 + e), 0, 1 / (1 + e), 0, 0, 0}, within(1e-15));
        assertThat(r.output().toArray()).containsExactly(new double[] {(e + 3) / (1 + e), 0}, within(1e-15));
        assertThat(r.logSumExp().get(0)).isCloseTo(1 + Math.log1p(e), within(1e-15));
        assertThat(r.logSumExp().get(1)).isEqualTo(Double.NEGATIVE_INFINITY);
    }

    @Test
    void emptyShapes() {
        assertShapes(
                ATTENTION.apply(Tensor.zeros(0, 4), Tensor.zeros(4, 3), Mask.none()),
                new int[] {0, 3},
                new int[] {0, 4},
                new int[] {0});
        AttentionResult noKeys = ATTENTION.apply(Tensor.zeros(2, 0), Tensor.zeros(0, 3), Mask.none());
        assertShapes(noKeys, new int[] {2, 3}, new int[] {2, 0}, new int[] {2});
        assertThat(noKeys.output().toArray()).containsOnly(0.0);
        assertThat(noKeys.logSumExp().toArray()).containsOnly(Double.NEGATIVE_INFINITY);
        AttentionResult noValueColumns = ATTENTION.apply(random(1, 2, 3), Tensor.zeros(3, 0), Mask.causal());
        assertShapes(noValueColumns, new int[] {2, 0}, new int[] {2, 3}, new int[] {2});
        assertShapes(
                ATTENTION.apply(Tensor.zeros(0, 2, 3), Tensor.zeros(3, 1), Mask.none()),
                new int[] {0, 2, 1},
                new int[] {0, 2, 3},
                new int[] {0, 2});
    }

    private static void assertShapes(AttentionResult r, int[] output, int[] weights, int[] logSumExp) {
        assertThat(r.output().shape()).containsExactly(output);
        assertThat(r.weights().shape()).containsExactly(weights);
        assertThat(r.logSumExp().shape()).containsExactly(logSumExp);
    }

    @Test
    void hugeScoresGiveExactWeights() {
        Tensor s = Tensor.of(new double[] {1e6, 1e6 - 1, -1e6, 1e308, -1e308, 1e308}, 2, 3);
        AttentionResult r = ATTENTION.apply(s, Tensor.ones(3, 2), Mask.none());
        double e = Math.exp(-1);
        // Exact to an ulp or so: the shift leaves exp(0) and exp(-1), never exp(±1e6).
        assertThat(r.weights().toArray())
                .containsExactly(new double[] {1 / (1 + e), e / (1 + e), 0, 0.5, 0, 0.5}, within(1e-15));
        assertThat(r.logSumExp().get(0)).isCloseTo(1e6 + Math.log1p(e), within(1e-9));
        assertThat(r.output().toArray()).containsExactly(new double[] {1, 1, 1, 1}, within(1e-15));
    }

    /** The policy for non-finite scores, written in the class documentation. */
    @Test
    void nanOrPlusInfinityAtAnAllowedKeyMakesOnlyItsRowNaN() {
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY}) {
            Tensor clean = random(41, 3, 4);
            Tensor s = clean.copy();
            s.set(bad, 1, 2);
            Tensor v = random(42, 4, 2);
            AttentionResult r = ATTENTION.apply(s, v, Mask.none());
            AttentionResult c = ATTENTION.apply(clean, v, Mask.none());
            assertThat(r.output().select(0, 1).toArray()).as("%s output", bad).containsOnly(Double.NaN);
            assertThat(r.weights().select(0, 1).toArray()).as("%s weights", bad).containsOnly(Double.NaN);
            assertThat(r.logSumExp().get(1)).as("%s logSumExp", bad).isNaN();
            for (int row : new int[] {0, 2}) {
                assertBitwise(
                        bad + " row " + row,
                        c.output().select(0, row),
                        r.output().select(0, row));
                assertBitwise(
                        bad + " row " + row,
                        c.weights().select(0, row),
                        r.weights().select(0, row));
            }
            // Behind a mask the score is never looked at: the row is what it is without it.
            Tensor block = Tensor.zeros(3, 4);
            block.set(1, 1, 2);
            for (Mask m : List.of(
                    Mask.block(block),
                    Mask.allow(Tensor.ones(3, 4).sub(block)),
                    Mask.keyPadding(2),
                    Mask.bias(block.scale(Double.NEGATIVE_INFINITY).map(x -> Double.isNaN(x) ? 0 : x)))) {
                assertBitwise(
                        bad + " " + m,
                        ATTENTION.apply(clean, v, m).output(),
                        ATTENTION.apply(s, v, m).output());
                assertBitwise(
                        bad + " " + m,
                        ATTENTION.apply(clean, v, m).weights(),
                        ATTENTION.apply(s, v, m).weights());
            }
        }
    }

    /** Values holding NaN or an infinity take the row path: a blocked key still contributes exactly nothing. */
    @Test
    void nonFiniteValuesTakeTheRowPathAndBlockedKeysStillContributeNothing() {
        Tensor s = random(51, 2, 3, 5);
        Tensor v = random(52, 2, 5, 4);
        Tensor blocked = Tensor.zeros(5);
        blocked.set(1, 3);
        for (Spec spec : List.of(
                Spec.block(blocked),
                Spec.keyPadding(3, 3),
                Spec.causal(),
                Spec.bias(Tensor.zeros(5).add(blocked.scale(-1).map(x -> x < 0 ? Double.NEGATIVE_INFINITY : 0))))) {
            for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
                Tensor vb = v.copy();
                vb.set(bad, 0, 3, 1);
                vb.set(bad, 1, 4, 0);
                AttentionResult r = check("value " + bad, ATTENTION, s, vb, spec);
                // The same spec on finite values gives the same weights and log-sum-exp (the matrix-product path).
                AttentionResult finite = ATTENTION.apply(s, v, spec.toMask());
                assertClose(
                        "weights " + bad,
                        finite.weights().toArray(),
                        finite.weights().shape(),
                        r.weights());
                assertClose(
                        "logSumExp " + bad,
                        finite.logSumExp().toArray(),
                        finite.logSumExp().shape(),
                        r.logSumExp());
            }
        }
        // An allowed key whose weight underflows to 0 still meets its NaN value (IEEE: 0 · NaN = NaN).
        Tensor u = Tensor.of(new double[] {0, -1000}, 1, 2);
        Tensor nanValue = Tensor.of(new double[] {1, Double.NaN}, 2, 1);
        AttentionResult r = ATTENTION.apply(u, nanValue, Mask.none());
        assertThat(r.weights().get(0, 1)).isZero();
        assertThat(r.output().get(0, 0)).isNaN();
        // ... while a -inf score blocks it outright.
        Tensor blockedScore = Tensor.of(new double[] {0, Double.NEGATIVE_INFINITY}, 1, 2);
        assertThat(ATTENTION.apply(blockedScore, nanValue, Mask.none()).output().get(0, 0))
                .isEqualTo(1.0);
    }

    // ------------------------------------------------------------------ kernels and threads

    @Test
    void vectorAndScalarSupportsAgree() {
        KernelSupport vector = VectorizationProvider.vector().orElse(null);
        Assumptions.assumeTrue(vector != null, "the Vector API is not enabled in this JVM");
        SoftmaxAttention fast = ATTENTION.withSupport(vector);
        SoftmaxAttention slow = ATTENTION.withSupport(VectorizationProvider.scalar());
        for (int[] size : new int[][] {{1, 1, 1}, {3, 7, 2}, {13, 13, 9}, {64, 65, 16}, {65, 257, 33}}) {
            Tensor s = random(61, 2, size[0], size[1]).scale(4);
            Tensor v = random(62, 2, size[1], size[2]);
            for (Map.Entry<String, Spec> e : masks(size[0], size[1]).entrySet()) {
                AttentionResult a = fast.apply(s, v, e.getValue().toMask());
                AttentionResult b = slow.apply(s, v, e.getValue().toMask());
                String ctx = Arrays.toString(size) + " " + e.getKey();
                assertClose(ctx + " output", b.output().toArray(), b.output().shape(), a.output());
                assertClose(ctx + " weights", b.weights().toArray(), b.weights().shape(), a.weights());
                assertClose(
                        ctx + " logSumExp",
                        b.logSumExp().toArray(),
                        b.logSumExp().shape(),
                        a.logSumExp());
            }
        }
    }

    @Test
    void theThreadCountDoesNotChangeABit() {
        Tensor s = random(71, 4, 3, 130, 70);
        Tensor v = random(72, 4, 3, 70, 16);
        Mask m = Mask.causal().and(Mask.bias(random(73, 130, 70)));
        AttentionResult one = ATTENTION.withParallelism(1).apply(s, v, m);
        AttentionResult four = ATTENTION.withParallelism(4).apply(s, v, m);
        assertBitwise("output", one.output(), four.output());
        assertBitwise("weights", one.weights(), four.weights());
        assertBitwise("logSumExp", one.logSumExp(), four.logSumExp());
        assertThat(ATTENTION.withParallelism(3).toString()).contains("parallelism=3");
        assertThatThrownBy(() -> ATTENTION.withParallelism(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0");
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void badInputIsRefusedNamingTheShapes() {
        Tensor s = Tensor.zeros(2, 3, 4);
        Tensor v = Tensor.zeros(2, 4, 5);
        assertRefused(() -> ATTENTION.apply(null, v, Mask.none()), "scores and value must not be null");
        assertRefused(() -> ATTENTION.apply(s, null, Mask.none()), "scores and value must not be null");
        assertRefused(() -> ATTENTION.apply(s, v, null), "Mask.none()");
        assertRefused(
                () -> ATTENTION.apply(Tensor.zeros(4), v, Mask.none()), "rank >= 2", "scores [4]", "value [2, 4, 5]");
        assertRefused(() -> ATTENTION.apply(s, Tensor.zeros(4), Mask.none()), "rank >= 2", "value [4]");
        assertRefused(
                () -> ATTENTION.apply(s, Tensor.zeros(2, 5, 5), Mask.none()),
                "number of keys S (4 vs 5)",
                "scores [2, 3, 4]",
                "value [2, 5, 5]");
        assertRefused(
                () -> ATTENTION.apply(s, Tensor.zeros(3, 4, 5), Mask.none()),
                "batch axes do not broadcast",
                "scores [2, 3, 4]",
                "value [3, 4, 5]");
        assertRefused(() -> ATTENTION.apply(s, v, Mask.allow(Tensor.ones(3, 5))), "[3, 5]", "[2, 3, 4]");
        assertRefused(() -> ATTENTION.apply(s, v, Mask.keyPadding(1, 2, 3)), "keyPadding", "[2, 3, 4]");
        assertRefused(() -> ATTENTION.apply(s, v, Mask.keyPadding(5)), "5", "[2, 3, 4]");
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String... parts) {
        var a = assertThatThrownBy(call).isInstanceOf(IllegalArgumentException.class);
        for (String p : parts) {
            a.hasMessageContaining(p);
        }
    }
}
