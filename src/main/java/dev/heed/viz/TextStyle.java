package dev.heed.viz;

import java.awt.Font;
import java.awt.font.FontRenderContext;
import java.awt.font.LineMetrics;

/**
 * A font size and weight, with its measurements. Text is set in the logical font
 * {@link Font#SANS_SERIF} (DejaVu Sans on Debian), measured with antialiasing and fractional
 * metrics — the same settings the PNG is drawn with — and the SVG names DejaVu Sans first so that
 * the layout holds there too. Measuring needs no display (no {@code Graphics}, no toolkit).
 */
final class TextStyle {
    /** Antialiased, fractional metrics, identity transform: as {@link PngCanvas} draws. */
    static final FontRenderContext CONTEXT = new FontRenderContext(null, true, true);

    /** The height of capital letters, as a fraction of the font size (DejaVu Sans: 0.73). */
    static final double CAP_HEIGHT = 0.72;

    final int size;
    final boolean bold;
    final Font font;
    final double ascent;
    final double descent;

    private TextStyle(int size, boolean bold) {
        this.size = size;
        this.bold = bold;
        this.font = new Font(Font.SANS_SERIF, bold ? Font.BOLD : Font.PLAIN, size);
        LineMetrics metrics = font.getLineMetrics("Ag", CONTEXT);
        this.ascent = metrics.getAscent();
        this.descent = metrics.getDescent();
    }

    static TextStyle plain(int size) {
        return new TextStyle(size, false);
    }

    static TextStyle bold(int size) {
        return new TextStyle(size, true);
    }

    /** The advance width of {@code text} in pixels. */
    double width(String text) {
        return text.isEmpty() ? 0 : font.getStringBounds(text, CONTEXT).getWidth();
    }

    /** The widest of {@code texts}, 0 for none. */
    double maxWidth(Iterable<String> texts) {
        double max = 0;
        for (String t : texts) {
            max = Math.max(max, width(t));
        }
        return max;
    }

    /** The baseline that centres capital letters vertically on {@code centreY}. */
    double baselineFor(double centreY) {
        return centreY + CAP_HEIGHT * size / 2;
    }

    /** The distance between baselines of stacked lines (labels closer than this touch). */
    double lineHeight() {
        return ascent + descent;
    }
}
