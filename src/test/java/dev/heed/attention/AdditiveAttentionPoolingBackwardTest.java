package dev.heed.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.layers.Linear;
import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link AdditiveAttentionPooling#backward}: against an independent loop-by-loop forward and
 * backward written here from the formulas (to 1e-12), and against central finite differences of
 * the forward for {@code x} and every parameter, over odd sizes, padding, tensor masks with
 * {@code -inf} biases and empty sequences, views, the single-vector form, unbatched input and bad
 * input.
 */
class AdditiveAttentionPoolingBackwardTest {
    private static final double TOL = 1e-12;

    // ------------------------------------------------------------------ the naive twin

    /** Naive gradients: dx [B][n][E], dW [H][E], db [H], dv [H]. */
    record Naive(double[][][] dx, double[][] dW, double[] db, double[] dv) {}

    /**
     * Pooling of x [B][n][E] with scores {@code u_i = v·tanh(W x_i + b) + bias_i} over the positions
     * where {@code allowed}, and the gradient of {@code Σ gradOutput · context}: with weights a,
     * {@code da_i = g·x_i}, {@code D = Σ a_i da_i}, {@code du_i = a_i (da_i − D)}, then through the
     * tanh by hand.
     */
    static Naive naive(
            double[][][] x,
            boolean[][] allowed,
            double[][] bias,
            double[][] w,
            double[] b,
            double[] v,
            double[][] gradOutput) {
        int batch = x.length;
        int hidden = w.length;
        int e = w[0].length;
        double[][][] dx = new double[batch][][];
        double[][] dW = new double[hidden][e];
        double[] db = new double[hidden];
        double[] dv = new double[hidden];
        for (int s = 0; s < batch; s++) {
            int n = x[s].length;
            dx[s] = new double[n][e];
            double[][] t = new double[n][hidden];
            double[] u = new double[n];
            boolean[] open = new boolean[n];
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                for (int h = 0; h < hidden; h++) {
                    double z = b == null ? 0 : b[h];
                    for (int c = 0; c < e; c++) {
                        z += w[h][c] * x[s][i][c];
                    }
                    t[i][h] = Math.tanh(z);
                    u[i] += v[h] * t[i][h];
                }
                u[i] += bias == null ? 0 : bias[s][i];
                open[i] = allowed[s][i] && u[i] != Double.NEGATIVE_INFINITY;
                if (open[i]) {
                    max = Math.max(max, u[i]);
                }
            }
            if (max == Double.NEGATIVE_INFINITY) {
                continue; // nothing to attend to: context 0, no gradient
            }
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += open[i] ? Math.exp(u[i] - max) : 0;
            }
            double[] a = new double[n];
            double[] da = new double[n];
            double delta = 0;
            for (int i = 0; i < n; i++) {
                if (!open[i]) {
                    continue;
                }
                a[i] = Math.exp(u[i] - max) / sum;
                for (int c = 0; c < e; c++) {
                    da[i] += gradOutput[s][c] * x[s][i][c];
                }
                delta += a[i] * da[i];
            }
            for (int i = 0; i < n; i++) {
                if (!open[i]) {
                    continue;
                }
                double du = a[i] * (da[i] - delta);
                for (int c = 0; c < e; c++) {
                    dx[s][i][c] += a[i] * gradOutput[s][c];
                }
                for (int h = 0; h < hidden; h++) {
                    dv[h] += du * t[i][h];
                    double dz = du * v[h] * (1 - t[i][h] * t[i][h]);
                    db[h] += dz;
                    for (int c = 0; c < e; c++) {
                        dW[h][c] += dz * x[s][i][c];
                        dx[s][i][c] += dz * w[h][c];
                    }
                }
            }
        }
        return new Naive(dx, dW, db, dv);
    }

    private static double[][] matrix(Tensor t) {
        double[][] m = new double[t.shape(0)][];
        for (int i = 0; i < m.length; i++) {
            m[i] = t.select(0, i).toArray();
        }
        return m;
    }

    private static double[][][] blocks(Tensor t) {
        double[][][] m = new double[t.shape(0)][][];
        for (int i = 0; i < m.length; i++) {
            m[i] = matrix(t.select(0, i));
        }
        return m;
    }

    private static double[] flat(double[][][] x) {
        return Arrays.stream(x)
                .flatMap(Arrays::stream)
                .flatMapToDouble(Arrays::stream)
                .toArray();
    }

    private static double[] flat(double[][] x) {
        return Arrays.stream(x).flatMapToDouble(Arrays::stream).toArray();
    }

    /** How a case masks its positions: as a Heed mask and as the naive loop's allowed/bias arrays. */
    record Masking(String name, Mask mask, boolean[][] allowed, double[][] bias) {}

    static List<Masking> maskings(int batch, int n) {
        List<Masking> out = new ArrayList<>();
        boolean[][] all = new boolean[batch][n];
        for (boolean[] row : all) {
            Arrays.fill(row, true);
        }
        out.add(new Masking("none", Mask.none(), all, null));
        int[] lengths = new int[batch];
        boolean[][] padded = new boolean[batch][n];
        for (int b = 0; b < batch; b++) {
            lengths[b] = b == 1 ? 0 : (n * (b + 1) + 1) / (batch + 1); // sequence 1 is empty
            for (int i = 0; i < lengths[b]; i++) {
                padded[b][i] = true;
            }
        }
        out.add(new Masking("keyPadding" + Arrays.toString(lengths), Mask.keyPadding(lengths), padded, null));
        Tensor keep = AttentionChecks.bits(batch * 31L + n, 0.6, batch, n);
        boolean[][] kept = new boolean[batch][n];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < n; i++) {
                kept[b][i] = keep.get(b, i) != 0;
            }
        }
        out.add(new Masking("allow", Mask.allow(keep.reshape(batch, 1, n)), kept, null));
        Tensor bias = Tensor.random(n + 5L).normal(batch, n).map(z -> z < -0.8 ? Double.NEGATIVE_INFINITY : z);
        out.add(new Masking("bias(-inf)", Mask.bias(bias.reshape(batch, 1, n)), all, matrix(bias)));
        return out;
    }

    static Stream<Arguments> sizes() {
        List<Arguments> out = new ArrayList<>();
        int[][] cases = {{1, 1, 1, 1}, {3, 7, 5, 3}, {2, 13, 3, 1}, {4, 3, 1, 7}, {2, 64, 7, 2}, {3, 65, 3, 13}};
        for (int[] c : cases) {
            out.add(Arguments.of(c[0], c[1], c[2], c[3]));
        }
        return out.stream();
    }

    // ------------------------------------------------------------------ against the naive twin

    @ParameterizedTest(name = "B={0} n={1} E={2} H={3}")
    @MethodSource("sizes")
    void matchesAnIndependentNaiveImplementation(int batch, int n, int e, int hidden) {
        AdditiveAttentionPooling pool = AdditiveAttentionPooling.seeded(e, hidden, 100L * n + e);
        double[][] w = matrix(pool.projection().weight());
        double[] b = pool.projection().bias().toArray();
        double[] v = pool.scoreVector().toArray();
        Tensor x = Tensor.random(n + 3L * e).normal(batch, n, e).scale(1.5);
        Tensor gradOutput = Tensor.random(7).normal(batch, e);
        for (Masking m : maskings(batch, n)) {
            String ctx = m.name();
            Naive expected = naive(blocks(x), m.allowed(), m.bias(), w, b, v, matrix(gradOutput));
            AdditiveAttentionPooling.Gradients g = pool.backward(x, m.mask(), gradOutput);
            AttentionChecks.assertClose(ctx + " dx", flat(expected.dx()), x.shape(), g.x(), TOL);
            AttentionChecks.assertClose(
                    ctx + " projection.weight",
                    flat(expected.dW()),
                    new int[] {hidden, e},
                    g.parameters().get("projection.weight"),
                    TOL);
            AttentionChecks.assertClose(
                    ctx + " projection.bias",
                    expected.db(),
                    new int[] {hidden},
                    g.parameters().get("projection.bias"),
                    TOL);
            AttentionChecks.assertClose(
                    ctx + " scoreVector",
                    expected.dv(),
                    new int[] {hidden},
                    g.parameters().get("scoreVector"),
                    TOL);
            assertThat(g.parameters().keySet()).containsExactly("projection.weight", "projection.bias", "scoreVector");
        }
        // lengths, as forward(x, lengths) takes them
        Masking padded = maskings(batch, n).get(1);
        int[] lengths = new int[batch];
        for (int s = 0; s < batch; s++) {
            while (lengths[s] < n && padded.allowed()[s][lengths[s]]) {
                lengths[s]++;
            }
        }
        AdditiveAttentionPooling.Gradients byLengths = pool.backward(x, lengths, gradOutput);
        AdditiveAttentionPooling.Gradients byMask = pool.backward(x, padded.mask(), gradOutput);
        AttentionChecks.assertBitwise("lengths = keyPadding", byMask.x(), byLengths.x());
        for (int s = 0; s < batch; s++) {
            for (int i = lengths[s]; i < n; i++) {
                double[] row = byLengths.x().select(0, s).select(0, i).toArray();
                assertThat(Arrays.stream(row).allMatch(z -> z == 0))
                        .as("padding [%d, %d]", s, i)
                        .isTrue();
            }
        }
    }

    // ------------------------------------------------------------------ against finite differences

    @ParameterizedTest(name = "B={0} n={1} E={2} H={3}")
    @MethodSource("sizes")
    void equalsCentralFiniteDifferences(int batch, int n, int e, int hidden) {
        if (n > 13) {
            return; // finite differences cost two forwards per element: the small sizes suffice
        }
        AdditiveAttentionPooling seeded = AdditiveAttentionPooling.seeded(e, hidden, 5L * n + e);
        Tensor w = seeded.projection().weight();
        Tensor b = seeded.projection().bias();
        Tensor v = seeded.scoreVector();
        Tensor x = Tensor.random(n + 11L).normal(batch, n, e);
        Tensor gradOutput = Tensor.random(13).normal(batch, e);
        for (Masking m : maskings(batch, n)) {
            Mask mask = m.mask();
            FiniteDifferences.ScalarFunction f = in -> FiniteDifferences.dot(
                    AdditiveAttentionPooling.of(Linear.of(in[1], in[2]), in[3])
                            .forward(in[0], mask)
                            .output(),
                    gradOutput);
            AdditiveAttentionPooling.Gradients g =
                    AdditiveAttentionPooling.of(Linear.of(w, b), v).backward(x, mask, gradOutput);
            Tensor[] all = {x, w, b, v};
            FiniteDifferences.assertGradient(m.name() + " dx", g.x(), f, 0, all);
            FiniteDifferences.assertGradient(
                    m.name() + " projection.weight", g.parameters().get("projection.weight"), f, 1, all);
            FiniteDifferences.assertGradient(
                    m.name() + " projection.bias", g.parameters().get("projection.bias"), f, 2, all);
            FiniteDifferences.assertGradient(
                    m.name() + " scoreVector", g.parameters().get("scoreVector"), f, 3, all);
        }
    }

    // ------------------------------------------------------------------ forms and views

    @Test
    void theSingleVectorFormHasNoBiasAndAnUnbatchedInputKeepsItsShape() {
        Tensor w = Tensor.random(21).normal(5);
        Tensor x = Tensor.random(22).normal(7, 5);
        Tensor gradOutput = Tensor.random(23).normal(5);
        AdditiveAttentionPooling pool = AdditiveAttentionPooling.singleVector(w);
        AdditiveAttentionPooling.Gradients g = pool.backward(x, gradOutput);
        assertThat(g.x().shape()).containsExactly(7, 5);
        assertThat(g.parameters().keySet()).containsExactly("projection.weight", "scoreVector");
        assertThat(g.parameters().get("projection.weight").shape()).containsExactly(1, 5);
        assertThat(g.parameters().get("scoreVector").shape()).containsExactly(1);
        FiniteDifferences.ScalarFunction f = in -> FiniteDifferences.dot(
                AdditiveAttentionPooling.singleVector(in[1]).forward(in[0]).output(), gradOutput);
        FiniteDifferences.assertGradient("single vector dx", g.x(), f, 0, x, w);
        FiniteDifferences.assertGradient(
                "single vector w", g.parameters().get("projection.weight").reshape(5), f, 1, x, w);
        // the unbatched call is the batched one on a batch of one
        AdditiveAttentionPooling.Gradients batched = pool.backward(x.unsqueeze(0), gradOutput.unsqueeze(0));
        AttentionChecks.assertBitwise("unbatched dx", batched.x().squeeze(0), g.x());
        AdditiveAttentionPooling.Gradients padded = pool.backward(x, new int[] {4}, gradOutput);
        assertThat(Arrays.stream(padded.x().slice(0, 4, 7).toArray()).allMatch(z -> z == 0))
                .isTrue();
        assertThat(padded.toString()).contains("x=[7, 5]", "scoreVector=[1]");
        assertThatThrownBy(() -> padded.parameters().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void viewsAndEmptySequences() {
        AdditiveAttentionPooling pool = AdditiveAttentionPooling.seeded(4, 3, 9);
        Tensor x = Tensor.random(31).normal(2, 4, 6).transpose(1, 2); // [2, 6, 4], not contiguous
        Tensor gradOutput = Tensor.random(32).normal(1, 4).broadcastTo(2, 4);
        AdditiveAttentionPooling.Gradients view = pool.backward(x, gradOutput);
        AdditiveAttentionPooling.Gradients copy = pool.backward(x.copy(), gradOutput.copy());
        AttentionChecks.assertClose("view dx", copy.x().toArray(), copy.x().shape(), view.x(), 1e-15);
        for (Map.Entry<String, Tensor> p : copy.parameters().entrySet()) {
            AttentionChecks.assertClose(
                    "view " + p.getKey(),
                    p.getValue().toArray(),
                    p.getValue().shape(),
                    view.parameters().get(p.getKey()),
                    1e-15);
        }
        // n = 0 and a batch of 0: shapes kept, everything zero
        AdditiveAttentionPooling.Gradients empty = pool.backward(Tensor.zeros(2, 0, 4), Tensor.ones(2, 4));
        assertThat(empty.x().shape()).containsExactly(2, 0, 4);
        assertThat(empty.parameters().get("projection.weight").toArray()).containsOnly(0.0);
        AdditiveAttentionPooling.Gradients none = pool.backward(Tensor.zeros(0, 3, 4), Tensor.zeros(0, 4));
        assertThat(none.x().shape()).containsExactly(0, 3, 4);
        assertThat(none.parameters().get("scoreVector").toArray()).containsOnly(0.0);
    }

    @Test
    void badInputIsRefusedNamingTheShapes() {
        AdditiveAttentionPooling pool = AdditiveAttentionPooling.seeded(4, 3, 9);
        Tensor x = Tensor.zeros(2, 5, 4);
        Tensor g = Tensor.zeros(2, 4);
        assertRefused(() -> pool.backward(x, Mask.none(), null), "gradOutput must not be null");
        assertRefused(() -> pool.backward(x, Mask.none(), Tensor.zeros(2, 5)), "[2, 4]", "[2, 5]", "[2, 5, 4]");
        assertRefused(() -> pool.backward(x.select(0, 0), Mask.none(), g), "[4]", "[2, 4]");
        assertRefused(() -> pool.backward(Tensor.zeros(2, 5, 3), Mask.none(), g), "[2, 5, 3]");
        assertRefused(() -> pool.backward(null, Mask.none(), g), "x is null");
        assertRefused(() -> pool.backward(x, (Mask) null, g), "Mask.none()");
        assertRefused(() -> pool.backward(x, new int[] {6, 1}, g), "length 6");
        assertRefused(() -> pool.backward(x, new int[] {1}, g), "1 entries");
        assertRefused(() -> pool.backward(x, Mask.keyPadding(1, 2, 3), g), "keyPadding");
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String... parts) {
        var a = assertThatThrownBy(call).isInstanceOf(IllegalArgumentException.class);
        for (String p : parts) {
            a.hasMessageContaining(p);
        }
    }
}
