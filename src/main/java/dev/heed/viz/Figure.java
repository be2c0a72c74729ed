package dev.heed.viz;

import dev.heed.viz.Canvas.Anchor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * The layout of a chart — one or more heatmap panels of the same shape, labels, a title and a
 * colour bar — computed once in pixels and then painted on any {@link Canvas}, so the PNG and the
 * SVG agree to the pixel.
 *
 * <p>Sizes adapt to the map: cells are square when they can be, {@link #MAX_CELL} pixels at most;
 * a panel's grid aims at {@link #SINGLE_TARGET} pixels (shared out among the panels of a row in a
 * grid); an axis longer than the grid cap is shown in blocks of cells, each pixel the maximum of
 * its block, so a sharp pattern (a diagonal) stays visible. Token labels shrink from 12 to 8 px to
 * fit their cells, then thin out to every 2nd, 5th, 10th, … label; column labels turn 45° when
 * that shows more of them. Index labels (no tokens given) stay level and thin out sooner.
 */
final class Figure {
    static final int PAD = 12;
    /** The largest cell: a 1×1 or 5×5 map is drawn at 48 px a cell, not blown up to fill the page. */
    static final int MAX_CELL = 48;
    /** An axis shorter than this is stretched (non-square cells) so that a 1×200 map is not a 1-px line. */
    static final int MIN_EXTENT = 120;
    /** What a single map's grid aims at: 600 px, 1 px a cell for 512 keys. */
    static final int SINGLE_TARGET = 600;
    /** Past this many cells an axis of a single map is shown in blocks (its grid stays ≤ 768 px). */
    static final int SINGLE_MAX_GRID = 768;
    /** What the grids of one row of panels aim at together; each panel's grid is also its cap. */
    static final int ROW_TARGET = 720;
    static final int MIN_PANEL_GRID = 128;
    static final int TICK = 3;
    static final int GAP = 3;
    static final int PANEL_GAP = 20;
    static final int BAR_GAP = 16;
    static final int BAR_WIDTH = 14;
    static final int MIN_BAR = 120;
    static final int MIN_LABEL_FONT = 8;
    static final int MAX_LABEL_FONT = 12;
    static final int MIN_ANNOTATION_FONT = 7;
    /** Labels are cut to this many characters (with an ellipsis); a tooltip keeps the whole label. */
    static final int MAX_LABEL_CHARS = 24;
    static final int MAX_TITLE_CHARS = 120;
    /**
     * Index labels (0, 50, 100, …), once thinned out, get this many times the room, and at least
     * a {@link #MIN_INDEX_FONT} font: every token label carries information and is packed as
     * tight as legible, but a wall of numbers is noise.
     */
    static final double INDEX_SPACING = 2.5;
    static final int MIN_INDEX_FONT = 10;
    /** Baseline distance over font size below which stacked labels collide. */
    static final double LINE_SPACING = 1.15;
    static final double DIAGONAL = Math.sqrt(0.5);
    static final int INK = 0x000000;
    static final int AXIS = 0x404040;
    static final int BACKGROUND = 0xFFFFFF;
    static final TextStyle TITLE = TextStyle.bold(15);
    static final TextStyle PANEL_TITLE = TextStyle.bold(12);
    static final TextStyle TICK_LABEL = TextStyle.plain(11);

    /** What to draw; the chart has validated it. */
    record Spec(double[][] panels, int rows, int columns, List<String> rowLabels, List<String> columnLabels,
                String title, List<String> panelTitles, int panelsPerRow, Scale scale, int decimals,
                ColorMap map) {}

