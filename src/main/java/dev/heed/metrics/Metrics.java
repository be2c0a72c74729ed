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
     * gives 0. NaN propagates to its row.
     *
     * @param weights {@code [..., S]}, not modified
     * @return a new {@code [...]} tensor
     * @throws IllegalArgumentException if {@code weights} is 0-d or holds a negative value
     */
    public static Tensor entropy(Tensor weights) {
        checkWeights(weights, "entropy");
        return weights.map(w -> w == 0 ? 0.0 : -w * Math.log(w)).sum(-1);
    }

    /**
     * Concentration of each row: its largest weight, in {@code [1/S, 1]} for a normalised row
     * (1 = all attention on one key). NaN propagates to its row.
     *
     * @param weights {@code [..., S]} with {@code S >= 1}, not modified
     * @return a new {@code [...]} tensor
     * @throws IllegalArgumentException if {@code weights} is 0-d, has an empty last axis, or holds
     *                                  a negative value
     */
    public static Tensor concentration(Tensor weights) {
        checkWeights(weights, "concentration");
        return weights.max(-1);
    }

    /**
     * Fraction of positions where {@code predicted} equals {@code truth}.
     *
     * @throws IllegalArgumentException if the arrays differ in length or are empty
     */
    public static double accuracy(int[] truth, int[] predicted) {
        if (truth == null || predicted == null) {
            throw new IllegalArgumentException("truth and predicted must not be null");
        }
        if (truth.length != predicted.length) {
            throw new IllegalArgumentException("truth has " + truth.length + " labels but predicted has "
                    + predicted.length);
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
     * @param weights {@code [..., S]} attention weights, not modified
     * @throws IllegalArgumentException as {@link #accuracy}, {@link #entropy} and
     *                                  {@link #concentration} do
     */
    public static Evaluation evaluate(int[] truth, int[] predicted, Tensor weights) {
        return new Evaluation(accuracy(truth, predicted), entropy(weights).mean(), concentration(weights).mean());
    }

    /**
     * A summary of an evaluation.
     *
     * @param accuracy          fraction of correct predictions
     * @param meanEntropy       mean over rows of the entropy in nats
     * @param meanConcentration mean over rows of the largest weight
     */
    public record Evaluation(double accuracy, double meanEntropy, double meanConcentration) {
    }

    private static void checkWeights(Tensor weights, String what) {
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
    }
}
