package dev.heed.viz;

import dev.heed.viz.Canvas.Anchor;
import java.util.function.IntFunction;

/**
 * Draws a {@link Layout} on a {@link Canvas}: background, title, each panel's cells, ticks, labels
 * and values, then the colour bar and its ticks — the same calls in the same order for the PNG and
 * the SVG.
 */
final class Painter {
    static final int INK = 0x000000;
    static final int AXIS = 0x404040;
    static final int BACKGROUND = 0xFFFFFF;
    /** Values are written in black on cells lighter than this (0–255), in white on darker ones. */
    private static final int LIGHT_CELL = 140;

    private final Layout layout;
    private final Layout.Spec spec;
    private final Canvas canvas;

    private Painter(Layout layout, Canvas canvas) {
        this.layout = layout;
        this.spec = layout.spec;
        this.canvas = canvas;
    }

    /** Draws the whole chart of {@code layout} on {@code canvas}, which is {@code layout.width × layout.height}. */
    static void paint(Layout layout, Canvas canvas) {
        new Painter(layout, canvas).paint();
    }

    private void paint() {
        canvas.fill(0, 0, layout.width, layout.height, BACKGROUND);
        if (spec.title() != null) {
            canvas.text(
                    spec.title(),
                    layout.width / 2.0,
                    Layout.PAD + Layout.TITLE.ascent,
                    Layout.TITLE,
                    Anchor.MIDDLE,
                    false,
                    INK);
        }
        for (int k = 0; k < spec.panels().length; k++) {
            panel(k);
        }
        colourBar();
    }

    private void panel(int k) {
        int x = layout.panelX(k) + layout.gridLeft;
        int y = layout.panelY(k) + layout.gridTop;
        if (spec.panelTitles() != null) {
            canvas.text(
                    spec.panelTitles().get(k),
                    x + layout.gridWidth / 2.0,
                    layout.panelY(k) + Layout.PANEL_TITLE.ascent,
                    Layout.PANEL_TITLE,
                    Anchor.MIDDLE,
                    false,
                    INK);
        }
        double[] shown = layout.blocks.shown(spec.panels()[k]);
        int[] rgb = new int[shown.length];
        for (int c = 0; c < shown.length; c++) {
            rgb[c] = spec.map().rgb(spec.scale().fraction(shown[c]));
        }
        canvas.fill(x - 1, y - 1, layout.gridWidth + 2, layout.gridHeight + 2, AXIS);
        canvas.cells(
                x, y, layout.cellWidth, layout.cellHeight, layout.shownRows, layout.shownColumns, rgb, tooltips(shown));
        rowLabels(x, y);
        columnLabels(x, y + layout.gridHeight + 1);
        if (layout.annotationStyle != null) {
            values(x, y, shown, rgb);
        }
    }

    /** Ticks and labels left of the grid whose top left corner is {@code (x, y)}. */
    private void rowLabels(int x, int y) {
        AxisLabels axis = layout.rowAxis;
        for (int i : axis.shown()) {
            double centre = y + (i + 0.5) * axis.pitch;
            canvas.fill(x - 1 - Layout.TICK, (int) Math.floor(centre), Layout.TICK, 1, AXIS);
            canvas.text(
                    axis.label(i),
                    x - 1 - Layout.TICK - Layout.GAP,
                    axis.style.baselineFor(centre),
                    axis.style,
                    Anchor.END,
                    false,
                    INK);
        }
    }

    /** Ticks and labels below the grid that starts at {@code x} and whose frame ends above {@code below}. */
    private void columnLabels(int x, int below) {
        AxisLabels axis = layout.columnAxis;
        TextStyle style = axis.style;
        for (int j : axis.shown()) {
            double centre = x + (j + 0.5) * axis.pitch;
            canvas.fill((int) Math.floor(centre), below, 1, Layout.TICK, AXIS);
            if (layout.columnsRotated()) {
                double shift =
                        TextStyle.CAP_HEIGHT * style.size / 2 * Layout.DIAGONAL; // centres the letters on the tick
                canvas.text(
                        axis.label(j),
                        centre + shift,
                        below + Layout.TICK + Layout.GAP + shift,
                        style,
                        Anchor.END,
                        true,
                        INK);
            } else {
                canvas.text(
                        axis.label(j),
                        centre,
                        below + Layout.TICK + Layout.GAP + style.ascent,
                        style,
                        Anchor.MIDDLE,
                        false,
                        INK);
            }
        }
    }

    /** Each cell's value in its cell, dark on light colours and light on dark ones. */
    private void values(int x, int y, double[] shown, int[] rgb) {
        TextStyle style = layout.annotationStyle;
        for (int c = 0; c < shown.length; c++) {
            double cx = x + (c % layout.shownColumns + 0.5) * layout.cellWidth;
            double cy = y + (c / layout.shownColumns + 0.5) * layout.cellHeight;
            canvas.text(
                    LabelText.annotation(shown[c], spec.decimals()),
                    cx,
                    style.baselineFor(cy),
                    style,
                    Anchor.MIDDLE,
                    false,
                    luminance(rgb[c]) > LIGHT_CELL ? INK : BACKGROUND);
        }
    }

    /** The framed bar through the colour map, and its ticks and labels on the right. */
    private void colourBar() {
        int barX = layout.barX;
        int barY = layout.barY;
        int barHeight = layout.barHeight;
        canvas.fill(barX - 1, barY - 1, Layout.BAR_WIDTH + 2, barHeight + 2, AXIS);
        canvas.colorBar(barX, barY, Layout.BAR_WIDTH, barHeight, spec.map());
        for (double t : layout.ticks) {
            double y = barY + barHeight * (1 - spec.scale().fraction(t));
            int yi = Math.min(barY + barHeight - 1, (int) Math.floor(y));
            canvas.fill(barX + Layout.BAR_WIDTH + 1, yi, Layout.TICK, 1, AXIS);
            canvas.text(
                    spec.scale().label(t),
                    barX + Layout.BAR_WIDTH + 1 + Layout.TICK + Layout.GAP,
                    Layout.TICK_LABEL.baselineFor(yi + 0.5),
                    Layout.TICK_LABEL,
                    Anchor.START,
                    false,
                    INK);
        }
    }

    /** Hover texts for the SVG's cells: "query → key: weight"; none when cells are blocks. */
    private IntFunction<String> tooltips(double[] shown) {
        if (!layout.blocks.identity()) {
            return null;
        }
        int columns = layout.shownColumns;
        return c -> layout.rowAxis.fullLabel(c / columns) + " → " + layout.columnAxis.fullLabel(c % columns) + ": "
                + LabelText.fourDigits(shown[c]);
    }

    /** Rec. 709 luma of {@code 0xRRGGBB}, 0–255. */
    private static int luminance(int rgb) {
        return (int) (0.2126 * (rgb >> 16 & 0xFF) + 0.7152 * (rgb >> 8 & 0xFF) + 0.0722 * (rgb & 0xFF));
    }
}
