package dev.heed.viz;

import java.util.function.IntFunction;

/**
 * What a {@link Painter} draws on: the PNG ({@link PngCanvas}) and the SVG ({@link SvgCanvas}) take
 * the same calls, so both formats share one layout. Coordinates are pixels, y pointing down.
 */
interface Canvas {
    /** How text sits on its anchor point. */
    enum Anchor {
        START,
        MIDDLE,
        END
    }

    /** Fills a rectangle with {@code rgb} ({@code 0xRRGGBB}). */
    void fill(int x, int y, int width, int height, int rgb);

    /**
     * A block of {@code rows × columns} cells of {@code cellWidth × cellHeight} pixels from
     * {@code (x, y)}, cell {@code (i, j)} coloured {@code rgb[i·columns + j]}.
     *
     * @param tooltip the hover text of cell {@code i·columns + j}, or null for none
     */
    void cells(
            int x, int y, int cellWidth, int cellHeight, int rows, int columns, int[] rgb, IntFunction<String> tooltip);

    /** A vertical bar through {@code map}: its first colour at the bottom, its last at the top. */
    void colorBar(int x, int y, int width, int height, ColorMap map);

    /**
     * Text with its baseline through {@code (x, y)} and {@code anchor} at x; {@code rotated} turns
     * it 45° counter-clockwise about {@code (x, y)}, so that it reads upwards to the right.
     */
    void text(String text, double x, double y, TextStyle style, Anchor anchor, boolean rotated, int rgb);
}
