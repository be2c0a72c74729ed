package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.TOL;
import static dev.heed.attention.AttentionChecks.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.attention.AttentionChecks.Layout;
import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.VectorizationProvider;
import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Mask#slidingWindow}: key j visible from query i iff p − left ≤ j ≤ p + right with
 * p = i + S − L. Forward and backward against the naive reference in every kernel and odd tiling,
 * alone and combined with causal, padding, a bias and grouped-query heads; chunked equal to full;
 * finite differences; the unbounded side (−1); and proof that tiles outside the window are skipped
 * (the matrix-product work of a narrow window is a small fraction of causal attention's).
 */
class SlidingWindowTest {
    private static final int[] CHUNKS = {1, 3, 7, 64};

    private static List<NaiveAttention.Spec> windows(int S) {
        List<NaiveAttention.Spec> out = new ArrayList<>();
        for (int[] w : new int[][] {{0, 0}, {2, 0}, {3, 2}, {0, 4}, {-1, 0}, {1, -1}, {-1, -1}, {S + 5, 1}}) {
            out.add(NaiveAttention.Spec.slidingWindow(w[0], w[1]));
        }
        out.add(NaiveAttention.Spec.slidingWindow(2, 1).and(NaiveAttention.Spec.keyPadding(S, Math.max(0, S - 2))));
        out.add(NaiveAttention.Spec.causal()
                .and(NaiveAttention.Spec.slidingWindow(4, 3))
                .and(NaiveAttention.Spec.bias(random(40, 2, 1, 1, S))));
        return out;
    }

    @ParameterizedTest(name = "L={0} S={1}")
    @CsvSource({"1, 1", "1, 9", "3, 7", "7, 3", "13, 13", "64, 65", "65, 64"})
    void forwardEqualsTheNaiveReferenceInEveryKernel(int L, int S) {
        Tensor q = random(1, 2, 2, L, 5);
        Tensor k = random(2, 2, 2, S, 5);
        Tensor v = random(3, 2, 2, S, 3);
        for (NaiveAttention.Spec mask : windows(S)) {
            for (AttentionChecks.Kernel kernel : AttentionChecks.kernels()) {
                AttentionResult r = AttentionChecks.checkAgainstNaive(
                        mask.toMask() + " L=" + L + " S=" + S + " " + kernel,
                        kernel.attention(),
                        q,
                        k,
                        v,
                        mask,
                        Double.NaN);
                AttentionChecks.assertWellFormed(kernel.name(), r);
            }
        }
    }

    @ParameterizedTest(name = "L={0} S={1}")
    @CsvSource({"1, 1", "3, 7", "7, 3", "13, 13", "65, 64"})
    void backwardEqualsTheNaiveReference(int L, int S) {
        Tensor q = random(4, 2, 2, L, 5);
        Tensor k = random(5, 2, 2, S, 5);
        Tensor v = random(6, 2, 2, S, 3);
        Tensor dO = BackwardChecks.gradOutput(7, 2, 2, L, 3);
        for (NaiveAttention.Spec mask : windows(S)) {
            for (BackwardChecks.Kernel kernel : BackwardChecks.kernels(Double.NaN)) {
                BackwardChecks.checkAgainstNaive(mask.toMask() + " L=" + L + " S=" + S, kernel, q, k, v, mask, dO, TOL);
            }
        }
    }

    @Test
    void chunkedEqualsFullAtOddTilesWithGroupedHeadsAndViews() {
        Tensor q = random(8, Layout.TRANSPOSED, 2, 4, 29, 6);
        Tensor k = random(9, Layout.STEP_SLICED, 2, 2, 31, 6);
        Tensor v = random(10, 2, 2, 31, 3);
        Tensor dO = BackwardChecks.gradOutput(11, 2, 4, 29, 3);
        ScaledDotProductAttention full = new ScaledDotProductAttention();
        for (Mask mask :
                List.of(Mask.slidingWindow(5, 0), Mask.slidingWindow(3, 6).and(Mask.keyPadding(31, 17)))) {
            AttentionResult expected = full.apply(q, k, v, mask);
            AttentionGradients expectedGrad = full.backward(q, k, v, mask, expected, dO);
            for (int qc : CHUNKS) {
                for (int kc : CHUNKS) {
                    ChunkedAttention c = new ChunkedAttention(qc, kc);
                    AttentionResult r = c.apply(q, k, v, mask);
                    String ctx = mask + " chunks " + qc + "x" + kc;
                    AttentionChecks.assertClose(
                            ctx + " output",
                            expected.output().toArray(),
                            expected.output().shape(),
                            r.output(),
                            TOL);
                    AttentionChecks.assertClose(
                            ctx + " lse",
                            expected.logSumExp().toArray(),
                            expected.logSumExp().shape(),
                            r.logSumExp(),
                            TOL);
                    AttentionChecks.assertBitwise(ctx + " lazy weights", expected.weights(), r.weights());
                    BackwardChecks.assertSame(ctx, expectedGrad, c.backward(q, k, v, mask, r, dO), TOL);
                }
            }
        }
    }

    @Test
    void unboundedSidesAreCausalAndNone() {
        Tensor q = random(12, 2, 9, 4);
        Tensor k = random(13, 2, 11, 4);
        Tensor v = random(14, 2, 11, 4);
        for (Attention a : List.of(new ScaledDotProductAttention(), new ChunkedAttention(3, 4))) {
            AttentionChecks.assertBitwise(
                    a + " (-1, 0)",
                    a.apply(q, k, v, Mask.causal()).output(),
                    a.apply(q, k, v, Mask.slidingWindow(-1, 0)).output());
            AttentionChecks.assertBitwise(
                    a + " (-1, -1)",
                    a.apply(q, k, v, Mask.none()).output(),
                    a.apply(q, k, v, Mask.slidingWindow(-1, -1)).output());
        }
    }

    @Test
    void queriesWithAnEmptyWindowGetZeros() {
        // L > S: p = i - 4, so with window (1, 0) queries 0..3 see nothing; 4 sees key 0 only.
        Tensor q = random(15, 9, 3);
        Tensor k = random(16, 5, 3);
        Tensor v = random(17, 5, 2);
        for (Attention a : List.of(new ScaledDotProductAttention(), new ChunkedAttention(2, 2))) {
            AttentionResult r = a.apply(q, k, v, Mask.slidingWindow(1, 0));
            for (int i = 0; i < 4; i++) {
                assertThat(r.logSumExp().get(i)).isEqualTo(Double.NEGATIVE_INFINITY);
                assertThat(r.output().get(i, 0)).isEqualTo(0.0);
                assertThat(r.weights().get(i, 0)).isEqualTo(0.0);
            }
            assertThat(r.weights().get(4, 0)).isEqualTo(1.0);
            AttentionGradients g =
                    a.backward(q, k, v, Mask.slidingWindow(1, 0), r, BackwardChecks.gradOutput(18, 9, 2));
            for (int c = 0; c < 3; c++) {
                assertThat(g.query().get(0, c)).isEqualTo(0.0);
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Tensor q = random(19, 1, 2, 7, 3);
        Tensor k = random(20, 1, 1, 8, 3);
        Tensor v = random(21, 1, 1, 8, 2);
        Tensor dO = BackwardChecks.gradOutput(22, 1, 2, 7, 2);
        Mask mask = Mask.slidingWindow(2, 1);
        for (Attention a : List.of(new ScaledDotProductAttention(), new ChunkedAttention(2, 3))) {
            AttentionGradients g = a.backward(q, k, v, mask, a.apply(q, k, v, mask), dO);
            FiniteDifferences.ScalarFunction f = in ->
                    FiniteDifferences.dot(a.apply(in[0], in[1], in[2], mask).output(), dO);
            FiniteDifferences.assertGradient(a + " dQ", g.query(), f, 0, q, k, v);
            FiniteDifferences.assertGradient(a + " dK", g.key(), f, 1, q, k, v);
            FiniteDifferences.assertGradient(a + " dV", g.value(), f, 2, q, k, v);
        }
    }

    @Test
    void tilesOutsideTheWindowAreNeverMultiplied() {
        // 512 tokens in tiles of 32; a window of 32 keys: causal multiplies ~half of all tiles,
        // the window at most two tiles per query tile, i.e. 2/16 of the key tiles.
        int n = 512;
        Tensor q = random(23, 1, n, 8);
        Tensor k = random(24, 1, n, 8);
        Tensor v = random(25, 1, n, 8);
        Tensor dO = BackwardChecks.gradOutput(26, 1, n, 8);
        Mask window = Mask.slidingWindow(31, 0);
        for (boolean chunked : new boolean[] {true, false}) {
            CountingSupport causal = new CountingSupport();
            CountingSupport windowed = new CountingSupport();
            for (CountingSupport s : List.of(causal, windowed)) {
                Mask m = s == causal ? Mask.causal() : window;
                Attention a = chunked
                        ? new ChunkedAttention(32, 32).withParallelism(1).withSupport(s)
                        : new ScaledDotProductAttention().withParallelism(1).withSupport(s);
                AttentionResult r = a.apply(q, k, v, m);
                a.backward(q, k, v, m, r, dO);
            }
            assertThat(windowed.multiplyAdds)
                    .as("chunked=%s: window vs causal work", chunked)
                    .isLessThan(causal.multiplyAdds / 3);
        }
        // and the numbers are still right
        BackwardChecks.checkAgainstNaive(
                "window 31 over 512",
                new BackwardChecks.Kernel("chunked", new ChunkedAttention(32, 32), Double.NaN),
                q.slice(1, 0, 100),
                k.slice(1, 0, 100),
                v.slice(1, 0, 100),
                NaiveAttention.Spec.slidingWindow(31, 0),
                dO.slice(1, 0, 100),
                TOL);
    }

    @Test
    void badSidesAreRefused() {
        assertThatThrownBy(() -> Mask.slidingWindow(-2, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("left=-2");
        assertThatThrownBy(() -> Mask.slidingWindow(0, -5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("right=-5");
        assertThat(Mask.slidingWindow(3, 0).and(Mask.causal()))
                .hasToString("Mask.slidingWindow(3, 0).and(Mask.causal())");
    }

    /**
     * Another support's kernels (the scalar ones unless told), counting the multiply-adds of every
     * matrix product. It has no packed product, so the tiled kernels read every operand in place.
     */
    static final class CountingSupport implements KernelSupport {
        private final KernelSupport s;
        long multiplyAdds;

        CountingSupport() {
            this(VectorizationProvider.scalar());
        }

        CountingSupport(KernelSupport delegate) {
            this.s = delegate;
        }

        @Override
        public void gemm(
                int m,
                int n,
                int k,
                double[] a,
                int aOff,
                int aRowStride,
                int aColStride,
                double[] b,
                int bOff,
                int bRowStride,
                double[] c,
                int cOff,
                int cRowStride,
                boolean accumulate) {
            multiplyAdds += (long) m * n * k;
            s.gemm(m, n, k, a, aOff, aRowStride, aColStride, b, bOff, bRowStride, c, cOff, cRowStride, accumulate);
        }

        @Override
        public double max(double[] x, int off, int n) {
            return s.max(x, off, n);
        }

        @Override
        public void maxOverRows(double[] x, int off, int rows, int cols, double[] acc) {
            s.maxOverRows(x, off, rows, cols, acc);
        }

        @Override
        public void expShiftAccumulate(
                double[] x, int off, int rows, int cols, double scale, double[] shift, double[] sum) {
            s.expShiftAccumulate(x, off, rows, cols, scale, shift, sum);
        }

        @Override
        public double expShiftSum(double[] x, int off, int n, double shift) {
            return s.expShiftSum(x, off, n, shift);
        }

        @Override
        public void scale(double[] x, int off, int n, double alpha) {
            s.scale(x, off, n, alpha);
        }

        @Override
        public void subtractMultiply(double[] x, int off, int n, double shift, double[] p, int pOff) {
            s.subtractMultiply(x, off, n, shift, p, pOff);
        }

        @Override
        public void subtractMultiply(double[] x, int off, int n, double[] shift, double[] p, int pOff) {
            s.subtractMultiply(x, off, n, shift, p, pOff);
        }

        @Override
        public void expSubtractMultiply(
                double[] x, int off, int n, double scale, double shift, double[] dp, int dpOff, double delta) {
            s.expSubtractMultiply(x, off, n, scale, shift, dp, dpOff, delta);
        }

        @Override
        public void addInto(double[] x, int off, int n, double[] acc, int accOff) {
            s.addInto(x, off, n, acc, accOff);
        }

        @Override
        public int vectorBits() {
            return s.vectorBits();
        }

        @Override
        public String name() {
            return "counting " + s.name();
        }
    }
}
