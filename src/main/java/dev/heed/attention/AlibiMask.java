package dev.heed.attention;

import dev.heed.internal.attention.MaskPlan;
import java.util.Arrays;

/** {@link Mask#alibi}: a distance bias per head, and the correctly rounded powers of two its slopes need. */
final class AlibiMask extends Mask {
    private final double[] slopes;

    AlibiMask(double[] slopes) {
        if (slopes == null || slopes.length == 0) {
            throw new IllegalArgumentException("alibi needs at least one slope");
        }
        for (double m : slopes) {
            if (!Double.isFinite(m)) {
                throw new IllegalArgumentException("alibi slopes must be finite, got " + Arrays.toString(slopes));
            }
        }
        this.slopes = slopes.clone();
    }

    @Override
    MaskPlan bind(int[] scoresShape) {
        int rank = scoresShape.length;
        int queries = scoresShape[rank - 2];
        int keys = scoresShape[rank - 1];
        int heads = rank >= 3 ? scoresShape[rank - 3] : 1;
        if (slopes.length != 1 && slopes.length != heads) {
            throw new IllegalArgumentException("alibi has " + slopes.length + " slopes but the scores "
                    + Arrays.toString(scoresShape) + " have " + heads + " head(s) on axis -3 (give one slope "
                    + "per head, or one for all)");
        }
        double[] m = slopes;
        long shift = (long) keys - queries;
        return new MaskPlan(keys) {
            @Override
            public int keyEnd(int batch, int row) {
                return keys;
            }

            @Override
            public boolean isElementwise() {
                return true;
            }

            @Override
            public void apply(int batch, int row, int j0, int j1, double[] scores, int offset, int stride) {
                // Batch elements are row-major over the batch axes, and the head axis is the last of them.
                double slope = m.length == 1 ? m[0] : m[batch % heads];
                long p = row + shift;
                for (int j = j0; j < j1; j++) {
                    int at = offset + (j - j0) * stride;
                    scores[at] += -slope * Math.abs(p - j);
                }
            }
        };
    }

    @Override
    public String toString() {
        return "Mask.alibi(" + Arrays.toString(slopes) + ")";
    }

    /**
     * {@code 2^(num/den)} correctly rounded, for {@code den} a power of two: the fractional part
     * as a 40-digit root of 2 ({@code den}'s halvings, each a square root) raised to its numerator,
     * then one rounding. {@code StrictMath.pow(2, -0.5)} is an ulp off, hence not that.
     */
    static double powerOfTwo(long num, long den) {
        while (den > 1 && num % 2 == 0) {
            num /= 2;
            den /= 2;
        }
        long whole = Math.floorDiv(num, den);
        long frac = num - whole * den;
        java.math.MathContext mc = new java.math.MathContext(40);
        java.math.BigDecimal root = java.math.BigDecimal.valueOf(2);
        for (long d = den; d > 1; d /= 2) {
            root = root.sqrt(mc);
        }
        // Double.parseDouble rounds correctly (BigDecimal.doubleValue did not always, before JDK 19).
        double fraction = Double.parseDouble(root.pow((int) frac, mc).toString());
        return Math.scalb(fraction, (int) whole);
    }
}
