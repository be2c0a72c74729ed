package dev.heed.viz;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The value range that the colour map spans, with the colour bar's ticks. Immutable. */
final class Scale {
    /** About this many ticks on the colour bar. */
    private static final int TICK_TARGET = 5;

    final double low;
    final double high;

    private Scale(double low, double high) {
        this.low = low;
        this.high = high;
    }

    /** {@code [low, high]}; the caller has checked that both are finite and {@code low < high}. */
    static Scale fixed(double low, double high) {
        return new Scale(low, high);
    }

    /**
     * The smallest and largest finite value of {@code values}; {@code [0, 1]} when none is finite;
     * widened around the value when all finite values are equal, so that they take the middle colour.
     */
    static Scale auto(double[] values) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            if (Double.isFinite(v)) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        if (min > max) {
            return new Scale(0, 1);
        }
        if (min == max) {
            double half = Math.max(1.0, Math.abs(min)) / 2;
            return new Scale(Math.max(-Double.MAX_VALUE, min - half), Math.min(Double.MAX_VALUE, max + half));
        }
        return new Scale(min, max);
    }

    /**
     * Where {@code v} falls in the range, clamped to [0, 1]: −∞ and values below the range give 0,
     * +∞ and values above give 1, NaN stays NaN.
     */
    double fraction(double v) {
        if (Double.isNaN(v)) {
            return Double.NaN;
        }
        double f = (v - low) / (high - low);
        if (Double.isInfinite(high - low) && Double.isFinite(v)) {
            f = (v / 2 - low / 2) / (high / 2 - low / 2); // a span past Double.MAX_VALUE
        }
        return Math.max(0, Math.min(1, f));
    }

    /** Round values (1, 2 or 5 times a power of ten apart) inside the range, ascending. */
    double[] ticks() {
        double step = step();
        List<Double> ticks = new ArrayList<>();
        double first = Math.ceil(low / step);
        double last = Math.floor(high / step);
        for (double k = first; k <= last && ticks.size() <= 4 * TICK_TARGET; k++) {
            double t = k * step;
            ticks.add(t == 0 ? 0.0 : t); // no -0
        }
        return ticks.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** A tick's label, with as many decimals as the tick step needs. */
    String label(double tick) {
        double step = step();
        double largest = Math.max(Math.abs(low), Math.abs(high));
        String s;
        if (step >= 1e-6 && largest < 1e7) {
            int decimals = (int) Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
            s = String.format(Locale.ROOT, "%." + decimals + "f", tick);
        } else {
            s = String.format(Locale.ROOT, "%.3g", tick);
        }
        return s.matches("-0(\\.0*)?") ? s.substring(1) : s;
    }

    private double step() {
        double raw = (high / TICK_TARGET - low / TICK_TARGET); // halves the overflow risk of (high - low)
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * magnitude >= raw * (1 - 1e-9)) {
                return m * magnitude;
            }
        }
        return 10 * magnitude;
    }
}
