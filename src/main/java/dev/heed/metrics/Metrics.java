package dev.heed.metrics;

import dev.heed.tensor.Tensor;
import java.util.Arrays;

/**
 * Measures of attention weights and of predictions.
 *
 * <p>Weight measures reduce the last axis: weights {@code [4, 7]} (4 queries over 7 keys)
 * give {@code [4]}, weights {@code [B, H, L, S]} give {@code [B, H, L]}. They take the rows as
 * given and do not renormalise them.
 */
public final class Metrics {
    private Metrics() {}

    /**
     * Shannon entropy in nats of each row, {@code -Σ_j w_j ln w_j}, with {@code 0 · ln 0 = 0}
     * exactly (no epsilon added, so a one-hot row gives exactly 0 and a uniform row over
     * {@code n} keys gives {@code ln n}). A row of all zeros (a query that attended to nothing)
     * gives 0, and so does an empty row ({@code S = 0}). NaN propagates to its row.
     *
     * @param weights {@code [..., S]}, any view; not modified
     * @return a new {@code [...]} tensor
     * @throws IllegalArgumentException if {@code weights} is null or 0-d, or holds a negative value
     */
    public static Tensor entropy(Tensor weights) {
        checkWeights(weights, "entropy");
        return weights.map(w -> w == 0 ? 0.0 : -w * Math.log(w)).sum(-1);
    }

    /**
     * Concentration of each row: its largest weight, in {@code [1/S, 1]} for a normalised row
     * (1 = all attention on one key). NaN propagates to its row.
     *
     * @param weights {@code [..., S]} with {@code S >= 1}, any view; not modified
     * @return a new {@code [...]} tensor
     * @throws IllegalArgumentException if {@code weights} is null or 0-d, has an empty last axis,
     *                                  or holds a negative value
     */
    public static Tensor concentration(Tensor weights) {
        checkWeights(weights, "concentration");
        return weights.max(-1);
    }

    /**
     * Entropy of each row divided by {@code ln S}, the entropy of a uniform row over the
     * {@code S} keys of the last axis: 0 for a one-hot row, 1 for a uniform row, in
     * {@code [0, 1]} for any normalised row — a spread that compares rows of different lengths.
     * A row of all zeros (a query that attended to nothing) gives 0.
     *
     * <p>For {@code S <= 1} the ratio is 0/0; it is defined as 0 here, because the only
     * normalised row over one key is one-hot and has nothing to spread over. The divisor is the
     * full length of the axis: a row padded to {@code S} keys of which only {@code n} are real
     * reaches at most {@code ln n / ln S}; divide {@link #entropy} by {@code ln n} yourself when
     * that is what you mean. NaN propagates to its row.
     *
     * @param weights {@code [..., S]}, any view; not modified
     * @return a new {@code [...]} tensor
     * @throws IllegalArgumentException if {@code weights} is null or 0-d, or holds a negative value
     */
    public static Tensor normalizedEntropy(Tensor weights) {
        Tensor h = entropy(weights);
        int keys = weights.shape(-1);
        if (keys <= 1) {
            return h.map(x -> Double.isNaN(x) ? x : 0.0);
        }
        return h.scale(1.0 / Math.log(keys));
    }

    /**
     * Top-k mass of each row: the sum of its {@code k} largest weights, in {@code [k/S, 1]} for a
     * normalised row. How much of a query's attention its {@code k} favourite keys take (1 =
     * all of it). NaN propagates to its row.
     *
     * @param weights {@code [..., S]}, not modified
     * @param k       how many weights to sum, in {@code [1, S]}
     * @return a new {@code [...]} tensor
     * @throws IllegalArgumentException if {@code weights} is null, 0-d or holds a negative value,
     *                                  or {@code k} is outside {@code [1, S]} (so always when
     *                                  {@code S = 0})
     */
    public static Tensor topKMass(Tensor weights, int k) {
        double[] values = checkWeights(weights, "topKMass");
        int keys = weights.shape(-1);
        if (k < 1 || k > keys) {
            throw new IllegalArgumentException("topKMass needs k in [1, S] = [1, " + keys + "] for weights "
                    + Arrays.toString(weights.shape()) + ", got k = " + k);
        }
        double[] out = new double[values.length / keys];
        double[] row = new double[keys];
        for (int r = 0; r < out.length; r++) {
            System.arraycopy(values, r * keys, row, 0, keys);
            Arrays.sort(row); // ascending, NaN last
            double sum = 0;
            for (int j = keys - 1; j >= keys - k; j--) {
                sum += row[j];
            }
            out[r] = Double.isNaN(row[keys - 1]) ? Double.NaN : sum;
        }
        return Tensor.of(out, leading(weights.shape(), 1));
    }

