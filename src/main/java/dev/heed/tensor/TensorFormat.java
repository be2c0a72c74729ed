package dev.heed.tensor;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * NumPy's {@code str(ndarray)} layout for {@link Tensor#toString()}: nested brackets, elements
 * padded to a common width, blank lines between 2-d blocks, and {@code ...} in place of the
 * middle of any axis longer than six when the tensor has more than {@value #THRESHOLD} elements.
 * Numbers follow NumPy's "maxprec" mode: at most eight fractional digits, fewer when fewer
 * represent the value, scientific notation when magnitudes span too much.
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
            return new Formatter(new double[] {t.item()}).format(t.item()).trim();
        }
        if (t.size() == 0) {
            return "[]";
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
                    if (sb.length() - lineStart + 1 + item.length() + 1 > LINE_WIDTH) {
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
            sb.append(" ".repeat(intWidth - parts[0].length())).append(parts[0]).append('.').append(parts[1]);
            if (scientific) {
                sb.append('e').append(parts[2]);
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
            BigDecimal d = new BigDecimal(Double.toString(v)).setScale(PRECISION, java.math.RoundingMode.HALF_EVEN)
                    .stripTrailingZeros();
            String s = d.toPlainString();
            if (v < 0 && !s.startsWith("-")) {
                s = "-" + s; // keep the sign of a value that rounds to zero
            }
            int dot = s.indexOf('.');
            return dot < 0 ? new String[] {s, ""} : new String[] {s.substring(0, dot), s.substring(dot + 1)};
        }

        /** Mantissa integer digit, mantissa fraction, and signed two-digit exponent. */
        private static String[] sci(double v) {
            String s = String.format("%." + PRECISION + "e", v);
            int e = s.indexOf('e');
            String mant = s.substring(0, e);
            String exp = s.substring(e + 1);
            int dot = mant.indexOf('.');
            String frac = mant.substring(dot + 1).replaceAll("0+$", "");
            int ev = Integer.parseInt(exp);
            String es = (ev < 0 ? "-" : "+") + (Math.abs(ev) < 10 ? "0" : "") + Math.abs(ev);
            return new String[] {mant.substring(0, dot), frac, es};
        }
    }
}
