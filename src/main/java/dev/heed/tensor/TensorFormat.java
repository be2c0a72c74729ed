package dev.heed.tensor;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * NumPy's {@code str(ndarray)} layout for {@link Tensor#toString()}: nested brackets, elements
 * padded to a common width, blank lines between 2-d blocks, and {@code ...} in place of the
 * middle of any axis longer than six when the tensor has more than {@value #THRESHOLD} elements.
 * Numbers follow NumPy's "maxprec" mode: at most eight fractional digits, fewer when fewer
 * represent the value, scientific notation when magnitudes span too much. An empty tensor that is
 * not 1-d also shows its shape, as NumPy's {@code repr} does: {@code [], shape=(0, 4)}.
 */
final class TensorFormat {
    private TensorFormat() {}

    static final int THRESHOLD = 1000;
    static final int EDGE_ITEMS = 3;
    static final int PRECISION = 8;
    static final int LINE_WIDTH = 75;

    static String format(Tensor t) {
        int[] shape = t.shape();
        boolean summarise = t.size() > THRESHOLD;
        if (shape.length == 0) {
            return scalar(t.item());
        }
        if (t.size() == 0) {
            return shape.length == 1 ? "[]" : "[], shape=" + tuple(shape);
        }
        List<Double> shown = new ArrayList<>();
        collect(t, summarise, shown);
        double[] values = new double[shown.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = shown.get(i);
        }
        Formatter f = new Formatter(values);
        StringBuilder sb = new StringBuilder();
        write(t, 0, summarise, f, sb, " ");
        return sb.toString();
    }

    /**
     * An empty array's shape as NumPy's {@code repr} shows it ({@code [], shape=(0, 4)}): {@code str} alone prints
     * {@code []} for every empty array and loses the shape, so Heed follows {@code repr} there.
     */
    private static String tuple(int[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int k = 0; k < shape.length; k++) {
            sb.append(k == 0 ? "" : ", ").append(shape[k]);
        }
        return sb.append(')').toString();
    }

    private static void collect(Tensor t, boolean summarise, List<Double> out) {
        if (t.rank() == 0) {
            out.add(t.item());
            return;
        }
        int n = t.shape(0);
        for (int i = 0; i < n; i++) {
            if (summarise && n > 2 * EDGE_ITEMS && i == EDGE_ITEMS) {
                i = n - EDGE_ITEMS - 1;
                continue;
            }
            collect(t.select(0, i), summarise, out);
        }
    }

    private static void write(Tensor t, int depth, boolean summarise, Formatter f, StringBuilder sb, String indent) {
        int n = t.shape(0);
        sb.append('[');
        if (t.rank() == 1) {
            int lineStart = sb.length() - depth - 1;
            for (int i = 0; i < n; i++) {
                String item;
                if (summarise && n > 2 * EDGE_ITEMS && i == EDGE_ITEMS) {
                    item = "...";
                    i = n - EDGE_ITEMS - 1;
                } else {
                    item = f.format(t.get(i));
                }
                if (i > 0 || item.equals("...")) {
                    // NumPy narrows the line by one column per enclosing bracket.
                    if (sb.length() - lineStart + 1 + item.length() + 1 > LINE_WIDTH - depth) {
                        while (sb.charAt(sb.length() - 1) == ' ') {
                            sb.setLength(sb.length() - 1); // a wrapped line loses its padding, as in NumPy
                        }
                        sb.append('\n').append(" ".repeat(depth + 1));
                        lineStart = sb.length() - depth - 1;
                    } else if (sb.charAt(sb.length() - 1) != '[') {
                        sb.append(' ');
                    }
                }
                sb.append(item);
            }
            sb.append(']');
            return;
        }
        String blank = "\n".repeat(Math.max(1, t.rank() - 1));
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(blank).append(" ".repeat(depth + 1));
            }
            if (summarise && n > 2 * EDGE_ITEMS && i == EDGE_ITEMS) {
                sb.append("...");
                i = n - EDGE_ITEMS - 1;
                continue;
            }
            write(t.select(0, i), depth + 1, summarise, f, sb, indent);
        }
        sb.append(']');
    }

    /**
     * A 0-d tensor prints as NumPy prints a float64 scalar (as Python's {@code repr}): shortest
     * round-trip digits, positional for {@code 1e-4 <= |v| < 1e16}, else scientific.
     */
    static String scalar(double v) {
        if (!Double.isFinite(v) || v == 0) {
            return Double.isNaN(v)
                    ? "nan"
                    : v == Double.POSITIVE_INFINITY
                            ? "inf"
                            : v == Double.NEGATIVE_INFINITY ? "-inf" : (negative(v) ? "-0.0" : "0.0");
        }
        String sign = v < 0 ? "-" : "";
        BigDecimal d = shortest(Math.abs(v));
        double a = Math.abs(v);
        if (a >= 1e-4 && a < 1e16) {
            String s = d.toPlainString();
            return sign + (s.indexOf('.') < 0 ? s + ".0" : s);
        }
        String digits = d.unscaledValue().toString();
        int exp = digits.length() - 1 - d.scale();
        return sign + digits.charAt(0) + (digits.length() > 1 ? "." + digits.substring(1) : "") + "e"
                + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }

    /**
     * The shortest decimal that reads back as {@code v}, the closest one on ties (Python's repr).
     * Not {@code Double.toString}: before JDK 19 it sometimes gives a digit more than needed.
     */
    private static BigDecimal shortest(double v) {
        BigDecimal exact = new BigDecimal(v);
        for (int digits = 1; digits < 17; digits++) {
            BigDecimal d = exact.round(new MathContext(digits, RoundingMode.HALF_EVEN));
            if (Double.parseDouble(d.toString()) == v) {
                return d.stripTrailingZeros();
            }
        }
        return exact.round(new MathContext(17, RoundingMode.HALF_EVEN)).stripTrailingZeros();
    }

    /** Whether the sign bit is set, so that -0.0 prints as "-0.". */
    private static boolean negative(double v) {
        return Double.doubleToRawLongBits(v) < 0;
    }

    /**
     * {@code |v|} rounded as NumPy's Dragon4 does in "unique" mode with a cutoff: the shortest
     * round-trip decimal when it fits, else the exact binary value rounded half-even.
     */
    private static BigDecimal round(double v, int scale, int significant) {
        BigDecimal shortest = shortest(Math.abs(v));
        boolean fits = significant > 0 ? shortest.precision() <= significant : shortest.scale() <= scale;
        if (fits) {
            return shortest;
        }
        BigDecimal exact = new BigDecimal(Math.abs(v));
        BigDecimal r = significant > 0
                ? exact.round(new MathContext(significant, RoundingMode.HALF_EVEN))
                : exact.setScale(scale, RoundingMode.HALF_EVEN);
        return r.stripTrailingZeros();
    }

    /** Picks one notation and width for all shown values, as NumPy's FloatingFormat does. */
    private static final class Formatter {
        private final boolean scientific;
        private final int intWidth;
        private final int fracWidth;
        private final int expWidth;

        Formatter(double[] values) {
            double maxAbs = 0;
            double minAbs = Double.POSITIVE_INFINITY;
            boolean anyFinite = false;
            for (double v : values) {
                if (Double.isFinite(v) && v != 0) {
                    anyFinite = true;
                    maxAbs = Math.max(maxAbs, Math.abs(v));
                    minAbs = Math.min(minAbs, Math.abs(v));
                }
            }
            scientific = anyFinite && (maxAbs >= 1e8 || minAbs < 1e-4 || maxAbs / minAbs > 1e3);
            int iw = 0;
            int fw = 0;
            int ew = 0;
            for (double v : values) {
                if (!Double.isFinite(v)) {
                    continue; // nan and inf are right-aligned within the finite values' width
                }
                String[] parts = scientific ? sci(v) : fixed(v);
                iw = Math.max(iw, parts[0].length());
                fw = Math.max(fw, parts[1].length());
                if (scientific) {
                    ew = Math.max(ew, parts[2].length());
                }
            }
            int minWidth = 0;
            for (double v : values) {
                if (!Double.isFinite(v)) {
                    minWidth = Math.max(minWidth, nonFinite(v).length());
                }
            }
            // Widen the integer part when "nan"/"-inf" are longer than every finite value.
            int finiteWidth = iw + 1 + fw + (scientific ? 1 + ew : 0);
            intWidth = iw + Math.max(0, minWidth - finiteWidth);
            fracWidth = fw;
            expWidth = ew;
        }

        String format(double v) {
            if (!Double.isFinite(v)) {
                String s = nonFinite(v);
                int width = intWidth + 1 + fracWidth + (scientific ? 1 + expWidth : 0);
                return " ".repeat(Math.max(0, width - s.length())) + s;
            }
            String[] parts = scientific ? sci(v) : fixed(v);
            StringBuilder sb = new StringBuilder();
            sb.append(" ".repeat(intWidth - parts[0].length()))
                    .append(parts[0])
                    .append('.')
                    .append(parts[1]);
            if (scientific) {
                // NumPy gives every mantissa the same digits and every exponent the same width.
                sb.append("0".repeat(fracWidth - parts[1].length()))
                        .append('e')
                        .append(parts[2].charAt(0))
                        .append("0".repeat(expWidth - parts[2].length()))
                        .append(parts[2], 1, parts[2].length());
            } else {
                sb.append(" ".repeat(fracWidth - parts[1].length()));
            }
            return sb.toString();
        }

        private static String nonFinite(double v) {
            return Double.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
        }

        /** Integer part and fractional digits of v rounded to at most PRECISION decimals, trailing zeros dropped. */
        private static String[] fixed(double v) {
            String s = round(v, PRECISION, 0).toPlainString();
            if (negative(v)) {
                s = "-" + s; // keeps the sign of -0.0, as NumPy does
            }
            int dot = s.indexOf('.');
            return dot < 0 ? new String[] {s, ""} : new String[] {s.substring(0, dot), s.substring(dot + 1)};
        }

        /** Mantissa integer digit (with sign), mantissa fraction, and signed exponent of at least two digits. */
        private static String[] sci(double v) {
            String sign = negative(v) ? "-" : "";
            if (v == 0) {
                return new String[] {sign + "0", "", "+00"};
            }
            BigDecimal d = round(v, 0, PRECISION + 1);
            String digits = d.unscaledValue().toString();
            int ev = digits.length() - 1 - d.scale();
            String es = (ev < 0 ? "-" : "+") + (Math.abs(ev) < 10 ? "0" : "") + Math.abs(ev);
            return new String[] {sign + digits.charAt(0), digits.substring(1), es};
        }
    }
}