    private final Spec spec;
    final int width;
    final int height;
    // cells
    final int rowBlock;
    final int columnBlock;
    final int shownRows;
    final int shownColumns;
    final int cellWidth;
    final int cellHeight;
    final int gridWidth;
    final int gridHeight;
    // labels
    private final Axis rowAxis;
    private final Axis columnAxis;
    private final boolean columnsRotated;
    private final TextStyle annotationStyle;
    // panels
    final int panelsPerRow;
    final int panelWidth;
    final int panelHeight;
    final int gridLeft;
    final int gridTop;
    private final int titleBand;
    // colour bar
    final int barX;
    final int barY;
    final int barHeight;
    private final double[] ticks;

    Figure(Spec spec) {
        this.spec = spec;
        int panels = spec.panels.length;
        panelsPerRow = Math.min(spec.panelsPerRow, panels);
        int panelRows = ceilDiv(panels, panelsPerRow);
        int target = panels == 1 ? SINGLE_TARGET : Math.max(MIN_PANEL_GRID, ROW_TARGET / panelsPerRow);
        int maxGrid = panels == 1 ? SINGLE_MAX_GRID : target;

        rowBlock = ceilDiv(spec.rows, maxGrid);
        columnBlock = ceilDiv(spec.columns, maxGrid);
        shownRows = ceilDiv(spec.rows, rowBlock);
        shownColumns = ceilDiv(spec.columns, columnBlock);
        int cell = Math.max(1, Math.min(MAX_CELL, target / Math.max(shownRows, shownColumns)));
        cellWidth = stretch(cell, shownColumns);
        cellHeight = stretch(cell, shownRows);
        gridWidth = shownColumns * cellWidth;
        gridHeight = shownRows * cellHeight;

        double rowPitch = (double) cellHeight / rowBlock;
        double columnPitch = (double) cellWidth / columnBlock;
        boolean rowsNumbered = spec.rowLabels == null;
        boolean columnsNumbered = spec.columnLabels == null;
        rowAxis = Axis.rows(labels(spec.rowLabels, spec.rows), rowPitch, rowsNumbered);
        Axis horizontal = Axis.horizontalColumns(labels(spec.columnLabels, spec.columns), columnPitch, columnsNumbered);
        Axis rotated = Axis.rotatedColumns(labels(spec.columnLabels, spec.columns), columnPitch);
        columnsRotated = !columnsNumbered && horizontal.stride > rotated.stride;
        columnAxis = columnsRotated ? rotated : horizontal;
        annotationStyle = spec.decimals >= 0 && rowBlock == 1 && columnBlock == 1 ? annotationStyle() : null;

        // a panel: [title] above the grid, row labels left, column labels below
        int panelTitleBand = spec.panelTitles == null ? 0 : (int) Math.ceil(PANEL_TITLE.lineHeight()) + 4;
        double rowOverhang = Math.max(0, rowAxis.style.size * 0.6 - rowPitch / 2);
        double columnLeft = 0;
        double columnRight = 0;
        double columnBand;
        if (columnsRotated) {
            double down = 0;
            for (int j : columnAxis.shown()) {
                double w = columnAxis.width(j);
                columnLeft = Math.max(columnLeft, w * DIAGONAL - (j + 0.5) * columnPitch);
                down = Math.max(down, (w + columnAxis.style.size) * DIAGONAL);
            }
            columnRight = columnAxis.style.size * DIAGONAL;
            columnBand = TICK + GAP + down;
        } else {
            for (int j : columnAxis.shown()) {
                double half = columnAxis.width(j) / 2;
                columnLeft = Math.max(columnLeft, half - (j + 0.5) * columnPitch);
                columnRight = Math.max(columnRight, half - (spec.columns - j - 0.5) * columnPitch);
            }
            columnBand = TICK + GAP + columnAxis.style.lineHeight();
        }
        double rowBand = TICK + GAP + rowAxis.maxShownWidth();
        gridLeft = 1 + (int) Math.ceil(Math.max(rowBand, columnLeft));
        double tickOverhang = TICK_LABEL.size * TextStyle.CAP_HEIGHT / 2 + 1; // the colour bar's top label
        gridTop = 1 + panelTitleBand + (int) Math.ceil(Math.max(rowOverhang, tickOverhang));
        int right = 1 + (int) Math.ceil(columnRight);
        int bottom = 1 + (int) Math.ceil(Math.max(columnBand, rowOverhang));
        panelWidth = Math.max(gridLeft + gridWidth + right,
                spec.panelTitles == null ? 0 : (int) Math.ceil(panelTitleWidth()));
        panelHeight = gridTop + gridHeight + bottom;

        // the figure: title, panels in rows, colour bar on the right
        titleBand = spec.title == null ? 0 : (int) Math.ceil(TITLE.lineHeight()) + 8;
        int panelsWidth = panelsPerRow * panelWidth + (panelsPerRow - 1) * PANEL_GAP;
        int panelsHeight = panelRows * panelHeight + (panelRows - 1) * PANEL_GAP;
        barX = PAD + panelsWidth + BAR_GAP;
        barY = PAD + titleBand + gridTop;
        barHeight = Math.max(MIN_BAR, (panelRows - 1) * (panelHeight + PANEL_GAP) + gridHeight);
        ticks = spec.scale.ticks();
        double tickWidth = 0;
        for (double t : ticks) {
            tickWidth = Math.max(tickWidth, TICK_LABEL.width(spec.scale.label(t)));
        }
        int contentWidth = barX + BAR_WIDTH + TICK + GAP + (int) Math.ceil(tickWidth) + PAD;
        int titleWidth = spec.title == null ? 0 : (int) Math.ceil(TITLE.width(spec.title)) + 2 * PAD;
        width = Math.max(contentWidth, titleWidth);
        height = Math.max(PAD + titleBand + panelsHeight, barY + barHeight + TICK_LABEL.size) + PAD;
    }

