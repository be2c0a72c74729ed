package dev.heed.autograd;

import dev.heed.tensor.Tensor;
import java.util.Arrays;

/** Softmax and log-softmax along an axis: log-softmax's stable row kernel and both gradients. */
final class SoftmaxRules {
    private SoftmaxRules() {}

    /** softmax's rule, from its output {@code y} along axis {@code a}. */
    static Rule softmax(Tensor y, int a) {
        return g -> {
            // dx = y ∘ (g − Σ_axis g ∘ y)
            Tensor dot = g.mul(y).sum(a).unsqueeze(a);
            return new Tensor[] {y.mul(g.sub(dot))};
        };
    }

    /**
     * The log-softmax of {@code x} along axis {@code a}, in rows: axis {@code a} swapped with the
     * last (see {@link #swapWithLast}), row-major from offset 0, one softmax row per row.
     */
    static Tensor logSoftmaxRows(Tensor x, int a) {
        Tensor rows = swapWithLast(x, a);
        int n = rows.shape(-1);
        double[] y = new double[rows.size()];
        for (int r = 0; r < rowCount(y.length, n); r++) {
            logSoftmaxRow(rows.data(), rows.offset() + r * n, y, r * n, n);
        }
        return Tensor.of(y, rows.shape());
    }

    /** logSoftmax's rule, from its output in rows as {@link #logSoftmaxRows} gives it. */
    static Rule logSoftmax(Tensor yRows, int a) {
        int[] rowShape = yRows.shape();
        int n = yRows.shape(-1);
        double[] y = yRows.data();
        return g -> {
            // dx = g − softmax · Σ_axis g, the softmax being e^y; zero on rows of -inf.
            Tensor gRows = swapWithLast(g, a);
            double[] gr = gRows.data();
            int go = gRows.offset();
            double[] dx = new double[y.length];
            for (int r = 0; r < rowCount(dx.length, n); r++) {
                int o = r * n;
                if (y[o] == Double.NEGATIVE_INFINITY && allNegativeInfinity(y, o, n)) {
                    continue;
                }
                double s = 0;
                for (int j = 0; j < n; j++) {
                    s += gr[go + o + j];
                }
                for (int j = 0; j < n; j++) {
                    dx[o + j] = gr[go + o + j] - Math.exp(y[o + j]) * s;
                }
            }
            return new Tensor[] {swapWithLast(Tensor.of(dx, rowShape), a)};
        };
    }

    /**
     * {@code t} with axis {@code a} and the last swapped, row-major (a copy unless already so):
     * the rows of a softmax along {@code a}. Swapping again restores the axis order, so this maps
     * both into rows and back.
     */
    static Tensor swapWithLast(Tensor t, int a) {
        return t.transpose(a, -1).contiguous();
    }

    private static int rowCount(int size, int n) {
        return n == 0 ? 0 : size / n;
    }

    private static void logSoftmaxRow(double[] x, int p, double[] y, int o, int n) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            double v = x[p + j];
            if (v != v) {
                m = Double.NaN;
                break;
            }
            m = Math.max(m, v);
        }
        if (m == Double.NEGATIVE_INFINITY) {
            Arrays.fill(y, o, o + n, Double.NEGATIVE_INFINITY);
            return;
        }
        double s = 0;
        for (int j = 0; j < n; j++) {
            s += Math.exp(x[p + j] - m);
        }
        double logS = Math.log(s);
        for (int j = 0; j < n; j++) {
            y[o + j] = (x[p + j] - m) - logS;
        }
    }

    private static boolean allNegativeInfinity(double[] y, int o, int n) {
        for (int j = 0; j < n; j++) {
            if (y[o + j] != Double.NEGATIVE_INFINITY) {
                return false;
            }
        }
        return true;
    }
}
