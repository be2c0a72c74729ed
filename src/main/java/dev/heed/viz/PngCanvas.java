package dev.heed.viz;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * Draws into a {@link BufferedImage} of {@link BufferedImage#TYPE_INT_RGB} — no window, no toolkit,
 * so it works headless. Rectangles are written straight into the pixels, exact; only text is
 * drawn through {@link Graphics2D}, antialiased.
 */
final class PngCanvas implements Canvas {
    private final BufferedImage image;
    private final int[] pixels;
    private final Graphics2D graphics;

    PngCanvas(BufferedImage image) {
        if (image.getType() != BufferedImage.TYPE_INT_RGB) {
            throw new IllegalArgumentException("PngCanvas draws on TYPE_INT_RGB images, got type " + image.getType());
        }
        this.image = image;
        this.pixels = ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
        this.graphics = image.createGraphics();
        graphics.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        graphics.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
        graphics.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
    }

    @Override
    public void fill(int x, int y, int width, int height, int rgb) {
        int x0 = Math.max(0, x);
        int y0 = Math.max(0, y);
        int x1 = Math.min(image.getWidth(), x + width);
        int y1 = Math.min(image.getHeight(), y + height);
        int w = image.getWidth();
        for (int py = y0; py < y1 && x0 < x1; py++) {
            Arrays.fill(pixels, py * w + x0, py * w + x1, rgb & 0xFFFFFF);
        }
    }

    @Override
    public void cells(
            int x,
            int y,
            int cellWidth,
            int cellHeight,
            int rows,
            int columns,
            int[] rgb,
            IntFunction<String> tooltip) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < columns; j++) {
                fill(x + j * cellWidth, y + i * cellHeight, cellWidth, cellHeight, rgb[i * columns + j]);
            }
        }
    }

    @Override
    public void colorBar(int x, int y, int width, int height, ColorMap map) {
        for (int p = 0; p < height; p++) {
            fill(x, y + p, width, 1, map.rgb(1 - (p + 0.5) / height));
        }
    }

    @Override
    public void text(String text, double x, double y, TextStyle style, Anchor anchor, boolean rotated, int rgb) {
        double shift = anchor == Anchor.START ? 0 : anchor == Anchor.MIDDLE ? style.width(text) / 2 : style.width(text);
        AffineTransform saved = graphics.getTransform();
        if (rotated) {
            graphics.rotate(-Math.PI / 4, x, y);
        }
        graphics.setFont(style.font);
        graphics.setColor(new Color(rgb));
        graphics.drawString(text, (float) (x - shift), (float) y);
        graphics.setTransform(saved);
    }

    /** Releases the graphics context; the image keeps what was drawn. */
    void dispose() {
        graphics.dispose();
    }
}
