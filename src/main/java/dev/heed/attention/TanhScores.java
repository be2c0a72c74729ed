package dev.heed.attention;

import dev.heed.tensor.Tensor;

/**
 * The pairwise additive score of {@link AlignmentAttention}'s concat and Bahdanau forms,
 * {@code Σ_h v_h tanh(a[b, t, h] + c[b, s, h])}, and its backward. Package-private: the loops that
 * avoid materialising {@code [B, T, S, H]}, kept apart from the module's own file.
 */
final class TanhScores {
    private TanhScores() {}

    /**
     * {@code Σ_h v_h tanh(a[b, t, h] + c[b, s, h])} for every {@code (b, t, s)}, with {@code v} the
     * score vector as a {@code [1, H]} weight: the pairwise
     * additive score, {@code B·T·S·H} tanh evaluations without materialising {@code [B, T, S, H]}.
     */
    static Tensor forward(Tensor a, Tensor c, Tensor v) {
        int batch = a.shape(0);
        int steps = a.shape(1);
        int sources = c.shape(1);
        int hidden = a.shape(2);
        double[] ad = a.contiguous().toArray();
        double[] cd = c.contiguous().toArray();
        double[] vd = v.toArray();
        long size = (long) batch * steps * sources;
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "the scores [" + batch + ", " + steps + ", " + sources + "] would have more than 2^31-1 elements");
        }
        double[] out = new double[(int) size];
        for (int b = 0, o = 0; b < batch; b++) {
            for (int t = 0; t < steps; t++) {
                int ai = (b * steps + t) * hidden;
                for (int s = 0; s < sources; s++, o++) {
                    int ci = (b * sources + s) * hidden;
                    double sum = 0;
                    for (int h = 0; h < hidden; h++) {
                        sum += vd[h] * Math.tanh(ad[ai + h] + cd[ci + h]);
                    }
                    out[o] = sum;
                }
            }
        }
        return Tensor.of(out, batch, steps, sources);
    }

    /**
     * The backward of {@link #forward}: for score gradients {@code ds [B, T, S]}, the gradients
     * {@code da [B, T, H]}, {@code dc [B, S, H]} and {@code dv [H]}. Pairs with {@code ds = 0}
     * (masked, or on a row with nothing to attend to) add exactly nothing and are skipped.
     */
    static Tensor[] backward(Tensor a, Tensor c, Tensor v, Tensor ds) {
        int batch = a.shape(0);
        int steps = a.shape(1);
        int sources = c.shape(1);
        int hidden = a.shape(2);
        double[] ad = a.toArray();
        double[] cd = c.toArray();
        double[] vd = v.toArray();
        double[] g = ds.toArray();
        double[] da = new double[ad.length];
        double[] dc = new double[cd.length];
        double[] dv = new double[hidden];
        for (int b = 0, o = 0; b < batch; b++) {
            for (int t = 0; t < steps; t++) {
                int ai = (b * steps + t) * hidden;
                for (int s = 0; s < sources; s++, o++) {
                    double gs = g[o];
                    if (gs == 0) {
                        continue;
                    }
                    int ci = (b * sources + s) * hidden;
                    for (int h = 0; h < hidden; h++) {
                        double th = Math.tanh(ad[ai + h] + cd[ci + h]);
                        dv[h] += gs * th;
                        double dz = gs * vd[h] * (1 - th * th);
                        da[ai + h] += dz;
                        dc[ci + h] += dz;
                    }
                }
            }
        }
        return new Tensor[] {
            Tensor.of(da, batch, steps, hidden), Tensor.of(dc, batch, sources, hidden), Tensor.of(dv, hidden)
        };
    }

    /** {@code [left | right]}: two matrices with the same rows side by side, in a new tensor. */
    static Tensor columns(Tensor left, Tensor right) {
        int rows = left.shape(0);
        int a = left.shape(1);
        int b = right.shape(1);
        double[] l = left.toArray();
        double[] r = right.toArray();
        double[] out = new double[rows * (a + b)];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(l, i * a, out, i * (a + b), a);
            System.arraycopy(r, i * b, out, i * (a + b) + a, b);
        }
        return Tensor.of(out, rows, a + b);
    }
}
