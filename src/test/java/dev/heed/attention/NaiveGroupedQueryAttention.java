package dev.heed.attention;

import dev.heed.tensor.Tensor;
import java.util.Map;

/**
 * A Llama-family attention layer written out with loops, independent of Heed's kernels, heads, rotary
 * encoding and masks: the reference {@link GroupedQueryAttention} is checked against.
 *
 * @param embedDim   E
 * @param numHeads   Hq
 * @param kvHeads    Hkv
 * @param headDim    d
 * @param rotaryDim  rotated features per head (rotate-half pairs (i, i + rot/2)), 0 for none
 * @param base       the rotary base
 * @param window     tokens a query sees, itself included; 0 for plain causal
 * @param scale      the score scale
 */
record NaiveGroupedQueryAttention(
        int embedDim, int numHeads, int kvHeads, int headDim, int rotaryDim, double base, int window, double scale) {

    /** The layer's output {@code [B, T, E]} for {@code x [B, T, E]}; {@code lengths} null or one per batch element. */
    Tensor forward(Map<String, Tensor> params, Tensor x, int start, int[] lengths) {
        int b = x.shape(0);
        int t = x.shape(1);
        double[][][] q = project(x, params, "q_proj", numHeads, start);
        double[][][] k = project(x, params, "k_proj", kvHeads, start);
        double[][][] v = project(x, params, "v_proj", kvHeads, -1);
        int group = numHeads / kvHeads;
        double[] merged = new double[b * t * numHeads * headDim];
        for (int n = 0; n < b; n++) {
            for (int h = 0; h < numHeads; h++) {
                int kv = n * kvHeads + h / group;
                for (int i = 0; i < t; i++) {
                    double[] s = new double[t];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < t; j++) {
                        boolean allowed =
                                j <= i && (window == 0 || j > i - window) && (lengths == null || j < lengths[n]);
                        double dot = 0;
                        for (int e = 0; e < headDim; e++) {
                            dot += q[n * numHeads + h][i][e] * k[kv][j][e];
                        }
                        s[j] = allowed ? dot * scale : Double.NEGATIVE_INFINITY;
                        max = Math.max(max, s[j]);
                    }
                    if (max == Double.NEGATIVE_INFINITY) {
                        continue; // nothing to attend to: the head's output stays 0
                    }
                    double sum = 0;
                    for (int j = 0; j < t; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int e = 0; e < headDim; e++) {
                        double o = 0;
                        for (int j = 0; j < t; j++) {
                            o += s[j] / sum * v[kv][j][e];
                        }
                        merged[((n * t + i) * numHeads + h) * headDim + e] = o;
                    }
                }
            }
        }
        Tensor m = Tensor.of(merged, b, t, numHeads * headDim);
        return linear(m, params.get("o_proj.weight"), params.get("o_proj.bias"));
    }

    /** {@code [B·heads][T][d]} of {@code x·Wᵀ + b}, rotated at positions {@code start + t} unless start < 0. */
    private double[][][] project(Tensor x, Map<String, Tensor> params, String name, int heads, int start) {
        Tensor y = linear(x, params.get(name + ".weight"), params.get(name + ".bias"));
        int b = x.shape(0);
        int t = x.shape(1);
        double[][][] out = new double[b * heads][t][headDim];
        for (int n = 0; n < b; n++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < t; i++) {
                    for (int e = 0; e < headDim; e++) {
                        out[n * heads + h][i][e] = y.get(n, i, h * headDim + e);
                    }
                    if (start >= 0 && rotaryDim > 0) {
                        rotate(out[n * heads + h][i], start + i);
                    }
                }
            }
        }
        return out;
    }

    /** Hugging Face's {@code q * cos + rotate_half(q) * sin} on the first {@code rotaryDim} features. */
    private void rotate(double[] row, int position) {
        int half = rotaryDim / 2;
        for (int i = 0; i < half; i++) {
            double angle = position * (1.0 / Math.pow(base, (2.0 * i) / rotaryDim));
            double a = row[i];
            double c = row[i + half];
            row[i] = a * Math.cos(angle) - c * Math.sin(angle);
            row[i + half] = c * Math.cos(angle) + a * Math.sin(angle);
        }
    }

    private static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        int b = x.shape(0);
        int t = x.shape(1);
        int in = w.shape(1);
        int out = w.shape(0);
        double[] y = new double[b * t * out];
        for (int n = 0; n < b; n++) {
            for (int i = 0; i < t; i++) {
                for (int o = 0; o < out; o++) {
                    double s = bias == null ? 0 : bias.get(o);
                    for (int f = 0; f < in; f++) {
                        s += x.get(n, i, f) * w.get(o, f);
                    }
                    y[(n * t + i) * out + o] = s;
                }
            }
        }
        return Tensor.of(y, b, t, out);
    }
}
