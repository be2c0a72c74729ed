package dev.heed.train;

import dev.heed.autograd.Variable;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * Loss functions on {@link Variable}s, with PyTorch's semantics and defaults: the result is a
 * variable whose {@link Variable#backward()} sends gradients to the predictions.
 */
public final class Losses {
    /** The target value {@link #crossEntropy(Variable, int[])} ignores by default, as PyTorch's {@code ignore_index}. */
    public static final int DEFAULT_IGNORE_INDEX = -100;

    private Losses() {}

    /**
     * {@link #crossEntropy(Variable, int[], int, Reduction)} with PyTorch's defaults: targets equal
     * to {@link #DEFAULT_IGNORE_INDEX} ({@code -100}) are ignored, the mean is taken over the others.
     *
     * @param logits  {@code [N, C]} unnormalised scores
     * @param targets {@code N} class indices; not modified
     * @return the 0-d mean loss
     * @throws IllegalArgumentException as {@link #crossEntropy(Variable, int[], int, Reduction)}
     */
    public static Variable crossEntropy(Variable logits, int[] targets) {
        return crossEntropy(logits, targets, DEFAULT_IGNORE_INDEX, Reduction.MEAN);
    }

    /**
     * {@link #crossEntropy(Variable, int[], int, Reduction)} with the mean reduction.
     *
     * @param logits      {@code [N, C]} unnormalised scores
     * @param targets     {@code N} class indices; not modified
     * @param ignoreIndex a target value whose rows count for nothing (e.g. padding)
     * @return the 0-d mean loss over the rows not ignored
     * @throws IllegalArgumentException as {@link #crossEntropy(Variable, int[], int, Reduction)}
     */
    public static Variable crossEntropy(Variable logits, int[] targets, int ignoreIndex) {
        return crossEntropy(logits, targets, ignoreIndex, Reduction.MEAN);
    }

    /**
     * Cross-entropy of the softmax of {@code logits} against class indices, PyTorch's
     * {@code cross_entropy}: row {@code i} contributes
     * {@code ℓᵢ = −log softmax(logitsᵢ)[targets[i]]}, computed stably as
     * {@code ℓᵢ = log Σⱼ e^(xᵢⱼ − m) − (x_{i,t} − m)} with {@code m} the row maximum, so logits of
     * ±1e6 give exact, finite losses (0 for a correct class ahead by 2e6, 2e6 for a wrong one).
     *
     * <p>Rows whose target equals {@code ignoreIndex} contribute nothing and get zero gradients.
     * {@link Reduction#MEAN} divides by the number of rows not ignored; when every row is ignored
     * the loss is NaN (0/0, as PyTorch) and the gradients are zero. {@link Reduction#NONE} gives
     * {@code [N]} losses, 0 on ignored rows. A row with NaN or {@code +∞} logits, or only
     * {@code -∞}, gives NaN; a target whose logit alone is {@code -∞} gives {@code +∞}.
     *
     * <p>The operation is fused: the softmax is computed once and the gradient with respect to
     * the logits, {@code (softmax − onehot)} scaled by the reduction, comes from it directly.
     *
     * @param logits      {@code [N, C]} unnormalised scores, {@code C ≥ 1}; any layout
     * @param targets     {@code N} class indices, each in {@code [0, C)} or equal to
     *                    {@code ignoreIndex}; not modified (copied)
     * @param ignoreIndex a target value whose rows count for nothing
     * @param reduction   how to combine the rows
     * @return a 0-d loss for {@code MEAN} and {@code SUM}, {@code [N]} for {@code NONE}
     * @throws IllegalArgumentException if an argument is null, {@code logits} is not
     *                                  {@code [N, C]} with {@code C ≥ 1}, the number of targets is
     *                                  not {@code N}, or a target is out of range, naming them
     */
    public static Variable crossEntropy(Variable logits, int[] targets, int ignoreIndex, Reduction reduction) {
        if (logits == null || targets == null || reduction == null) {
            throw new IllegalArgumentException("crossEntropy: "
                    + (logits == null ? "logits" : targets == null ? "targets" : "reduction") + " is null");
        }
        int[] shape = logits.shape();
        if (shape.length != 2 || shape[1] < 1) {
            throw new IllegalArgumentException(
                    "crossEntropy needs logits [N, C] with C >= 1, got " + Arrays.toString(shape));
        }
        int n = shape[0];
        int c = shape[1];
        if (targets.length != n) {
            throw new IllegalArgumentException("crossEntropy: " + targets.length + " targets for logits "
                    + Arrays.toString(shape) + " (" + n + " rows)");
        }
        int[] t = targets.clone();
        int counted = 0;
        for (int i = 0; i < n; i++) {
            if (t[i] == ignoreIndex) {
                continue;
            }
            if (t[i] < 0 || t[i] >= c) {
                throw new IllegalArgumentException("crossEntropy: target " + t[i] + " at position " + i
                        + " is out of range for " + c + " classes (logits " + Arrays.toString(shape)
                        + "; ignoreIndex " + ignoreIndex + ")");
            }
            counted++;
        }
        double[] x = logits.value().toArray();
        double[] softmax = new double[x.length];
        double[] losses = new double[n];
        for (int i = 0; i < n; i++) {
            int o = i * c;
            double m = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                m = Math.max(m, x[o + j]); // NaN-propagating
            }
            double s = 0;
            for (int j = 0; j < c; j++) {
                double e = Math.exp(x[o + j] - m);
                softmax[o + j] = e;
                s += e;
            }
            for (int j = 0; j < c; j++) {
                softmax[o + j] /= s;
            }
            losses[i] = t[i] == ignoreIndex ? 0.0 : Math.log(s) - (x[o + t[i]] - m);
        }
        Tensor value;
        switch (reduction) {
            case NONE:
                value = Tensor.of(losses, n);
                break;
            case SUM:
                value = Tensor.scalar(sum(losses));
                break;
            default:
                value = Tensor.scalar(sum(losses) / counted);
                break;
        }
        int count = counted;
        return Variable.custom("crossEntropy", value, List.of(logits), g -> {
            double[] gr = g.toArray();
            double[] dx = new double[x.length];
            for (int i = 0; i < n; i++) {
                if (t[i] == ignoreIndex) {
                    continue;
                }
                double scale = reduction == Reduction.NONE ? gr[i] : reduction == Reduction.SUM ? gr[0] : gr[0] / count;
                int o = i * c;
                for (int j = 0; j < c; j++) {
                    dx[o + j] = softmax[o + j] * scale;
                }
                dx[o + t[i]] = (softmax[o + t[i]] - 1) * scale;
            }
            return List.of(Tensor.of(dx, n, c));
        });
    }

    private static double sum(double[] xs) {
        double s = 0;
        for (double x : xs) {
            s += x;
        }
        return s;
    }

    /**
     * The mean squared error {@code mean((prediction − target)²)}, PyTorch's {@code mse_loss}.
     *
     * @param prediction any shape
     * @param target     the same shape as {@code prediction}; not modified
     * @return the 0-d mean loss (NaN for empty operands, as PyTorch)
     * @throws IllegalArgumentException if an argument is null or the shapes differ, naming them
     */
    public static Variable meanSquaredError(Variable prediction, Tensor target) {
        return meanSquaredError(prediction, target, Reduction.MEAN);
    }

    /**
     * The squared error against a constant target, reduced as asked.
     *
     * @param prediction any shape
     * @param target     the same shape as {@code prediction}; not modified
     * @param reduction  {@code MEAN} (0-d), {@code SUM} (0-d) or {@code NONE} (the prediction's shape)
     * @return the loss
     * @throws IllegalArgumentException if an argument is null or the shapes differ, naming them
     */
    public static Variable meanSquaredError(Variable prediction, Tensor target, Reduction reduction) {
        if (target == null) {
            throw new IllegalArgumentException("meanSquaredError: target is null");
        }
        return meanSquaredError(prediction, Variable.constant(target), reduction);
    }

    /**
     * The mean squared error between two variables; both receive gradients if they require them.
     *
     * @param prediction any shape
     * @param target     the same shape as {@code prediction}
     * @return the 0-d mean loss
     * @throws IllegalArgumentException if an argument is null or the shapes differ, naming them
     */
    public static Variable meanSquaredError(Variable prediction, Variable target) {
        return meanSquaredError(prediction, target, Reduction.MEAN);
    }

    /**
     * The squared error between two variables, reduced as asked. Unlike the elementwise
     * operations, the shapes must be equal: a silently broadcast target is a classic bug (PyTorch
     * warns about it).
     *
     * @param prediction any shape
     * @param target     the same shape as {@code prediction}
     * @param reduction  {@code MEAN} (0-d), {@code SUM} (0-d) or {@code NONE} (the prediction's shape)
     * @return the loss
     * @throws IllegalArgumentException if an argument is null or the shapes differ, naming them
     */
    public static Variable meanSquaredError(Variable prediction, Variable target, Reduction reduction) {
        if (prediction == null || target == null || reduction == null) {
            throw new IllegalArgumentException("meanSquaredError: "
                    + (prediction == null ? "prediction" : target == null ? "target" : "reduction") + " is null");
        }
        if (!Arrays.equals(prediction.shape(), target.shape())) {
            throw new IllegalArgumentException("meanSquaredError needs equal shapes, got prediction "
                    + Arrays.toString(prediction.shape()) + " and target " + Arrays.toString(target.shape()));
        }
        Variable d = prediction.sub(target);
        Variable squared = d.mul(d);
        switch (reduction) {
            case NONE:
                return squared;
            case SUM:
                return squared.sum();
            default:
                return squared.mean();
        }
    }
}
