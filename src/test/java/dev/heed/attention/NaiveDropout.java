package dev.heed.attention;

import dev.heed.tensor.Tensor;

/**
 * Attention with dropout on the weights, forward and backward, done the slow, obvious way: the
 * twin {@link ScaledDotProductAttention#withDropout} and {@link ChunkedAttention#withDropout} are
 * checked against. It shares no code with the library, and not even the generator: {@link #keeps}
 * is written again from the function the javadoc states.
 *
 * <p>Per row: {@code p = softmax(scores)}, {@code Z_j = keep_j / (1 − rate)}, output
 * {@code Σ_j p_j Z_j v_j}; backward {@code dv_j += p_j Z_j dO}, {@code dP_j = Z_j (dO · v_j)}, and
 * the full softmax Jacobian {@code dS_l = Σ_j dP_j p_j (δ_jl − p_l)} (O(S²) per row). The log-sum-exp
 * is the undropped one.
 */
final class NaiveDropout {
    private NaiveDropout() {}

    /** Row-major results: forward (weights after dropout) and the three gradients, shaped like the inputs. */
    record Result(
            double[] output, double[] weights, double[] logSumExp, double[] query, double[] key, double[] value) {}

    /** SplitMix64's finaliser, as the javadoc states it. */
    static long mix(long z) {
        z ^= z >>> 30;
        z *= 0xbf58476d1ce4e5b9L;
        z ^= z >>> 27;
        z *= 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Whether weight (batch, head, query, key) survives dropout at rate {@code p} with {@code seed}. */
    static boolean keeps(long seed, double p, int batch, int head, int query, int key) {
        long h = mix(seed ^ 0x9e3779b97f4a7c15L);
        h = mix(h ^ batch);
        h = mix(h ^ head);
        h = mix(h ^ query);
        h = mix(h ^ key);
        return (h >>> 11) * 0x1p-53 >= p;
    }

    /**
     * @param scale      the score scale, or NaN for {@code 1/sqrt(d)}
     * @param gradOutput {@code [batch..., L, dv]}, or null for the forward only
     */
    static Result attend(
            Tensor query,
            Tensor key,
            Tensor value,
            NaiveAttention.Spec mask,
            double scale,
            double softCap,
            double rate,
            long seed,
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
        int heads = batch.length == 0 ? 1 : batch[batch.length - 1];
        int[] scoresShape = NaiveAttention.append(batch, L, S);
        double[] out = new double[batches * L * dv];
        double[] weights = new double[batches * L * S];
        double[] lse = new double[batches * L];
        double[] gq = new double[query.size()];
        double[] gk = new double[key.size()];
        double[] gv = new double[value.size()];
        int[] bi = new int[batch.length];
        double factor = 1.0 / (1.0 - rate);
        for (int b = 0; b < batches; b++) {
            NaiveAttention.unravel(b, batch, bi);
            for (int i = 0; i < L; i++) {
                int row = b * L + i;
                boolean[] allowed = new boolean[S];
                double[] bias = new double[S];
                mask.row(scoresShape, bi, i, allowed, bias);
                double[] s = new double[S];
                double[] capSlope = new double[S];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < S; j++) {
                    s[j] = Double.NEGATIVE_INFINITY;
                    if (allowed[j]) {
                        double dot = 0;
                        for (int c = 0; c < d; c++) {
                            dot += NaiveBackward.element(query, batch, bi, i, c)
                                    * NaiveBackward.element(key, batch, bi, j, c);
                        }
                        double x = scale * dot;
                        double t = softCap == 0 ? 0 : Math.tanh(x / softCap);
                        capSlope[j] = softCap == 0 ? 1 : 1 - t * t;
                        s[j] = (softCap == 0 ? x : softCap * t) + bias[j];
                    }
                    max = Math.max(max, s[j]);
                }
                if (max == Double.NEGATIVE_INFINITY) {
                    lse[row] = Double.NEGATIVE_INFINITY;
                    continue; // nothing to attend to: output, weights and gradients 0
                }
                double[] p = new double[S];
                double[] z = new double[S];
                double sum = 0;
                for (int j = 0; j < S; j++) {
                    p[j] = allowed[j] ? Math.exp(s[j] - max) : 0;
                    sum += p[j];
                    z[j] = rate == 0 || keeps(seed, rate, b / heads, b % heads, i, j) ? factor : 0;
                }
                lse[row] = max + Math.log(sum);
                for (int j = 0; j < S; j++) {
                    p[j] /= sum;
                    weights[row * S + j] = p[j] * z[j];
                    for (int c = 0; c < dv; c++) {
                        out[row * dv + c] += p[j] * z[j] * NaiveBackward.element(value, batch, bi, j, c);
                    }
                }
                if (gradOutput == null) {
                    continue;
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
                        dP[j] += dO[c] * NaiveBackward.element(value, batch, bi, j, c);
                    }
                    dP[j] *= z[j];
                }
                for (int l = 0; l < S; l++) {
                    double dS = 0;
                    for (int j = 0; j < S; j++) {
                        dS += dP[j] * p[j] * ((j == l ? 1 : 0) - p[l]);
                    }
                    dS *= capSlope[l];
                    for (int c = 0; c < d; c++) {
                        gq[NaiveBackward.index(qs, batch, bi, i, c)] +=
                                scale * dS * NaiveBackward.element(key, batch, bi, l, c);
                        gk[NaiveBackward.index(ks, batch, bi, l, c)] +=
                                scale * dS * NaiveBackward.element(query, batch, bi, i, c);
                    }
                    for (int c = 0; c < dv; c++) {
                        gv[NaiveBackward.index(vs, batch, bi, l, c)] += p[l] * z[l] * dO[c];
                    }
                }
            }
        }
        return new Result(out, weights, lse, gq, gk, gv);
    }
}
