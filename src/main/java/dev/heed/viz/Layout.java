package dev.heed.viz;

import java.util.List;

/**
 * The geometry of a chart — one or more heatmap panels of the same shape, labels, a title and a
 * colour bar — computed once in pixels, so that {@link Painter} draws the PNG and the SVG alike to
 * the pixel. Immutable.
 *
 * <p>Sizes adapt to the map: cells are square when they can be, {@link #MAX_CELL} pixels at most;
 * a panel's grid aims at {@link #SINGLE_TARGET} pixels (shared out among the panels of a row in a
 * grid); an axis longer than the grid cap is shown in blocks of cells ({@link Downsampler}). Token
 * labels shrink from 12 to 8 px to fit their cells, then thin out to every 2nd, 5th, 10th, …
 * label; column labels turn 45° when that shows more of them. Index labels (no tokens given) stay
 * level and thin out sooner ({@link AxisLabels}).
 */
final class Layout {
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
    static final TextStyle TITLE = TextStyle.bold(15);
    static final TextStyle PANEL_TITLE = TextStyle.bold(12);
    static final TextStyle TICK_LABEL = TextStyle.plain(11);

    /** What to draw; the chart has validated it. */
    record Spec(
            double[][] panels,
            int rows,
            int columns,
            List<String> rowLabels,
            List<String> columnLabels,
            String title,
            List<String> panelTitles,
            int panelsPerRow,
            Scale scale,
            int decimals,
            ColorMap map) {}

    final Spec spec;
    final int width;
    final int height;
    // cells
    final Downsampler blocks;
    final int rowBlock;
    final int columnBlock;
    final int shownRows;
    final int shownColumns;
    final int cellWidth;
    final int cellHeight;
    final int gridWidth;
    final int gridHeight;
    // labels
    final AxisLabels rowAxis;
    final AxisLabels columnAxis;
    private final boolean columnsRotated;
    /** The font of the values written in the cells, or null for none. */
    final TextStyle annotationStyle;
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
    final double[] ticks;

    Layout(Spec spec) {
        this.spec = spec;
        int panels = spec.panels.length;
        panelsPerRow = Math.min(spec.panelsPerRow, panels);
        int panelRows = Downsampler.ceilDiv(panels, panelsPerRow);
        int target = panels == 1 ? SINGLE_TARGET : Math.max(MIN_PANEL_GRID, ROW_TARGET / panelsPerRow);
        int maxGrid = panels == 1 ? SINGLE_MAX_GRID : target;

        blocks = new Downsampler(spec.rows, spec.columns, maxGrid);
        rowBlock = blocks.rowBlock;
        columnBlock = blocks.columnBlock;
        shownRows = blocks.shownRows;
        shownColumns = blocks.shownColumns;
        int cell = Math.max(1, Math.min(MAX_CELL, target / Math.max(shownRows, shownColumns)));
        cellWidth = stretch(cell, shownColumns);
        cellHeight = stretch(cell, shownRows);
        gridWidth = shownColumns * cellWidth;
        gridHeight = shownRows * cellHeight;

        double rowPitch = (double) cellHeight / rowBlock;
        double columnPitch = (double) cellWidth / columnBlock;
        boolean rowsNumbered = spec.rowLabels == null;
        boolean columnsNumbered = spec.columnLabels == null;
        List<String> columnLabels = LabelText.orIndices(spec.columnLabels, spec.columns);
        rowAxis = AxisLabels.rows(LabelText.orIndices(spec.rowLabels, spec.rows), rowPitch, rowsNumbered);
        AxisLabels horizontal = AxisLabels.horizontalColumns(columnLabels, columnPitch, columnsNumbered);
        AxisLabels rotated = AxisLabels.rotatedColumns(columnLabels, columnPitch);
        columnsRotated = !columnsNumbered && horizontal.stride > rotated.stride;
        columnAxis = columnsRotated ? rotated : horizontal;
        annotationStyle = spec.decimals >= 0 && blocks.identity() ? annotationStyle() : null;

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
        panelWidth = Math.max(
                gridLeft + gridWidth + right,
                spec.panelTitles == null ? 0 : (int) Math.ceil(PANEL_TITLE.maxWidth(spec.panelTitles)));
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
        return count * cell >= MIN_EXTENT
                ? cell
                : Math.max(cell, Math.min(MAX_CELL, Downsampler.ceilDiv(MIN_EXTENT, count)));
    }

    /** The largest font from 12 px down to 7 px in which every cell's value fits its cell, or null. */
    private TextStyle annotationStyle() {
        String widest = "";
        for (double[] panel : spec.panels) {
            for (double v : panel) {
                String s = LabelText.annotation(v, spec.decimals);
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

    /** The left edge of panel {@code k} (its grid starts {@link #gridLeft} further right). */
    int panelX(int k) {
        return PAD + (k % panelsPerRow) * (panelWidth + PANEL_GAP);
    }

    /** The top edge of panel {@code k} (its grid starts {@link #gridTop} further down). */
    int panelY(int k) {
        return PAD + titleBand + (k / panelsPerRow) * (panelHeight + PANEL_GAP);
    }
}
