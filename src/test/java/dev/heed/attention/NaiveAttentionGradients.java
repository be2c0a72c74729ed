package dev.heed.attention;

import dev.heed.tensor.Tensor;
import java.util.Arrays;

/**
 * The backward of {@link NaiveAttention}, as plain as the forward: the reference every backward
 * kernel is held to. Written from the chain rule and nothing else; shares no code with
 * {@code dev.heed.attention} or {@code dev.heed.internal}.
 *
 * <p>For one row {@code i} with weights {@code P = softmax(s)} over its allowed keys,
 * {@code s_j = scale · q_i·k_j + bias_j}, output {@code o_i = Σ_j P_j v_j} and upstream gradient
 * {@code g = dL/do_i}:
 * <pre>
 *   dP_j  = g · v_j
 *   D     = Σ_j P_j dP_j            (= g · o_i)
 *   dS_j  = P_j (dP_j − D)           (softmax's Jacobian)
 *   dq_i += scale Σ_j dS_j k_j,   dk_j += scale dS_j q_i,   dv_j += P_j g
 * </pre>
 * The weights come from {@link NaiveAttention#attend}; which keys a row may attend to from the
 * same {@link NaiveAttention.Spec#row} the forward uses. A blocked key gets no gradient and passes
 * none on (it is skipped, so an infinite value there never makes NaN); a row that may attend to
 * nothing has weights 0 and contributes exactly zero to every gradient. Inputs are read element by
 * element through {@link Tensor#get(int...)}, so views and broadcasts work; an input that was
 * broadcast over batch axes (size 1, or fewer axes) has the contributions of every batch element
 * it served added into its own element, i.e. its gradient is summed back to its own shape.
 */
final class NaiveAttentionGradients {
    private NaiveAttentionGradients() {}

    /** Gradients shaped like the query, key and value they belong to, each a new row-major tensor. */
    record Gradients(Tensor query, Tensor key, Tensor value) {}

    /**
     * The gradients of {@code Σ gradOutput · output} with respect to query, key and value, where
     * {@code output} is {@code NaiveAttention.attend(query, key, value, mask, scale).output()}.
     *
     * @param query      {@code [..., L, d]}, or {@code [d]} for a single query (SimpleAttention's
     *                   form; the mask then applies to scores {@code [1, S]})
     * @param scale      the score scale, or NaN for {@code 1/sqrt(d)}
     * @param gradOutput shaped like the output: {@code [batch..., L, dv]} ({@code [dv]} for a
     *                   single query)
     */
    static Gradients backward(
            Tensor query, Tensor key, Tensor value, NaiveAttention.Spec mask, double scale, Tensor gradOutput) {
        if (query.rank() == 1) {
            Gradients g = backward(query.unsqueeze(0), key, value, mask, scale, gradOutput.unsqueeze(0));
            return new Gradients(Tensor.of(g.query().toArray(), query.shape()), g.key(), g.value());
        }
        int[] qs = query.shape();
        int[] ks = key.shape();
        int[] vs = value.shape();
        int L = qs[qs.length - 2];
        int d = qs[qs.length - 1];
        int S = ks[ks.length - 2];
        int dv = vs[vs.length - 1];
        if (Double.isNaN(scale)) {
            scale = 1.0 / Math.sqrt(d);
        }
        NaiveAttention.Result forward = NaiveAttention.attend(query, key, value, mask, scale);
        int[] scoresShape = forward.weightsShape();
        int[] batch = Arrays.copyOf(scoresShape, scoresShape.length - 2);
        if (!Arrays.equals(gradOutput.shape(), forward.outputShape())) {
            throw new IllegalArgumentException("naive backward: gradOutput " + Arrays.toString(gradOutput.shape())
                    + " but the output is " + Arrays.toString(forward.outputShape()));
        }
        int batches = size(batch);
        double[] weights = forward.weights();
        double[] dq = new double[size(qs)];
        double[] dk = new double[size(ks)];
        double[] dvArr = new double[size(vs)];
        int[] bi = new int[batch.length];
        boolean[] allowed = new boolean[S];
        double[] bias = new double[S];
        double[] dP = new double[S];
        double[] g = new double[dv];
        int[] gIndex = new int[batch.length + 2];
        for (int b = 0; b < batches; b++) {
            NaiveAttention.unravel(b, batch, bi);
            int qBase = base(qs, batch, bi);
            int kBase = base(ks, batch, bi);
            int vBase = base(vs, batch, bi);
            for (int i = 0; i < L; i++) {
                mask.row(scoresShape, bi, i, allowed, bias);
                System.arraycopy(bi, 0, gIndex, 0, bi.length);
                gIndex[bi.length] = i;
                for (int c = 0; c < dv; c++) {
                    gIndex[bi.length + 1] = c;
                    g[c] = gradOutput.get(gIndex);
                }
                int w = (b * L + i) * S;
                double D = 0;
                for (int j = 0; j < S; j++) {
                    if (!allowed[j]) {
                        continue;
                    }
                    double s = 0;
                    for (int c = 0; c < dv; c++) {
                        s += g[c] * at(value, batch, bi, j, c);
                    }
                    dP[j] = s;
                    D += weights[w + j] * s;
                }
                for (int j = 0; j < S; j++) {
                    if (!allowed[j]) {
                        continue;
                    }
                    double p = weights[w + j];
                    double dS = p * (dP[j] - D);
                    for (int c = 0; c < d; c++) {
                        dq[qBase + i * d + c] += scale * dS * at(key, batch, bi, j, c);
                        dk[kBase + j * d + c] += scale * dS * at(query, batch, bi, i, c);
                    }
                    for (int c = 0; c < dv; c++) {
                        dvArr[vBase + j * dv + c] += p * g[c];
                    }
                }
            }
        }
        return new Gradients(Tensor.of(dq, qs), Tensor.of(dk, ks), Tensor.of(dvArr, vs));
    }

    /**
     * The row-major offset, in a tensor of shape {@code shape}, of the matrix that serves batch
     * index {@code bi}: size-1 axes and missing leading axes were broadcast, so they index 0.
     */
    private static int base(int[] shape, int[] batch, int[] bi) {
        int r = shape.length;
        int skip = bi.length - (r - 2);
        int flat = 0;
        for (int k = 0; k < r - 2; k++) {
            flat = flat * shape[k] + NaiveAttention.source(shape[k], batch[k + skip], bi[k + skip]);
        }
        return flat * shape[r - 2] * shape[r - 1];
    }

    /** Element {@code (row, col)} of the matrix of {@code t} that serves batch index {@code bi}. */
    private static double at(Tensor t, int[] batch, int[] bi, int row, int col) {
        int[] shape = t.shape();
        int r = shape.length;
        int[] idx = new int[r];
        int skip = bi.length - (r - 2);
        for (int k = 0; k < r - 2; k++) {
            idx[k] = NaiveAttention.source(shape[k], batch[k + skip], bi[k + skip]);
        }
        idx[r - 2] = row;
        idx[r - 1] = col;
        return t.get(idx);
    }

    private static int size(int[] shape) {
        int n = 1;
        for (int x : shape) {
            n *= x;
        }
        return n;
    }
}
