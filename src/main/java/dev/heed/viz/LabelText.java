package dev.heed.viz;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The text a chart draws, made safe and short: labels and titles cleaned of what cannot be drawn
 * or put in XML, and numbers written compactly for cells and tooltips.
 */
final class LabelText {
    /** Labels are cut to this many characters (with an ellipsis); a tooltip keeps the whole label. */
    static final int MAX_LABEL_CHARS = 24;

    static final int MAX_TITLE_CHARS = 120;

    private LabelText() {}

    /**
     * {@code text} made safe to draw and to put in XML: control characters become spaces, lone
     * surrogates and non-characters U+FFFD; cut to {@code maxChars} code points with an ellipsis.
     */
    static String clean(String text, int maxChars) {
        StringBuilder s = new StringBuilder();
        int[] codePoints = text.codePoints().toArray();
        for (int k = 0; k < codePoints.length; k++) {
            if (k == maxChars - 1 && codePoints.length > maxChars) {
                return s.append('…').toString();
            }
            int cp = codePoints[k];
            if (Character.isISOControl(cp)) {
                s.append(' ');
            } else if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE || cp == 0xFFFE || cp == 0xFFFF) {
                s.append('\uFFFD');
            } else {
                s.appendCodePoint(cp);
            }
        }
        return s.toString();
    }

    /** The axis labels as given, or the indices 0 … n−1 when none were. */
    static List<String> orIndices(List<String> given, int count) {
        if (given != null) {
            return given;
        }
        List<String> indices = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            indices.add(Integer.toString(i));
        }
        return indices;
    }

    /** {@code v} to four significant digits without trailing zeros: 1, 0.25, 0.3333, 1.235e-05. */
    static String fourDigits(double v) {
        if (!Double.isFinite(v)) {
            return Double.isNaN(v) ? "NaN" : v > 0 ? "inf" : "-inf";
        }
        String s = String.format(Locale.ROOT, "%.4g", v);
        int exponent = s.indexOf('e');
        String mantissa = exponent < 0 ? s : s.substring(0, exponent);
        if (mantissa.contains(".")) {
            mantissa = mantissa.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        s = mantissa + (exponent < 0 ? "" : s.substring(exponent));
        return s.equals("-0") ? "0" : s;
    }

    /** A cell's value with {@code decimals} decimals and no "-0"; NaN and ±∞ as {@link #fourDigits}. */
    static String annotation(double v, int decimals) {
        if (!Double.isFinite(v)) {
            return fourDigits(v);
        }
        String s = String.format(Locale.ROOT, "%." + decimals + "f", v);
        return s.matches("-0(\\.0*)?") ? s.substring(1) : s;
    }
}
