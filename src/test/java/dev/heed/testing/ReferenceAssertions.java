package dev.heed.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Element-wise comparison of a Heed tensor against a reference fixture, through the public
 * contract only ({@code shape()} and {@code toArray()}).
 *
 * <p>Per element: an infinite expected value must be matched exactly (same sign); a finite one
 * must satisfy {@code |actual - expected| <= abs + rel * |expected|}; NaN is never accepted unless
 * the reference itself is NaN. On failure the message names the case, the quantity, the flat and
 * multi-dimensional index and both values (up to {@value #MAX_REPORTED} mismatches).
 */
public final class ReferenceAssertions {

    public static final double ABS = 1e-9;
    public static final double REL = 1e-9;
    private static final int MAX_REPORTED = 12;

    private ReferenceAssertions() {}

    /** Checks shape and values with the default tolerance (1e-9 absolute + 1e-9 relative). */
    public static void assertMatches(String context, Fixtures.TensorData expected, Tensor actual) {
        assertMatches(context, expected, actual, ABS, REL);
    }

    public static void assertMatches(
            String context, Fixtures.TensorData expected, Tensor actual, double abs, double rel) {
        assertMatches(context, expected.data(), expected.shape(), actual, abs, rel);
    }

    public static void assertMatches(
            String context, double[] expected, int[] expectedShape, Tensor actual, double abs, double rel) {
        assertThat(actual).as("%s: result tensor", context).isNotNull();
        assertThat(actual.shape()).as("%s: shape", context).containsExactly(expectedShape);
        double[] values = actual.toArray();
        assertThat(values)
                .as("%s: toArray() length for shape %s", context, Arrays.toString(expectedShape))
                .hasSize(expected.length);
        List<String> problems = new ArrayList<>();
        int mismatches = 0;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = values[i];
            boolean ok;
            if (Double.isNaN(e)) {
                ok = Double.isNaN(a);
            } else if (Double.isInfinite(e)) {
                ok = a == e;
            } else {
                ok = !Double.isNaN(a) && !Double.isInfinite(a) && Math.abs(a - e) <= abs + rel * Math.abs(e);
                if (Double.isFinite(a)) {
                    worst = Math.max(worst, Math.abs(a - e));
                }
            }
            if (!ok) {
                mismatches++;
                if (problems.size() < MAX_REPORTED) {
                    problems.add(String.format(
                            "[%d] %s expected %s but was %s (diff %s)",
                            i, Arrays.toString(unravel(i, expectedShape)), repr(e), repr(a), repr(a - e)));
                }
            }
        }
        assertThat(problems)
                .as(
                        "%s: %d of %d elements outside %s abs + %s rel (max finite |diff| %s); first mismatches",
                        context, mismatches, expected.length, abs, rel, worst)
                .isEmpty();
    }

    /** No element of the tensor is NaN. */
    public static void assertNoNaN(String context, Tensor actual) {
        assertThat(actual).as("%s: result tensor", context).isNotNull();
        double[] values = actual.toArray();
        for (int i = 0; i < values.length; i++) {
            if (Double.isNaN(values[i])) {
                assertThat(values[i])
                        .as(
                                "%s: element [%d] %s of shape %s is NaN",
                                context,
                                i,
                                Arrays.toString(unravel(i, actual.shape())),
                                Arrays.toString(actual.shape()))
                        .isNotNaN();
            }
        }
    }

    /** The array still holds exactly the values it held before (inputs are not modified). */
    public static void assertUnchanged(String context, double[] before, double[] after) {
        if (!Arrays.equals(before, after)) {
            int i = Arrays.mismatch(before, after);
            assertThat(after[i])
                    .as("%s: input modified at [%d] (was %s)", context, i, repr(before[i]))
                    .isEqualTo(before[i]);
        }
    }

    static int[] unravel(int flat, int[] shape) {
        int[] index = new int[shape.length];
        for (int k = shape.length - 1; k >= 0; k--) {
            if (shape[k] == 0) {
                return index;
            }
            index[k] = flat % shape[k];
            flat /= shape[k];
        }
        return index;
    }

    private static String repr(double x) {
        return Double.toString(x);
    }
}