    /**
     * Mean attention distance of each query: {@code Σ_j w_ij · |pos(i) − j|}, how far from itself
     * a query looks on average (in positions, weighted by attention). 0 when a query attends only
     * to its own position; an all-zero row gives 0.
     *
     * <p>Positions follow the alignment of Heed's {@linkplain dev.heed.attention.Mask#causal()
     * causal mask}: with {@code L} queries and {@code S} keys, query {@code i} sits at key position
     * {@code pos(i) = i + (S − L)} — the queries are the last {@code L} of the {@code S} positions,
     * as when decoding with a key/value cache. For self-attention ({@code L = S}) that is simply
     * {@code |i − j|}.
     *
     * @param weights {@code [..., L, S]}, rank ≥ 2, not modified
     * @return a new {@code [..., L]} tensor
     * @throws IllegalArgumentException if {@code weights} is null, has rank below 2 or holds a
     *                                  negative value
     */
    public static Tensor meanAttentionDistance(Tensor weights) {
        double[] values = checkMatrices(weights, "meanAttentionDistance");
        int queries = weights.shape(-2);
        int keys = weights.shape(-1);
        int[] outShape = leading(weights.shape(), 1);
        double[] out = new double[size(outShape)];
        for (int r = 0; r < out.length && keys > 0; r++) {
            int position = r % queries + (keys - queries);
            double sum = 0;
            for (int j = 0, p = r * keys; j < keys; j++, p++) {
                sum += values[p] * Math.abs(position - j);
            }
            out[r] = sum;
        }
        return Tensor.of(out, outShape);
    }

    /**
     * Mean attention distance per head: {@link #meanAttentionDistance} averaged over the batch
     * and the queries of each head — the usual summary of whether a head looks locally or far
     * (as in studies of vision and language transformers). Queries whose weights are all 0
     * (they attended to nothing) are left out of the average; a head with no other query gets 0.
     *
     * @param weights per-head weights {@code [B, H, L, S]} or {@code [H, L, S]}, as
     *                {@link dev.heed.attention.MultiHeadAttention} returns them; not modified
     * @return a new {@code [H]} tensor
     * @throws IllegalArgumentException unless {@code weights} is non-null of rank 3 or 4, or if it
     *                                  holds a negative value
     */
    public static Tensor headMeanAttentionDistance(Tensor weights) {
        if (weights == null) {
            throw new IllegalArgumentException("headMeanAttentionDistance: weights are null");
        }
        if (weights.rank() != 3 && weights.rank() != 4) {
            throw new IllegalArgumentException("headMeanAttentionDistance needs per-head weights [B, H, L, S] or "
                    + "[H, L, S], got " + Arrays.toString(weights.shape()));
        }
        Tensor w4 = weights.rank() == 3 ? weights.unsqueeze(0) : weights;
        int batch = w4.shape(0);
        int heads = w4.shape(1);
        int queries = w4.shape(2);
        double[] distance = meanAttentionDistance(w4).toArray();
        double[] mass = w4.sum(-1).toArray();
        double[] out = new double[heads];
        for (int h = 0; h < heads; h++) {
            double sum = 0;
            int rows = 0;
            for (int b = 0; b < batch; b++) {
                for (int i = 0, r = (b * heads + h) * queries; i < queries; i++, r++) {
                    if (mass[r] != 0) { // NaN mass counts, so NaN reaches its head
                        sum += distance[r];
                        rows++;
                    }
                }
            }
            out[h] = rows == 0 ? 0.0 : sum / rows;
        }
        return Tensor.of(out, heads);
    }

