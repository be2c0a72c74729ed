package dev.heed.viz;

import java.util.ArrayList;
import java.util.List;

/**
 * The labels of one axis, as {@link Layout} places them: cleaned and cut, measured in the largest
 * font that fits their cells, and thinned to every {@link #stride}-th label when even the smallest
 * font does not fit. Immutable.
 */
final class AxisLabels {
    private final List<String> full;
    private final String[] texts;
    /** The pixels from one label's centre to the next, along the axis. */
    final double pitch;

    final TextStyle style;
    private final double[] widths;
    /** Every how many labels one is drawn (1: all). */
    final int stride;

    /** Measures the labels in {@code style}; {@code needed} gives the room a label needs for a style. */
    private AxisLabels(List<String> labels, double pitch, TextStyle style, double spacing, Room needed) {
        this.full = labels;
        this.pitch = pitch;
        this.style = style;
        this.texts = new String[labels.size()];
        this.widths = new double[texts.length];
        for (int i = 0; i < texts.length; i++) {
            texts[i] = LabelText.clean(labels.get(i), LabelText.MAX_LABEL_CHARS);
            widths[i] = style.width(texts[i]);
        }
        double room = needed.of(style, max(widths)) / pitch;
        this.stride = room <= 1 ? 1 : niceStride(room * spacing);
    }

    /** The pixels along the axis that one label takes in a style, given the widest label. */
    private interface Room {
        double of(TextStyle style, double widest);
    }

    /** Rows stack vertically: each label needs a line. */
    static AxisLabels rows(List<String> labels, double pitch, boolean numbered) {
        return fitted(labels, pitch, numbered, (style, widest) -> style.size * Layout.LINE_SPACING);
    }

    /** Level column labels need their width and a small gap. */
    static AxisLabels horizontalColumns(List<String> labels, double pitch, boolean numbered) {
        return fitted(labels, pitch, numbered, (style, widest) -> widest + 6);
    }

    /** Labels at 45° are a line apart across the slant: pitch · sin 45° ≥ line. */
    static AxisLabels rotatedColumns(List<String> labels, double pitch) {
        return fitted(labels, pitch, false, (style, widest) -> style.size * Layout.LINE_SPACING / Layout.DIAGONAL);
    }

    /**
     * The largest font from 12 px down in which every label fits its cell; if none does, the
     * smallest font with every n-th label (index labels: at least 10 px and more room, since a
     * wall of numbers says nothing that a few do not).
     */
    private static AxisLabels fitted(List<String> labels, double pitch, boolean numbered, Room needed) {
        int smallest = numbered ? Layout.MIN_INDEX_FONT : Layout.MIN_LABEL_FONT;
        double spacing = numbered ? Layout.INDEX_SPACING : 1;
        AxisLabels axis = null;
        for (int size = Layout.MAX_LABEL_FONT; size >= smallest; size--) {
            axis = new AxisLabels(labels, pitch, TextStyle.plain(size), spacing, needed);
            if (axis.stride == 1) {
                break;
            }
        }
        return axis;
    }

    private static double max(double[] values) {
        double max = 0;
        for (double v : values) {
            max = Math.max(max, v);
        }
        return max;
    }

    /** The indices of the labels drawn: every {@code stride}-th from 0. */
    List<Integer> shown() {
        List<Integer> shown = new ArrayList<>();
        for (int i = 0; i < texts.length; i += stride) {
            shown.add(i);
        }
        return shown;
    }

    /** The widest label drawn, in pixels. */
    double maxShownWidth() {
        double max = 0;
        for (int i = 0; i < texts.length; i += stride) {
            max = Math.max(max, widths[i]);
        }
        return max;
    }

    /** Label {@code i} as drawn: cleaned and cut. */
    String label(int i) {
        return texts[i];
    }

    /** The width of {@link #label(int) label} {@code i} in pixels. */
    double width(int i) {
        return widths[i];
    }

    /** Label {@code i} cleaned but not cut, for a tooltip. */
    String fullLabel(int i) {
        return LabelText.clean(full.get(i), Integer.MAX_VALUE);
    }

    /** The smallest of 1, 2, 5, 10, 20, 50, … that is at least {@code needed}. */
    private static int niceStride(double needed) {
        if (!(needed < Integer.MAX_VALUE / 10)) {
            return Integer.MAX_VALUE; // one label at most
        }
        long stride = 1;
        while (stride < needed) {
            long next = stride * 2;
            if (next >= needed) {
                return (int) next;
            }
            next = stride * 5;
            if (next >= needed) {
                return (int) next;
            }
            stride *= 10;
        }
        return (int) Math.min(stride, Integer.MAX_VALUE);
    }
}
