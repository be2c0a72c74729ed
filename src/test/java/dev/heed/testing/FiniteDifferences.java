package dev.heed.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Central finite differences in float64: the numerical gradient of a scalar function of tensors,
 * and a check of an analytic gradient against it.
 *
 * <p>For each element {@code x} of the chosen input, {@code f} is evaluated at {@code x + h} and
 * {@code x - h} and the derivative taken as {@code (f+ - f-) / ((x + h) - (x - h))}: dividing by
 * the step actually represented, not by {@code 2h}, removes the rounding of {@code x ± h}.
 *
 * <p>Step: {@code h = cbrt(eps) · max(1, |x|)} with {@code eps = 2^-52}, about {@code 6e-6} for
 * unit-sized inputs. Central differences err by {@code h²/6 · f'''} (truncation) plus about
 * {@code eps · |f| / h} (rounding of {@code f}); this {@code h} balances the two, giving about
 * {@code 1e-10 · max(1, |f|)} absolute error for smooth functions with derivatives of order one —
 * far better than the {@code 1e-7} relative accuracy a gradient check needs.
 *
 * <p>The function receives fresh row-major copies of every input (so a view or a broadcast input
 * is perturbed through its own elements: the gradient of a broadcast input comes out summed back
 * to its own shape); it must not modify them and must be deterministic.
 */
public final class FiniteDifferences {

    /** {@code cbrt(2^-52)}: the relative step. */
    public static final double STEP = Math.cbrt(Math.ulp(1.0));

    /**
     * Default relative tolerance of {@link #assertGradient}: a hundred times the worst error seen
     * on the attention, multi-head, layer and loss checks of this project (below 1e-9), yet small
     * enough that a gradient wrong by 1e-6 of its scale fails.
     */
    public static final double RTOL = 1e-7;

    private static final int MAX_REPORTED = 12;

    private FiniteDifferences() {}

    /** A deterministic scalar function of tensors. */
    @FunctionalInterface
    public interface ScalarFunction {
        /**
         * @param inputs the tensors, in the order given to {@link FiniteDifferences}; not to be modified
         * @return the value
         */
        double apply(Tensor... inputs);
    }

    /** The step for an element of value {@code x}. */
    public static double step(double x) {
        return STEP * Math.max(1.0, Math.abs(x));
    }

    /**
     * The central-difference gradient of {@code f} with respect to {@code inputs[which]}.
     *
     * @return a new row-major tensor shaped like {@code inputs[which]}
     */
    public static Tensor gradient(ScalarFunction f, int which, Tensor... inputs) {
        return evaluate(f, which, inputs).gradient;
    }

    /** The gradients of {@code f} with respect to every input, each shaped like its input. */
    public static Tensor[] gradients(ScalarFunction f, Tensor... inputs) {
        Tensor[] out = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            out[i] = gradient(f, i, inputs);
        }
        return out;
    }

    /**
     * Checks {@code analytic} against the central-difference gradient of {@code f} with respect to
     * {@code inputs[which]}, with the default relative tolerance {@value #RTOL}.
     *
     * @see #assertGradient(String, Tensor, double, ScalarFunction, int, Tensor...)
     */
    public static void assertGradient(String context, Tensor analytic, ScalarFunction f, int which, Tensor... inputs) {
        assertGradient(context, analytic, RTOL, f, which, inputs);
    }

    /**
     * Checks {@code analytic} against the central-difference gradient of {@code f} with respect to
     * {@code inputs[which]}: same shape, and per element
     * {@code |analytic - numeric| <= rtol · (|numeric| + max(‖numeric‖∞, 1e-3 · max(1, |f|)))}.
     * The second term lets elements far smaller than the largest be checked at the gradient's own
     * scale (their finite-difference error is set by {@code |f|}, not by their size); a gradient
     * that is zero everywhere must come out within {@code rtol · 1e-3 · max(1, |f|)} of zero.
     * NaN or infinity in either gradient fails.
     */
    public static void assertGradient(
            String context, Tensor analytic, double rtol, ScalarFunction f, int which, Tensor... inputs) {
        Evaluation e = evaluate(f, which, inputs);
        double floor = 1e-3 * Math.max(1.0, Math.abs(e.value));
        assertClose(context, analytic, e.gradient, rtol, floor);
    }

    /**
     * Element-wise comparison of an analytic gradient with a numerical one:
     * {@code |a - n| <= rtol · (|n| + max(‖n‖∞, floor))}.
     */
    public static void assertClose(String context, Tensor analytic, Tensor numeric, double rtol, double floor) {
        assertThat(analytic).as("%s: analytic gradient", context).isNotNull();
        assertThat(analytic.shape()).as("%s: gradient shape", context).containsExactly(numeric.shape());
        double[] a = analytic.toArray();
        double[] n = numeric.toArray();
        double scale = floor;
        for (double x : n) {
            scale = Math.max(scale, Math.abs(x));
        }
        List<String> problems = new ArrayList<>();
        int bad = 0;
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            double diff = Math.abs(a[i] - n[i]);
            boolean ok = Double.isFinite(a[i]) && Double.isFinite(n[i]) && diff <= rtol * (Math.abs(n[i]) + scale);
            if (Double.isFinite(diff)) {
                worst = Math.max(worst, diff / scale);
            }
            if (!ok) {
                bad++;
                if (problems.size() < MAX_REPORTED) {
                    problems.add(String.format(
                            "[%d] %s analytic %s numeric %s",
                            i, Arrays.toString(ReferenceAssertions.unravel(i, numeric.shape())), a[i], n[i]));
                }
            }
        }
        assertThat(problems)
                .as(
                        "%s: %d of %d gradient elements off by more than %s relative to scale %s "
                                + "(worst |diff|/scale %s)",
                        context, bad, a.length, rtol, scale, worst)
                .isEmpty();
    }

    /** {@code Σ a·b} over two tensors of the same shape: the scalar whose gradient is {@code b}. */
    public static double dot(Tensor a, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException(
                    "dot of " + Arrays.toString(a.shape()) + " and " + Arrays.toString(b.shape()));
        }
        double[] x = a.toArray();
        double[] y = b.toArray();
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += x[i] * y[i];
        }
        return sum;
    }

    private record Evaluation(Tensor gradient, double value) {}

    private static Evaluation evaluate(ScalarFunction f, int which, Tensor... inputs) {
        if (which < 0 || which >= inputs.length) {
            throw new IllegalArgumentException("input " + which + " of " + inputs.length);
        }
        Tensor[] copies = new Tensor[inputs.length];
        double[] data = null;
        for (int i = 0; i < inputs.length; i++) {
            double[] values = inputs[i].toArray();
            copies[i] = Tensor.of(values, inputs[i].shape());
            if (i == which) {
                data = values;
            }
        }
        double value = f.apply(copies);
        double[] grad = new double[data.length];
        for (int i = 0; i < data.length; i++) {
            double x = data[i];
            double h = step(x);
            double plus = x + h;
            double minus = x - h;
            data[i] = plus;
            double fPlus = f.apply(copies);
            data[i] = minus;
            double fMinus = f.apply(copies);
            data[i] = x;
            grad[i] = (fPlus - fMinus) / (plus - minus);
        }
        return new Evaluation(Tensor.of(grad, inputs[which].shape()), value);
    }
}