    private static int stretch(int cell, int count) {
        return count * cell >= MIN_EXTENT ? cell : Math.max(cell, Math.min(MAX_CELL, ceilDiv(MIN_EXTENT, count)));
    }

    private double panelTitleWidth() {
        return PANEL_TITLE.maxWidth(spec.panelTitles);
    }

    /** The largest font from 12 px down to 7 px in which every cell's value fits its cell, or null. */
    private TextStyle annotationStyle() {
        String widest = "";
        for (double[] panel : spec.panels) {
            for (double v : panel) {
                String s = annotation(v);
                if (s.length() > widest.length()) {
                    widest = s;
                }
            }
        }
        for (int size = Math.min(MAX_LABEL_FONT, cellHeight - 2); size >= MIN_ANNOTATION_FONT; size--) {
            TextStyle style = TextStyle.plain(size);
            if (style.width(widest) + 4 <= cellWidth && size * LINE_SPACING <= cellHeight) {
                return style;
            }
        }
        return null;
    }

    private String annotation(double v) {
        if (!Double.isFinite(v)) {
            return fourDigits(v);
        }
        String s = String.format(Locale.ROOT, "%." + spec.decimals + "f", v);
        return s.matches("-0(\\.0*)?") ? s.substring(1) : s;
    }

    /** Every how many rows a label is drawn (1: all). */
    int rowStride() {
        return rowAxis.stride;
    }

    /** Every how many columns a label is drawn (1: all). */
    int columnStride() {
        return columnAxis.stride;
    }

    /** Whether column labels are turned 45°. */
    boolean columnsRotated() {
        return columnsRotated;
    }

    /** The row labels' font size in pixels. */
    int rowFontSize() {
        return rowAxis.style.size;
    }

    /** Whether values are written in the cells. */
    boolean annotated() {
        return annotationStyle != null;
    }

    // ------------------------------------------------------------------ painting

    /** Where panel {@code k} starts. */
    int panelX(int k) {
        return PAD + (k % panelsPerRow) * (panelWidth + PANEL_GAP);
    }

    int panelY(int k) {
        return PAD + titleBand + (k / panelsPerRow) * (panelHeight + PANEL_GAP);
    }

