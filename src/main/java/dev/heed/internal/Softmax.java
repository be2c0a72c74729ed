package dev.heed.internal;

import dev.heed.internal.vector.KernelSupport;
import java.util.Arrays;

/**
 * The row softmax every part of Heed uses — {@code Tensor.softmax}, the attention kernels and
 * attention over given scores — built from the {@link KernelSupport} loops {@code max},
 * {@code expShiftSum} and {@code scale}. Not API: arguments are assumed valid.
 *
 * <p>Stable: the row maximum {@code m} is subtracted before exponentiating, so logits of ±1e6
 * give exact, finite weights, and the log-sum-exp is {@code m + log Σ exp(x − m)}. Edges:
 * <ul>
 *   <li>an empty row, or one whose entries are all {@code -inf} (nothing to attend to), becomes
 *       zeros and has log-sum-exp {@code -inf} — never NaN;</li>
 *   <li>a NaN anywhere makes the whole row and its log-sum-exp NaN;</li>
 *   <li>a {@code +inf} makes them NaN too ({@code exp(inf − inf)}), as IEEE arithmetic does;</li>
 *   <li>otherwise a {@code -inf} entry gets weight exactly 0.</li>
 * </ul>
 *
 * <p>The result is bitwise a function of the row and the support: the scalar support gives the
 * same bits as the obvious loop with {@link Math#exp}.
 */
public final class Softmax {
    private Softmax() {}

    private static final long NEGATIVE_ZERO = Double.doubleToRawLongBits(-0.0);

    /**
     * Replaces {@code x[off, off+n)} by its softmax.
     *
     * @param s   the inner loops
     * @param x   modified: the row, replaced by its weights
     * @param off where the row starts
     * @param n   its length, {@code >= 0}
     * @return {@code log Σ exp(x)} of the row as it was: {@code -inf} for an empty or all
     *         {@code -inf} row, NaN for a row holding NaN or {@code +inf}
     */
    public static double inPlace(KernelSupport s, double[] x, int off, int n) {
        double m = s.max(x, off, n);
        if (m == Double.NEGATIVE_INFINITY) {
            Arrays.fill(x, off, off + n, 0.0);
            return Double.NEGATIVE_INFINITY;
        }
        double sum = s.expShiftSum(x, off, n, m);
        s.scale(x, off, n, 1.0 / sum);
        return m + Math.log(sum);
    }

    /**
     * {@link #inPlace} that also tells a <em>blocked</em> entry (one that was {@code -inf}) from an
     * allowed one whose weight underflowed to {@code +0.0}: in a row with finite mass, each blocked
     * entry becomes {@code -0.0}, a marker (see {@link #isBlocked}) for kernels that must skip a
     * blocked key's value entirely ({@code 0 · inf} would be NaN) yet let an underflowed weight meet
     * its value as IEEE says. The caller clears the markers to {@code +0.0} once used. An all
     * {@code -inf} row becomes {@code +0.0}s; in a NaN row every entry is NaN.
     *
     * @param s   the inner loops
     * @param x   modified: the row, replaced by its weights with blocked entries {@code -0.0}
     * @param off where the row starts
     * @param n   its length, {@code >= 0}
     * @return {@code log Σ exp(x)}, as {@link #inPlace} returns it
     */
    public static double inPlaceMarkingBlocked(KernelSupport s, double[] x, int off, int n) {
        double m = s.max(x, off, n);
        if (m == Double.NEGATIVE_INFINITY) {
            Arrays.fill(x, off, off + n, 0.0);
            return Double.NEGATIVE_INFINITY;
        }
        // Exponentiate each run between blocked entries and write the marker between runs: a row
        // with nothing blocked is a single call, as in inPlace.
        double sum = 0;
        int end = off + n;
        for (int j = off; j < end; ) {
            if (x[j] == Double.NEGATIVE_INFINITY) {
                x[j++] = -0.0;
                continue;
            }
            int start = j;
            while (j < end && x[j] != Double.NEGATIVE_INFINITY) {
                j++;
            }
            sum += s.expShiftSum(x, start, j - start, m);
        }
        // -0.0 · (1/sum) stays -0.0 for a positive finite sum; a NaN sum turns every entry NaN.
        s.scale(x, off, n, 1.0 / sum);
        return m + Math.log(sum);
    }

    /**
     * @param weight an entry written by {@link #inPlaceMarkingBlocked}
     * @return whether it marks a blocked entry ({@code -0.0}), as opposed to a weight that is
     *         {@code +0.0} because it underflowed
     */
    public static boolean isBlocked(double weight) {
        return Double.doubleToRawLongBits(weight) == NEGATIVE_ZERO;
    }
}
