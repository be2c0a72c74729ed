package dev.heed.attention;

import dev.heed.tensor.Tensor;
import java.util.Arrays;

/**
 * The backward of softmax attention done the slow, obvious way, as the twin every
 * {@link Attention#backward} is checked against. Like {@link NaiveAttention} it shares no code
 * with the library: it reads inputs element by element, loops over every batch index, query and
 * key, and builds each row's mask from a {@link NaiveAttention.Spec}.
 *
 * <p>Per row: the weights {@code p = softmax(scores)} (nothing allowed: no gradient at all), then
 * {@code dP_j = dO · v_j}, and the score gradient through the full softmax Jacobian
 * {@code ∂p_j/∂s_l = p_j (δ_jl − p_l)}: {@code dS_l = Σ_j dP_j p_j (δ_jl − p_l)} — O(S²) per
 * row, no shortcut. Then {@code dq += scale Σ_l dS_l k_l}, {@code dk_l += scale dS_l q},
 * {@code dv_j += p_j dO}. Each gradient is accumulated straight into the element of the input it
 * came from, so broadcast inputs get summed gradients without any reduction step.
 */
final class NaiveBackward {
    private NaiveBackward() {}

    /** Row-major gradients with the shapes of the inputs. */
    record Gradients(
            double[] query, int[] queryShape, double[] key, int[] keyShape, double[] value, int[] valueShape) {}

    /**
     * @param scale      the score scale, or NaN for {@code 1/sqrt(d)}
     * @param gradOutput {@code [batch..., L, dv]}, the broadcast batch shape
     */
    static Gradients backward(
            Tensor query, Tensor key, Tensor value, NaiveAttention.Spec mask, double scale, Tensor gradOutput) {
        return backward(query, key, value, mask, scale, 0.0, gradOutput);
    }

    /**
     * With a soft cap ({@code softCap > 0}) the score is {@code c = softCap · tanh(scale · q·k / softCap)}
     * and the chain rule adds the factor {@code dc/d(scale·q·k) = 1 − tanh²} to each score's gradient.
     */
    static Gradients backward(
            Tensor query,
            Tensor key,
            Tensor value,
            NaiveAttention.Spec mask,
            double scale,
            double softCap,
            Tensor gradOutput) {
        return backward(query, key, value, mask, scale, softCap, null, null, gradOutput);
    }

    /**
     * With a score function {@code f} the score is {@code f(c) + bias}: the score's gradient goes to the table
     * element {@code fn.tableIndex} names (into {@code tableGrad}), then is multiplied by {@code f'(c)}.
     *
     * @param fn        the score function, or null
     * @param tableGrad modified: the gradient of the table {@code fn} reads; null when it reads none
     */
    static Gradients backward(
            Tensor query,
            Tensor key,
            Tensor value,
            NaiveAttention.Spec mask,
            double scale,
            double softCap,
            NaiveAttention.Score fn,
            double[] tableGrad,
            Tensor gradOutput) {
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
        int[] batch = NaiveAttention.batchShape(qs, ks, vs);
        int batches = 1;
        for (int n : batch) {
            batches *= n;
        }
        int[] scoresShape = NaiveAttention.append(batch, L, S);
        double[] gq = new double[size(qs)];
        double[] gk = new double[size(ks)];
        double[] gv = new double[size(vs)];
        int[] bi = new int[batch.length];
        for (int b = 0; b < batches; b++) {
            NaiveAttention.unravel(b, batch, bi);
            for (int i = 0; i < L; i++) {
                boolean[] allowed = new boolean[S];
                double[] bias = new double[S];
                mask.row(scoresShape, bi, i, allowed, bias);
                double[] s = new double[S];
                double[] capSlope = new double[S];
                double[] capped = new double[S];
                int[] bh = NaiveAttention.batchAndHead(batch, bi);
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < S; j++) {
                    s[j] = Double.NEGATIVE_INFINITY;
                    if (allowed[j]) {
                        double dot = 0;
                        for (int c = 0; c < d; c++) {
                            dot += element(query, batch, bi, i, c) * element(key, batch, bi, j, c);
                        }
                        double x = scale * dot;
                        double t = softCap == 0 ? 0 : Math.tanh(x / softCap);
                        capSlope[j] = softCap == 0 ? 1 : 1 - t * t;
                        capped[j] = softCap == 0 ? x : softCap * t;
                        s[j] = (fn == null ? capped[j] : fn.value(bh[0], bh[1], i, j, capped[j])) + bias[j];
                    }
                    max = Math.max(max, s[j]);
                }
                if (max == Double.NEGATIVE_INFINITY) {
                    continue; // nothing to attend to: the output is the constant 0
                }
                double[] p = new double[S];
                double sum = 0;
                for (int j = 0; j < S; j++) {
                    p[j] = allowed[j] ? Math.exp(s[j] - max) : 0;
                    sum += p[j];
                }
                for (int j = 0; j < S; j++) {
                    p[j] /= sum;
                }
                double[] dO = new double[dv];
                int[] gi = NaiveAttention.append(bi, i, 0);
                for (int c = 0; c < dv; c++) {
                    gi[gi.length - 1] = c;
                    dO[c] = gradOutput.get(gi);
                }
                double[] dP = new double[S];
                for (int j = 0; j < S; j++) {
                    for (int c = 0; c < dv; c++) {
                        dP[j] += dO[c] * element(value, batch, bi, j, c);
                    }
                }
                double[] dS = new double[S];
                for (int l = 0; l < S; l++) {
                    for (int j = 0; j < S; j++) {
                        double jacobian = p[j] * ((j == l ? 1 : 0) - p[l]);
                        dS[l] += dP[j] * jacobian;
                    }
                    if (fn != null && allowed[l]) {
                        int t = fn.tableIndex(bh[0], bh[1], i, l);
                        if (t >= 0) {
                            tableGrad[t] += dS[l];
                        }
                        dS[l] *= fn.slope(bh[0], bh[1], i, l, capped[l]);
                    }
                    dS[l] *= capSlope[l];
                }
                for (int l = 0; l < S; l++) {
                    for (int c = 0; c < d; c++) {
                        gq[index(qs, batch, bi, i, c)] += scale * dS[l] * element(key, batch, bi, l, c);
                        gk[index(ks, batch, bi, l, c)] += scale * dS[l] * element(query, batch, bi, i, c);
                    }
                    for (int c = 0; c < dv; c++) {
                        gv[index(vs, batch, bi, l, c)] += p[l] * dO[c];
                    }
                }
            }
        }
        return new Gradients(gq, qs, gk, ks, gv, vs);
    }

    /** Element (row, col) of {@code t}'s matrix at broadcast batch index {@code bi}. */
    static double element(Tensor t, int[] batch, int[] bi, int row, int col) {
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

    /** The row-major flat index, in a tensor of {@code shape}, of element (row, col) at broadcast batch index {@code bi}. */
    static int index(int[] shape, int[] batch, int[] bi, int row, int col) {
        int r = shape.length;
        int skip = bi.length - (r - 2);
        int flat = 0;
        for (int k = 0; k < r - 2; k++) {
            flat = flat * shape[k] + NaiveAttention.source(shape[k], batch[k + skip], bi[k + skip]);
        }
        flat = flat * shape[r - 2] + row;
        return flat * shape[r - 1] + col;
    }

    private static int size(int[] shape) {
        int n = 1;
        for (int x : shape) {
            n *= x;
        }
        return n;
    }

    private static int[] lead(int[] shape) {
        return Arrays.copyOf(shape, shape.length - 2);
    }
}