    void paint(Canvas canvas) {
        canvas.fill(0, 0, width, height, BACKGROUND);
        if (spec.title != null) {
            canvas.text(spec.title, width / 2.0, PAD + TITLE.ascent, TITLE, Anchor.MIDDLE, false, INK);
        }
        for (int k = 0; k < spec.panels.length; k++) {
            paintPanel(canvas, k);
        }
        canvas.fill(barX - 1, barY - 1, BAR_WIDTH + 2, barHeight + 2, AXIS);
        canvas.colorBar(barX, barY, BAR_WIDTH, barHeight, spec.map);
        for (double t : ticks) {
            double y = barY + barHeight * (1 - spec.scale.fraction(t));
            int yi = Math.min(barY + barHeight - 1, (int) Math.floor(y));
            canvas.fill(barX + BAR_WIDTH + 1, yi, TICK, 1, AXIS);
            canvas.text(spec.scale.label(t), barX + BAR_WIDTH + 1 + TICK + GAP, TICK_LABEL.baselineFor(yi + 0.5),
                    TICK_LABEL, Anchor.START, false, INK);
        }
    }

    private void paintPanel(Canvas canvas, int k) {
        int x = panelX(k) + gridLeft;
        int y = panelY(k) + gridTop;
        if (spec.panelTitles != null) {
            canvas.text(spec.panelTitles.get(k), x + gridWidth / 2.0, panelY(k) + PANEL_TITLE.ascent, PANEL_TITLE,
                    Anchor.MIDDLE, false, INK);
        }
        double[] shown = shownValues(spec.panels[k]);
        int[] rgb = new int[shown.length];
        for (int c = 0; c < shown.length; c++) {
            rgb[c] = spec.map.rgb(spec.scale.fraction(shown[c]));
        }
        canvas.fill(x - 1, y - 1, gridWidth + 2, gridHeight + 2, AXIS);
        canvas.cells(x, y, cellWidth, cellHeight, shownRows, shownColumns, rgb, tooltips(shown));

        for (int i : rowAxis.shown()) {
            double centre = y + (i + 0.5) * rowAxis.pitch;
            canvas.fill(x - 1 - TICK, (int) Math.floor(centre), TICK, 1, AXIS);
            canvas.text(rowAxis.label(i), x - 1 - TICK - GAP, rowAxis.style.baselineFor(centre), rowAxis.style,
                    Anchor.END, false, INK);
        }
        int below = y + gridHeight + 1;
        for (int j : columnAxis.shown()) {
            double centre = x + (j + 0.5) * columnAxis.pitch;
            canvas.fill((int) Math.floor(centre), below, 1, TICK, AXIS);
            TextStyle style = columnAxis.style;
            if (columnsRotated) {
                double shift = TextStyle.CAP_HEIGHT * style.size / 2 * DIAGONAL; // centres the letters on the tick
                canvas.text(columnAxis.label(j), centre + shift, below + TICK + GAP + shift, style, Anchor.END, true,
                        INK);
            } else {
                canvas.text(columnAxis.label(j), centre, below + TICK + GAP + style.ascent, style, Anchor.MIDDLE,
                        false, INK);
            }
        }
        if (annotationStyle != null) {
            for (int c = 0; c < shown.length; c++) {
                double cx = x + (c % shownColumns + 0.5) * cellWidth;
                double cy = y + (c / shownColumns + 0.5) * cellHeight;
                canvas.text(annotation(shown[c]), cx, annotationStyle.baselineFor(cy), annotationStyle, Anchor.MIDDLE,
                        false, luminance(rgb[c]) > 140 ? INK : BACKGROUND);
            }
        }
    }