    /**
     * Fraction of positions where {@code predicted} equals {@code truth}.
     *
     * @param truth     the true labels; not modified
     * @param predicted the predicted labels, as many as {@code truth}; not modified
     * @return the number of equal positions divided by the length, in {@code [0, 1]}
     * @throws IllegalArgumentException if either array is null, the arrays differ in length, or
     *                                  they are empty
     */
    public static double accuracy(int[] truth, int[] predicted) {
        if (truth == null || predicted == null) {
            throw new IllegalArgumentException("truth and predicted must not be null");
        }
        if (truth.length != predicted.length) {
            throw new IllegalArgumentException(
                    "truth has " + truth.length + " labels but predicted has " + predicted.length);
        }
        if (truth.length == 0) {
            throw new IllegalArgumentException("accuracy of zero predictions is undefined");
        }
        int correct = 0;
        for (int i = 0; i < truth.length; i++) {
            if (truth[i] == predicted[i]) {
                correct++;
            }
        }
        return correct / (double) truth.length;
    }

    /**
     * Accuracy together with the mean entropy and mean concentration of the attention rows — a
     * one-call summary of a model's predictions and of how sharply it attends.
     *
     * @param truth     the true labels; not modified
     * @param predicted the predicted labels, as many as {@code truth}; not modified
     * @param weights   {@code [..., S]} attention weights, not modified
     * @return the accuracy, and the means over all rows of {@link #entropy} and
     *         {@link #concentration} (NaN if {@code weights} has no rows; a NaN row makes its mean
     *         NaN)
     * @throws IllegalArgumentException as {@link #accuracy}, {@link #entropy} and
     *                                  {@link #concentration} do
     */
    public static Evaluation evaluate(int[] truth, int[] predicted, Tensor weights) {
        return new Evaluation(
                accuracy(truth, predicted),
                entropy(weights).mean(),
                concentration(weights).mean());
    }

    /**
     * A summary of an evaluation.
     *
     * @param accuracy          fraction of correct predictions
     * @param meanEntropy       mean over rows of the entropy in nats
     * @param meanConcentration mean over rows of the largest weight
     */
    public record Evaluation(double accuracy, double meanEntropy, double meanConcentration) {}

    /** {@link #checkWeights} for weights {@code [..., L, S]}. */
    private static double[] checkMatrices(Tensor weights, String what) {
        if (weights != null && weights.rank() < 2) {
            throw new IllegalArgumentException(
                    what + " needs weights [..., L, S] of rank >= 2, got " + Arrays.toString(weights.shape()));
        }
        return checkWeights(weights, what);
    }

    private static int[] leading(int[] shape, int drop) {
        return Arrays.copyOf(shape, shape.length - drop);
    }

    private static int size(int[] shape) {
        int n = 1;
        for (int x : shape) {
            n *= x;
        }
        return n;
    }

    /** The weights in row-major order, after checking they are a tensor of rank ≥ 1 with no negative value. */
    private static double[] checkWeights(Tensor weights, String what) {
        if (weights == null) {
            throw new IllegalArgumentException(what + ": weights are null");
        }
        if (weights.rank() == 0) {
            throw new IllegalArgumentException(what + " reduces the last axis; weights must have rank >= 1, got "
                    + Arrays.toString(weights.shape()));
        }
        double[] values = weights.toArray();
        for (int i = 0; i < values.length; i++) {
            if (values[i] < 0) {
                throw new IllegalArgumentException(what + ": weights must be >= 0, found " + values[i]
                        + " at flat index " + i + " of shape " + Arrays.toString(weights.shape()));
            }
        }
        return values;
    }
}
