package dev.heed.train;

import dev.heed.autograd.Variable;
import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Limits gradients in place before an optimiser step, as {@code torch.nn.utils.clip_grad_norm_}
 * and {@code clip_grad_value_}. Parameters without a gradient are skipped; a parameter listed
 * twice (tied weights) counts once.
 */
public final class GradientClipping {
    /** Added to the norm in the scale {@code maxNorm / (norm + 1e-6)}, as PyTorch. */
    private static final double NORM_EPS = 1e-6;

    private GradientClipping() {}

    /**
     * {@link #clipNorm(Iterable, double, boolean)} without the non-finite check (PyTorch's default):
     * a non-finite norm scales the gradients by {@code maxNorm / (norm + 1e-6)} all the same,
     * which turns them to zeros and NaN.
     *
     * @param parameters the parameters whose gradients to clip; their gradients are modified
     * @param maxNorm    the largest allowed global L2 norm, {@code >= 0} ({@code +∞} never clips)
     * @return the global L2 norm of the gradients before clipping (0 if none has a gradient)
     * @throws IllegalArgumentException if {@code parameters} is null or holds null, or
     *                                  {@code maxNorm} is negative or NaN
     */
    public static double clipNorm(Iterable<Variable> parameters, double maxNorm) {
        return clipNorm(parameters, maxNorm, false);
    }

    /**
     * Scales all gradients by one factor so that their global L2 norm — the norm of all their
     * elements taken together — is at most {@code maxNorm}: each gradient is multiplied by
     * {@code min(1, maxNorm / (norm + 1e-6))}, exactly PyTorch's rule. The norm is computed with
     * scaling, so it neither overflows nor underflows for finite gradients.
     *
     * @param parameters        the parameters whose gradients to clip; their gradients are
     *                          modified in place (the tensors {@link Variable#grad()} returns)
     * @param maxNorm           the largest allowed norm, {@code >= 0} ({@code +∞} never clips)
     * @param errorIfNonfinite  whether a NaN or infinite norm throws instead of scaling
     * @return the global L2 norm of the gradients before clipping (0 if none has a gradient)
     * @throws IllegalArgumentException if {@code parameters} is null or holds null, or
     *                                  {@code maxNorm} is negative or NaN
     * @throws ArithmeticException      if {@code errorIfNonfinite} and the norm is NaN or infinite;
     *                                  the gradients are then left unchanged
     */
    public static double clipNorm(Iterable<Variable> parameters, double maxNorm, boolean errorIfNonfinite) {
        if (!(maxNorm >= 0)) {
            throw new IllegalArgumentException("clipNorm: maxNorm must be >= 0, got " + maxNorm);
        }
        List<Tensor> grads = gradients(parameters, "clipNorm");
        double norm = norm(grads);
        if (errorIfNonfinite && !Double.isFinite(norm)) {
            throw new ArithmeticException(
                    "clipNorm: the total norm of the gradients is " + norm + ", so they cannot be clipped");
        }
        double coefficient = Math.min(maxNorm / (norm + NORM_EPS), 1.0);
        if (coefficient != 1.0) { // multiplying by 1 changes nothing (NaN compares unequal, so it is applied)
            for (Tensor g : grads) {
                scale(g, coefficient);
            }
        }
        return norm;
    }

    /**
     * Clamps every gradient element to {@code [-clipValue, clipValue]}, as
     * {@code clip_grad_value_}; NaN elements stay NaN.
     *
     * @param parameters the parameters whose gradients to clip; their gradients are modified
     * @param clipValue  the bound, {@code >= 0}
     * @throws IllegalArgumentException if {@code parameters} is null or holds null, or
     *                                  {@code clipValue} is negative or NaN
     */
    public static void clipValue(Iterable<Variable> parameters, double clipValue) {
        if (!(clipValue >= 0)) {
            throw new IllegalArgumentException("clipValue: the bound must be >= 0, got " + clipValue);
        }
        for (Tensor g : gradients(parameters, "clipValue")) {
            double[] d = g.data();
            int o = g.offset();
            for (int j = 0; j < g.size(); j++) {
                double x = d[o + j];
                d[o + j] = x > clipValue ? clipValue : x < -clipValue ? -clipValue : x;
            }
        }
    }

    /**
     * The global L2 norm of the gradients, as {@link #clipNorm} measures it, without changing
     * anything: useful to log.
     *
     * @param parameters the parameters; not modified
     * @return the norm, 0 if no parameter has a gradient
     * @throws IllegalArgumentException if {@code parameters} is null or holds null
     */
    public static double norm(Iterable<Variable> parameters) {
        return norm(gradients(parameters, "norm"));
    }

    private static List<Tensor> gradients(Iterable<Variable> parameters, String who) {
        List<Tensor> grads = new ArrayList<>();
        for (Variable p : Parameters.distinct(parameters, who)) {
            Tensor g = p.grad();
            if (g != null) {
                // Gradients are row-major tensors of their own (see Variable.grad), so their
                // elements are data[offset .. offset + size).
                if (!g.isContiguous()) {
                    throw new IllegalStateException(who + ": a gradient of shape "
                            + java.util.Arrays.toString(g.shape()) + " is not contiguous");
                }
                grads.add(g);
            }
        }
        return grads;
    }

    /** √Σ g², scaled by the largest |g| first (LAPACK's dnrm2 idea) so that squares cannot overflow. */
    private static double norm(List<Tensor> grads) {
        double largest = 0;
        for (Tensor g : grads) {
            double[] d = g.data();
            for (int j = 0, o = g.offset(); j < g.size(); j++) {
                double a = Math.abs(d[o + j]);
                if (a != a) {
                    return Double.NaN;
                }
                largest = Math.max(largest, a);
            }
        }
        if (largest == 0 || Double.isInfinite(largest)) {
            return largest;
        }
        double sum = 0;
        for (Tensor g : grads) {
            double[] d = g.data();
            for (int j = 0, o = g.offset(); j < g.size(); j++) {
                double s = d[o + j] / largest;
                sum += s * s;
            }
        }
        return largest * Math.sqrt(sum);
    }

    private static void scale(Tensor g, double c) {
        double[] d = g.data();
        for (int j = 0, o = g.offset(); j < g.size(); j++) {
            d[o + j] *= c;
        }
    }
}