    /** Hover texts for the SVG's cells: "query → key: weight"; none when cells are blocks. */
    private IntFunction<String> tooltips(double[] shown) {
        if (rowBlock > 1 || columnBlock > 1) {
            return null;
        }
        return c -> rowAxis.fullLabel(c / shownColumns) + " → " + columnAxis.fullLabel(c % shownColumns) + ": "
                + fourDigits(shown[c]);
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

    /** The panel's values as drawn: each the maximum of its block of cells, NaN only if all are. */
    double[] shownValues(double[] values) {
        if (rowBlock == 1 && columnBlock == 1) {
            return values;
        }
        double[] shown = new double[shownRows * shownColumns];
        Arrays.fill(shown, Double.NaN);
        for (int i = 0; i < spec.rows; i++) {
            for (int j = 0; j < spec.columns; j++) {
                double v = values[i * spec.columns + j];
                int c = (i / rowBlock) * shownColumns + j / columnBlock;
                if (!Double.isNaN(v) && !(shown[c] >= v)) {
                    shown[c] = v;
                }
            }
        }
        return shown;
    }

    private static int luminance(int rgb) {
        return (int) (0.2126 * (rgb >> 16 & 0xFF) + 0.7152 * (rgb >> 8 & 0xFF) + 0.0722 * (rgb & 0xFF));
    }

    // ------------------------------------------------------------------ labels

    /** The axis labels as given, or the indices 0 … n−1 when none were. */
    private static List<String> labels(List<String> given, int count) {
        if (given != null) {
            return given;
        }
        List<String> indices = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            indices.add(Integer.toString(i));
        }
        return indices;
    }

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

    /** The labels of one axis, their font, and which of them are drawn. */
    private static final class Axis {
        final List<String> full;
        final String[] texts;
        final double pitch;
        final TextStyle style;
        final double[] widths;
        final int stride;

        /** Measures the labels in {@code style}; {@code needed} gives the room a label needs for a style. */
        private Axis(List<String> labels, double pitch, TextStyle style, double spacing, Room needed) {
            this.full = labels;
            this.pitch = pitch;
            this.style = style;
            this.texts = new String[labels.size()];
            this.widths = new double[texts.length];
            for (int i = 0; i < texts.length; i++) {
                texts[i] = clean(labels.get(i), MAX_LABEL_CHARS);
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
        static Axis rows(List<String> labels, double pitch, boolean numbered) {
            return fitted(labels, pitch, numbered, (style, widest) -> style.size * LINE_SPACING);
        }

        /** Level column labels need their width and a small gap. */
        static Axis horizontalColumns(List<String> labels, double pitch, boolean numbered) {
            return fitted(labels, pitch, numbered, (style, widest) -> widest + 6);
        }

        /** Labels at 45° are a line apart across the slant: pitch · sin 45° ≥ line. */
        static Axis rotatedColumns(List<String> labels, double pitch) {
            return fitted(labels, pitch, false, (style, widest) -> style.size * LINE_SPACING / DIAGONAL);
        }

        /**
         * The largest font from 12 px down in which every label fits its cell; if none does, the
         * smallest font with every n-th label (index labels: at least 10 px and more room, since a
         * wall of numbers says nothing that a few do not).
         */
        private static Axis fitted(List<String> labels, double pitch, boolean numbered, Room needed) {
            int smallest = numbered ? MIN_INDEX_FONT : MIN_LABEL_FONT;
            double spacing = numbered ? INDEX_SPACING : 1;
            Axis axis = null;
            for (int size = MAX_LABEL_FONT; size >= smallest; size--) {
                axis = new Axis(labels, pitch, TextStyle.plain(size), spacing, needed);
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

        double maxShownWidth() {
            double max = 0;
            for (int i = 0; i < texts.length; i += stride) {
                max = Math.max(max, widths[i]);
            }
            return max;
        }

        String label(int i) {
            return texts[i];
        }

        double width(int i) {
            return widths[i];
        }

        String fullLabel(int i) {
            return clean(full.get(i), Integer.MAX_VALUE);
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

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
