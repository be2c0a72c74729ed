package dev.heed.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Checks a function's gradients against central finite differences in float64: the independent
 * reference for every backward rule. The function's output is contracted with a fixed random
 * tensor, so every output element carries a different upstream gradient.
 */
public final class GradCheck {
    private static final double H = 1e-6;
    private static final double TOLERANCE = 1e-6;

    private GradCheck() {}

    /**
     * Compares the analytic gradients of {@code sum(f(inputs) ∘ R)} with respect to every input
     * with central differences.
     *
     * @param what    names the case in failure messages
     * @param inputs  the point to differentiate at; not modified
     * @param f       builds the output from parameters wrapping copies of the inputs
     */
    public static void check(String what, List<Tensor> inputs, Function<List<Variable>, Variable> f) {
        List<Variable> params = new ArrayList<>();
        for (Tensor t : inputs) {
            params.add(Variable.parameter(t));
        }
        Variable out = f.apply(params);
        Tensor r = Tensor.random(99).normal(out.shape());
        out.mul(Variable.constant(r)).sum().backward();
        for (int i = 0; i < inputs.size(); i++) {
            Tensor analytic = params.get(i).grad();
            double[] base = inputs.get(i).toArray();
            int[] shape = inputs.get(i).shape();
            if (analytic == null) {
                analytic = Tensor.zeros(shape); // no path from this input to the output
            }
            assertThat(analytic.shape())
                    .as("%s: gradient shape of input %d", what, i)
                    .containsExactly(shape);
            double[] a = analytic.toArray();
            for (int j = 0; j < base.length; j++) {
                double numeric = (loss(inputs, i, base, shape, j, +H, f, r) - loss(inputs, i, base, shape, j, -H, f, r))
                        / (2 * H);
                double scale = Math.max(1, Math.max(Math.abs(numeric), Math.abs(a[j])));
                if (!(Math.abs(a[j] - numeric) <= TOLERANCE * scale)) {
                    fail(
                            "%s: d/d input %d %s element %d: analytic %s, finite differences %s",
                            what, i, Arrays.toString(shape), j, a[j], numeric);
                }
            }
        }
    }

    private static double loss(
            List<Tensor> inputs,
            int i,
            double[] base,
            int[] shape,
            int j,
            double h,
            Function<List<Variable>, Variable> f,
            Tensor r) {
        List<Variable> vs = new ArrayList<>();
        for (int k = 0; k < inputs.size(); k++) {
            if (k == i) {
                double[] moved = base.clone();
                moved[j] += h;
                vs.add(Variable.constant(Tensor.of(moved, shape)));
            } else {
                vs.add(Variable.constant(inputs.get(k)));
            }
        }
        return f.apply(vs).value().mul(r).sum();
    }

    /** A seeded normal tensor of {@code shape}. */
    public static Tensor normal(long seed, int... shape) {
        return Tensor.random(seed).normal(shape);
    }

    /** A seeded tensor of {@code shape} with every element at least {@code margin} away from 0. */
    public static Tensor awayFromZero(long seed, double margin, int... shape) {
        return normal(seed, shape).map(x -> x >= 0 ? x + margin : x - margin);
    }

    /** A seeded tensor of {@code shape} uniform in [0.5, 2). */
    public static Tensor positive(long seed, int... shape) {
        return Tensor.random(seed).uniform(0.5, 2, shape);
    }
}
