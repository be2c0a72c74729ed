package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.assertBitwise;
import static dev.heed.attention.AttentionChecks.assertClose;
import static dev.heed.attention.AttentionChecks.assertNoNaN;
import static dev.heed.attention.AttentionChecks.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.attention.AttentionChecks.Layout;
import dev.heed.attention.BackwardChecks.NamedMask;
import dev.heed.attention.NaiveAttention.Spec;
import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.VectorizationProvider;
import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link SoftmaxAttention#backward}: against a naive loop over the chain rule (weights from
 * {@link SoftmaxAttentionTest#naive}, {@code D = Σ_j P_j dP_j} the slow way), against central
 * finite differences of the forward, over odd sizes, every mask kind, every layout and broadcast
 * of scores and values, empty rows and empty shapes, non-finite inputs (the row path) against
 * finite ones (the matrix-product path), both kernel supports, thread counts and bad input.
 */
class SoftmaxAttentionBackwardTest {
    private static final SoftmaxAttention ATTENTION = new SoftmaxAttention();
    private static final int[] ODD = {1, 3, 7, 13, 64, 65};
    private static final double TOL = 1e-12;

    // ------------------------------------------------------------------ the naive twin

    /** Row-major gradients shaped like the scores and the value they belong to. */
    record Naive(double[] scores, int[] scoresShape, double[] value, int[] valueShape) {}

    /**
     * The gradient of {@code Σ gradOutput ∘ output} element by element: for each row with weights
     * {@code P} (from the naive forward), {@code dP_j = g · v_j}, {@code D = Σ_j P_j dP_j},
     * {@code dS_j = P_j (dP_j − D)}, {@code dv_j += P_j g}; keys of weight 0 are skipped. Each
     * contribution lands in the input's own element (a broadcast input's gradient is summed back).
     */
    static Naive naive(Tensor scores, Tensor value, Spec mask, Tensor gradOutput) {
        SoftmaxAttentionTest.Naive forward = SoftmaxAttentionTest.naive(scores, value, mask);
        int[] batch = forward.batch();
        int L = forward.L();
        int S = forward.S();
        int dv = forward.dv();
        int batches = 1;
        for (int n : batch) {
            batches *= n;
        }
        int[] ss = scores.shape();
        int[] vs = value.shape();
        double[] dScores = new double[size(ss)];
        double[] dValue = new double[size(vs)];
        int[] bi = new int[batch.length];
        int[] gi = new int[batch.length + 2];
        for (int b = 0; b < batches; b++) {
            NaiveAttention.unravel(b, batch, bi);
            System.arraycopy(bi, 0, gi, 0, bi.length);
            for (int i = 0; i < L; i++) {
                double[] g = new double[dv];
                for (int c = 0; c < dv; c++) {
                    gi[bi.length] = i;
                    gi[bi.length + 1] = c;
                    g[c] = gradOutput.get(gi);
                }
                double[] p = Arrays.copyOfRange(forward.weights(), (b * L + i) * S, (b * L + i + 1) * S);
                double[] dp = new double[S];
                double delta = 0;
                for (int j = 0; j < S; j++) {
                    if (p[j] == 0) {
                        continue;
                    }
                    for (int c = 0; c < dv; c++) {
                        dp[j] += g[c] * value.get(own(vs, bi, j, c));
                    }
                    delta += p[j] * dp[j];
                }
                for (int j = 0; j < S; j++) {
                    if (p[j] == 0) {
                        continue;
                    }
                    dScores[flat(ss, own(ss, bi, i, j))] += p[j] * (dp[j] - delta);
                    for (int c = 0; c < dv; c++) {
                        dValue[flat(vs, own(vs, bi, j, c))] += p[j] * g[c];
                    }
                }
            }
        }
        return new Naive(dScores, ss, dValue, vs);
    }

    /** The index into a tensor of {@code shape} that batch index {@code bi}, row r, column c reads. */
    private static int[] own(int[] shape, int[] bi, int r, int c) {
        int rank = shape.length;
        int[] idx = new int[rank];
        int skip = bi.length - (rank - 2);
        for (int k = 0; k < rank - 2; k++) {
            idx[k] = shape[k] == 1 ? 0 : bi[k + skip];
        }
        idx[rank - 2] = r;
        idx[rank - 1] = c;
        return idx;
    }

    private static int flat(int[] shape, int[] idx) {
        int f = 0;
        for (int k = 0; k < shape.length; k++) {
            f = f * shape[k] + idx[k];
        }
        return f;
    }

    private static int size(int[] shape) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        return n;
    }

    /** Runs forward and backward and compares with the naive twin; checks nothing is modified. */
    private static SoftmaxAttention.Gradients check(
            String context, SoftmaxAttention a, Tensor scores, Tensor value, Spec mask, Tensor gradOutput) {
        Naive expected = naive(scores, value, mask, gradOutput);
        double[] before = concat(scores, value, gradOutput);
        Mask m = mask.toMask();
        AttentionResult forward = a.apply(scores, value, m);
        SoftmaxAttention.Gradients g = a.backward(scores, value, m, forward, gradOutput);
        assertClose(context + " dScores", expected.scores(), expected.scoresShape(), g.scores(), TOL);
        assertClose(context + " dValue", expected.value(), expected.valueShape(), g.value(), TOL);
        assertThat(concat(scores, value, gradOutput))
                .as("%s: inputs modified", context)
                .isEqualTo(before);
        return g;
    }

    private static double[] concat(Tensor... ts) {
        return Arrays.stream(ts).flatMapToDouble(t -> Arrays.stream(t.data())).toArray();
    }

    private static Tensor gradFor(long seed, Tensor scores, Tensor value) {
        return Tensor.random(seed)
                .normal(ATTENTION.apply(scores, value, Mask.none()).output().shape());
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
        Tensor gradOutput = random(3, 2, L, dv);
        for (NamedMask m : BackwardChecks.masks(L, S)) {
            SoftmaxAttention.Gradients g =
                    check("L=" + L + " S=" + S + " " + m.name(), ATTENTION, scores, value, m.spec(), gradOutput);
            assertNoNaN(m.name(), g.scores());
            assertNoNaN(m.name(), g.value());
        }
    }

    @ParameterizedTest(name = "scores {0}, value {1}, gradOutput {2}")
    @CsvSource({
        "TRANSPOSED, CONTIGUOUS, PERMUTED",
        "STEP_SLICED, TRANSPOSED, OFFSET",
        "PERMUTED, STEP_SLICED, " + "TRANSPOSED",
        "OFFSET, PERMUTED, STEP_SLICED",
        "CONTIGUOUS, OFFSET, CONTIGUOUS"
    })
    void readsEveryLayout(Layout scoresLayout, Layout valueLayout, Layout gradLayout) {
        for (int[] size : new int[][] {{1, 1, 1}, {3, 7, 2}, {13, 5, 9}, {65, 64, 3}}) {
            int L = size[0];
            int S = size[1];
            int dv = size[2];
            Tensor scores = random(4, scoresLayout, 2, 2, L, S);
            Tensor value = random(5, valueLayout, 2, 2, S, dv);
            Tensor gradOutput = random(6, gradLayout, 2, 2, L, dv);
            for (NamedMask m : BackwardChecks.masks(L, S)) {
                check(
                        scoresLayout + "/" + valueLayout + "/" + gradLayout + " " + Arrays.toString(size) + " "
                                + m.name(),
                        ATTENTION,
                        scores,
                        value,
                        m.spec(),
                        gradOutput);
            }
        }
    }

    @Test
    void broadcastInputsGetTheirGradientsSummedBack() {
        int L = 5;
        int S = 7;
        // One [L, S] scores matrix serving a [2, 3] batch of values, and the other way round.
        Tensor s1 = random(7, L, S);
        Tensor v1 = random(8, 2, 3, S, 4);
        SoftmaxAttention.Gradients g =
                check("scores [L, S], value [2, 3, S, dv]", ATTENTION, s1, v1, Spec.causal(), random(9, 2, 3, L, 4));
        assertThat(g.scores().shape()).containsExactly(L, S);
        Tensor s2 = random(10, 2, 1, L, S);
        Tensor v2 = random(11, 3, S, 4);
        g = check(
                "scores [2, 1, L, S], value [3, S, dv]",
                ATTENTION,
                s2,
                v2,
                Spec.keyPadding(4, 7),
                random(12, 2, 3, L, 4));
        assertThat(g.scores().shape()).containsExactly(2, 1, L, S);
        assertThat(g.value().shape()).containsExactly(3, S, 4);
        // Stride-0 views: one row of scores shared by every query, one value row shared by every key.
        Tensor row = random(13, 1, S).broadcastTo(L, S);
        Tensor value = random(14, 1, 1, 3).broadcastTo(2, S, 3);
        for (NamedMask m : BackwardChecks.masks(L, S)) {
            check("broadcast row " + m.name(), ATTENTION, row, random(15, 2, S, 3), m.spec(), random(16, 2, L, 3));
            check("broadcast value " + m.name(), ATTENTION, random(17, 2, L, S), value, m.spec(), random(18, 2, L, 3));
        }
        // A gradOutput that is itself broadcast.
        check(
                "broadcast gradOutput",
                ATTENTION,
                random(19, 2, L, S),
                random(20, S, 3),
                Spec.causal(),
                random(21, 1, 1, 3).broadcastTo(2, L, 3));
    }

    // ------------------------------------------------------------------ against finite differences

    static Stream<Arguments> smallSizes() {
        return Stream.of(Arguments.of(1, 1, 1), Arguments.of(3, 5, 2), Arguments.of(5, 3, 3), Arguments.of(4, 7, 1));
    }

    @ParameterizedTest(name = "L={0} S={1} dv={2}")
    @MethodSource("smallSizes")
    void equalsCentralFiniteDifferences(int L, int S, int dv) {
        Tensor scores = random(31, 2, L, S);
        Tensor value = random(32, 2, S, dv);
        Tensor grad = random(33, 2, L, dv);
        for (NamedMask m : BackwardChecks.masks(L, S)) {
            Mask mask = m.mask();
            FiniteDifferences.ScalarFunction f =
                    x -> FiniteDifferences.dot(ATTENTION.apply(x[0], x[1], mask).output(), grad);
            SoftmaxAttention.Gradients g =
                    ATTENTION.backward(scores, value, mask, ATTENTION.apply(scores, value, mask), grad);
            FiniteDifferences.assertGradient(m.name() + " dScores", g.scores(), f, 0, scores, value);
            FiniteDifferences.assertGradient(m.name() + " dValue", g.value(), f, 1, scores, value);
        }
        // Broadcast scores [L, S] against values [2, S, dv]: the numerical gradient of the shared matrix is the sum.
        Tensor shared = random(34, L, S);
        Mask causal = Mask.causal();
        FiniteDifferences.ScalarFunction f =
                x -> FiniteDifferences.dot(ATTENTION.apply(x[0], x[1], causal).output(), grad);
        SoftmaxAttention.Gradients g =
                ATTENTION.backward(shared, value, causal, ATTENTION.apply(shared, value, causal), grad);
        FiniteDifferences.assertGradient("shared scores", g.scores(), f, 0, shared, value);
    }

    // ------------------------------------------------------------------ against the q·kᵀ kernels

    /** With scores {@code c·q kᵀ}, the chain rule through them gives ScaledDotProductAttention's gradients. */
    @Test
    void chainedThroughQueryKeyScoresItEqualsScaledDotProductAttention() {
        int L = 13;
        int S = 7;
        int d = 5;
        double c = 0.37;
        Tensor q = random(41, 2, L, d);
        Tensor k = random(42, 2, S, d);
        Tensor v = random(43, 2, S, 3);
        Tensor grad = random(44, 2, L, 3);
        ScaledDotProductAttention sdpa = new ScaledDotProductAttention().withScale(c);
        for (NamedMask m : BackwardChecks.masks(L, S)) {
            Mask mask = m.mask();
            AttentionGradients expected = sdpa.backward(q, k, v, mask, sdpa.apply(q, k, v, mask), grad);
            Tensor scores = q.matmul(k.transpose(-1, -2)).scale(c);
            SoftmaxAttention.Gradients g = ATTENTION.backward(scores, v, mask, ATTENTION.apply(scores, v, mask), grad);
            Tensor dq = g.scores().matmul(k).scale(c);
            Tensor dk = g.scores().transpose(-1, -2).matmul(q).scale(c);
            assertClose(
                    m.name() + " dQuery",
                    expected.query().toArray(),
                    expected.query().shape(),
                    dq,
                    1e-11);
            assertClose(
                    m.name() + " dKey", expected.key().toArray(), expected.key().shape(), dk, 1e-11);
            assertClose(
                    m.name() + " dValue",
                    expected.value().toArray(),
                    expected.value().shape(),
                    g.value(),
                    1e-11);
        }
    }

    // ------------------------------------------------------------------ edges

    @Test
    void blockedKeysAndEmptyRowsGetExactlyZero() {
        int L = 6;
        int S = 5;
        Tensor scores = random(51, 2, L, S);
        Tensor value = random(52, 2, S, 3);
        Tensor grad = random(53, 2, L, 3);
        for (NamedMask m : BackwardChecks.masks(L, S)) {
            AttentionResult r = ATTENTION.apply(scores, value, m.mask());
            SoftmaxAttention.Gradients g = ATTENTION.backward(scores, value, m.mask(), r, grad);
            double[] w = r.weights().toArray();
            double[] ds = g.scores().toArray();
            double[] lse = r.logSumExp().toArray();
            for (int e = 0; e < w.length; e++) {
                if (w[e] == 0) {
                    assertThat(ds[e] == 0)
                            .as("%s: dScores at blocked element %d is %s", m.name(), e, ds[e])
                            .isTrue();
                }
            }
            for (int row = 0; row < lse.length; row++) {
                if (lse[row] == Double.NEGATIVE_INFINITY) {
                    for (int j = 0; j < S; j++) {
                        assertThat(ds[row * S + j] == 0)
                                .as("%s: empty row %d", m.name(), row)
                                .isTrue();
                    }
                }
            }
        }
        // Every row empty: both gradients are zero.
        AttentionResult none = ATTENTION.apply(scores, value, Mask.keyPadding(0, 0));
        SoftmaxAttention.Gradients g = ATTENTION.backward(scores, value, Mask.keyPadding(0, 0), none, grad);
        assertThat(Arrays.stream(g.scores().toArray()).allMatch(x -> x == 0)).isTrue();
        assertThat(Arrays.stream(g.value().toArray()).allMatch(x -> x == 0)).isTrue();
    }

    @Test
    void emptyShapes() {
        for (int[][] shapes : new int[][][] {
            {{0, 4}, {4, 3}}, {{2, 0}, {0, 3}}, {{2, 3}, {3, 0}}, {{0, 2, 3}, {3, 1}}, {{2, 3}, {0, 3, 2}}
        }) {
            Tensor s = Tensor.random(61).normal(shapes[0]);
            Tensor v = Tensor.random(62).normal(shapes[1]);
            AttentionResult r = ATTENTION.apply(s, v, Mask.causal());
            SoftmaxAttention.Gradients g = ATTENTION.backward(
                    s, v, Mask.causal(), r, Tensor.zeros(r.output().shape()));
            assertThat(g.scores().shape()).containsExactly(shapes[0]);
            assertThat(g.value().shape()).containsExactly(shapes[1]);
            assertThat(Arrays.stream(g.scores().toArray()).allMatch(x -> x == 0))
                    .isTrue();
            assertThat(Arrays.stream(g.value().toArray()).allMatch(x -> x == 0)).isTrue();
        }
    }

    /**
     * Infinite inputs take the row path: an infinity in a value at a blocked key, or in the upstream
     * gradient of a row with nothing to attend to, changes nothing; the same inputs without it take
     * the matrix-product path and agree.
     */
    @Test
    void infinitiesWhereNoWeightFallsChangeNothing() {
        int L = 7;
        int S = 6;
        Tensor scores = random(71, 2, L, S);
        Tensor value = random(72, 2, S, 3);
        Tensor grad = random(73, 2, L, 3);
        Tensor block = Tensor.zeros(S);
        block.set(1, 4);
        Tensor emptyRow = Tensor.zeros(L, S);
        for (int j = 0; j < S; j++) {
            emptyRow.set(1, 2, j);
        }
        Spec spec = Spec.block(block).and(Spec.block(emptyRow));
        Mask mask = spec.toMask();
        SoftmaxAttention.Gradients clean =
                ATTENTION.backward(scores, value, mask, ATTENTION.apply(scores, value, mask), grad);
        for (double bad : new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN}) {
            Tensor v = value.copy();
            v.set(bad, 1, 4, 2);
            Tensor gOut = grad.copy();
            gOut.set(bad, 0, 2, 1);
            SoftmaxAttention.Gradients g = check("value/gradOutput " + bad, ATTENTION, scores, v, spec, gOut);
            assertBitwiseOrClose("dScores " + bad, clean.scores(), g.scores());
            assertBitwiseOrClose("dValue " + bad, clean.value(), g.value());
        }
        // Where weight does fall, IEEE: an infinite value at an allowed key makes its row's score gradients non-finite.
        Tensor v = value.copy();
        v.set(Double.POSITIVE_INFINITY, 0, 1, 0);
        SoftmaxAttention.Gradients g = ATTENTION.backward(scores, v, mask, ATTENTION.apply(scores, v, mask), grad);
        assertThat(Double.isFinite(g.scores().get(0, 0, 1))).isFalse();
        assertThat(g.scores().get(0, 2, 1) == 0).as("the empty row stays 0").isTrue();
        assertClose(
                "another batch element",
                clean.scores().select(0, 1).toArray(),
                new int[] {L, S},
                g.scores().select(0, 1),
                TOL);
    }

    private static void assertBitwiseOrClose(String context, Tensor expected, Tensor actual) {
        assertClose(context, expected.toArray(), expected.shape(), actual, TOL);
        assertNoNaN(context, actual);
    }

    /** A NaN score at an allowed key makes that row NaN in the forward; the backward keeps it to that row. */
    @Test
    void aNaNRowStaysInItsRow() {
        Tensor scores = random(81, 4, 5);
        Tensor value = random(82, 5, 2);
        Tensor grad = random(83, 4, 2);
        Tensor bad = scores.copy();
        bad.set(Double.NaN, 1, 3);
        Tensor block = Tensor.zeros(4, 5);
        block.set(1, 1, 0);
        Mask mask = Mask.block(block);
        SoftmaxAttention.Gradients clean =
                ATTENTION.backward(scores, value, mask, ATTENTION.apply(scores, value, mask), grad);
        SoftmaxAttention.Gradients g = ATTENTION.backward(bad, value, mask, ATTENTION.apply(bad, value, mask), grad);
        for (int j = 1; j < 5; j++) {
            assertThat(g.scores().get(1, j))
                    .as("allowed key %d of the NaN row", j)
                    .isNaN();
        }
        assertThat(g.scores().get(1, 0) == 0).as("blocked key of the NaN row").isTrue();
        for (int row : new int[] {0, 2, 3}) {
            // the clean call takes the matrix-product path, this one the row path: equal to rounding
            assertClose(
                    "row " + row,
                    clean.scores().select(0, row).toArray(),
                    new int[] {5},
                    g.scores().select(0, row),
                    TOL);
        }
        assertThat(g.value().get(0, 0))
                .as("key 0 is blocked for the NaN row, but others attend it")
                .isFinite();
        assertThat(g.value().get(2, 0)).isNaN();
    }

    // ------------------------------------------------------------------ kernels and threads

    @Test
    void vectorAndScalarSupportsAgree() {
        KernelSupport vector = VectorizationProvider.vector().orElse(null);
        Assumptions.assumeTrue(vector != null, "the Vector API is not enabled in this JVM");
        SoftmaxAttention fast = ATTENTION.withSupport(vector);
        SoftmaxAttention slow = ATTENTION.withSupport(VectorizationProvider.scalar());
        for (int[] size : new int[][] {{1, 1, 1}, {3, 7, 2}, {13, 13, 9}, {64, 65, 16}, {65, 257, 33}}) {
            Tensor s = random(91, 2, size[0], size[1]).scale(4);
            Tensor v = random(92, 2, size[1], size[2]);
            Tensor grad = random(93, 2, size[0], size[2]);
            for (NamedMask m : BackwardChecks.masks(size[0], size[1])) {
                String ctx = Arrays.toString(size) + " " + m.name();
                SoftmaxAttention.Gradients a = check(ctx + " vector", fast, s, v, m.spec(), grad);
                SoftmaxAttention.Gradients b = check(ctx + " scalar", slow, s, v, m.spec(), grad);
                assertClose(ctx + " dScores", b.scores().toArray(), b.scores().shape(), a.scores(), TOL);
                assertClose(ctx + " dValue", b.value().toArray(), b.value().shape(), a.value(), TOL);
            }
        }
    }

    @Test
    void theThreadCountDoesNotChangeABit() {
        Tensor s = random(101, 4, 3, 130, 70);
        Tensor v = random(102, 3, 70, 16);
        Tensor grad = random(103, 4, 3, 130, 16);
        Mask m = Mask.causal().and(Mask.bias(random(104, 130, 70)));
        SoftmaxAttention one = ATTENTION.withParallelism(1);
        SoftmaxAttention four = ATTENTION.withParallelism(4);
        SoftmaxAttention.Gradients a = one.backward(s, v, m, one.apply(s, v, m), grad);
        SoftmaxAttention.Gradients b = four.backward(s, v, m, four.apply(s, v, m), grad);
        assertBitwise("dScores", a.scores(), b.scores());
        assertBitwise("dValue", a.value(), b.value());
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void badInputIsRefusedNamingTheShapes() {
        Tensor s = Tensor.zeros(2, 3, 4);
        Tensor v = Tensor.zeros(2, 4, 5);
        AttentionResult r = ATTENTION.apply(s, v, Mask.none());
        Tensor grad = Tensor.zeros(2, 3, 5);
        assertRefused(() -> ATTENTION.backward(null, v, Mask.none(), r, grad), "scores and value must not be null");
        assertRefused(() -> ATTENTION.backward(s, v, null, r, grad), "Mask.none()");
        assertRefused(() -> ATTENTION.backward(s, v, Mask.none(), null, grad), "forward must not be null");
        assertRefused(() -> ATTENTION.backward(s, v, Mask.none(), r, null), "gradOutput must not be null");
        assertRefused(
                () -> ATTENTION.backward(s, Tensor.zeros(2, 5, 5), Mask.none(), r, grad), "number of keys S (4 vs 5)");
        assertRefused(
                () -> ATTENTION.backward(s, v, Mask.none(), r, Tensor.zeros(2, 3, 4)),
                "gradOutput",
                "[2, 3, 5]",
                "[2, 3, 4]");
        AttentionResult other = ATTENTION.apply(Tensor.zeros(3, 4), v, Mask.none());
        assertRefused(
                () -> ATTENTION.backward(
                        s, v, Mask.none(), ATTENTION.apply(Tensor.zeros(2, 2, 4), v, Mask.none()), grad),
                "forward does not belong",
                "[2, 2, 5]",
                "[2, 3, 5]");
        assertThat(other.output().shape()).containsExactly(2, 3, 5); // same shapes: only shapes can be checked
        assertRefused(() -> ATTENTION.backward(s, v, Mask.keyPadding(5), r, grad), "5", "[2, 3, 4]");
        assertThatThrownBy(() -> new SoftmaxAttention.Gradients(null, v)).isInstanceOf(NullPointerException.class);
        assertThat(new SoftmaxAttention.Gradients(s, v).toString()).contains("[2, 3, 4]", "[2, 4, 5]");
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String... parts) {
        var a = assertThatThrownBy(call).isInstanceOf(IllegalArgumentException.class);
        for (String p : parts) {
            a.hasMessageContaining(p);
        }
    }
}
