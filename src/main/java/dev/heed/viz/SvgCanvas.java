package dev.heed.viz;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.Locale;
import java.util.function.IntFunction;
import javax.imageio.ImageIO;

/**
 * Writes SVG 1.1 as text. Each cell is a {@code <rect class="cell">} with a {@code <title>} that a
 * browser shows on hover, up to {@link #MAX_CELL_RECTS} cells; a larger block of cells becomes one
 * embedded PNG image with a pixel per cell, drawn without smoothing, which keeps the file small.
 */
final class SvgCanvas implements Canvas {
    /** Above this many cells, cells are one embedded image: a 64×64 map of rects is ~0.5 MB already. */
    static final int MAX_CELL_RECTS = 64 * 64;

    /** The fonts the SVG asks for, first the one the layout was measured with. */
    static final String FONT_FAMILY = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif";

    /** Colour bar gradient stops: every 4th colour of the map (and the last) is smooth to the eye. */
    private static final int GRADIENT_STEP = 4;

    private final StringBuilder out = new StringBuilder();
    private int gradients;

    SvgCanvas(int width, int height) {
        out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
                .append("<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"")
                .append(" version=\"1.1\" width=\"")
                .append(width)
                .append("\" height=\"")
                .append(height)
                .append("\" viewBox=\"0 0 ")
                .append(width)
                .append(' ')
                .append(height)
                .append("\" font-family=\"")
                .append(FONT_FAMILY)
                .append("\">\n");
    }

    @Override
    public void fill(int x, int y, int width, int height, int rgb) {
        rect(x, y, width, height, rgb, null);
        out.append("/>\n");
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
        if ((long) rows * columns > MAX_CELL_RECTS) {
            embed(x, y, cellWidth * columns, cellHeight * rows, rows, columns, rgb);
            return;
        }
        out.append("<g shape-rendering=\"crispEdges\">\n");
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < columns; j++) {
                int k = i * columns + j;
                rect(x + j * cellWidth, y + i * cellHeight, cellWidth, cellHeight, rgb[k], "cell");
                if (tooltip == null) {
                    out.append("/>\n");
                } else {
                    out.append("><title>").append(escape(tooltip.apply(k))).append("</title></rect>\n");
                }
            }
        }
        out.append("</g>\n");
    }

    private void embed(int x, int y, int width, int height, int rows, int columns, int[] rgb) {
        BufferedImage image = new BufferedImage(columns, rows, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, columns, rows, rgb, 0, columns);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", png);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a memory stream does not fail
        }
        out.append("<image class=\"cells\" x=\"")
                .append(x)
                .append("\" y=\"")
                .append(y)
                .append("\" width=\"")
                .append(width)
                .append("\" height=\"")
                .append(height)
                .append("\" preserveAspectRatio=\"none\" image-rendering=\"optimizeSpeed\"")
                .append(" style=\"image-rendering:pixelated\" xlink:href=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(png.toByteArray()))
                .append("\"/>\n");
    }

    @Override
    public void colorBar(int x, int y, int width, int height, ColorMap map) {
        String id = "heed-" + map.name() + "-" + gradients++;
        out.append("<defs><linearGradient id=\"").append(id).append("\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">\n");
        int last = map.size() - 1;
        for (int k = 0; k <= last; k = k == last ? last + 1 : Math.min(k + GRADIENT_STEP, last)) {
            out.append("<stop offset=\"")
                    .append(number((double) k / last))
                    .append("\" stop-color=\"")
                    .append(ColorMap.hex(map.color(k)))
                    .append("\"/>\n");
        }
        out.append("</linearGradient></defs>\n");
        out.append("<rect class=\"colorbar\" x=\"")
                .append(x)
                .append("\" y=\"")
                .append(y)
                .append("\" width=\"")
                .append(width)
                .append("\" height=\"")
                .append(height)
                .append("\" fill=\"url(#")
                .append(id)
                .append(")\"/>\n");
    }

    @Override
    public void text(String text, double x, double y, TextStyle style, Anchor anchor, boolean rotated, int rgb) {
        out.append("<text x=\"")
                .append(number(x))
                .append("\" y=\"")
                .append(number(y))
                .append("\" font-size=\"")
                .append(style.size)
                .append('"');
        if (style.bold) {
            out.append(" font-weight=\"bold\"");
        }
        if (anchor != Anchor.START) {
            out.append(" text-anchor=\"")
                    .append(anchor == Anchor.MIDDLE ? "middle" : "end")
                    .append('"');
        }
        if (rotated) {
            out.append(" transform=\"rotate(-45 ")
                    .append(number(x))
                    .append(' ')
                    .append(number(y))
                    .append(")\"");
        }
        if (rgb != 0) {
            out.append(" fill=\"").append(ColorMap.hex(rgb)).append('"');
        }
        out.append('>').append(escape(text)).append("</text>\n");
    }

    /** Opens a rect element, leaving it for the caller to close. */
    private void rect(int x, int y, int width, int height, int rgb, String cssClass) {
        out.append("<rect");
        if (cssClass != null) {
            out.append(" class=\"").append(cssClass).append('"');
        }
        out.append(" x=\"")
                .append(x)
                .append("\" y=\"")
                .append(y)
                .append("\" width=\"")
                .append(width)
                .append("\" height=\"")
                .append(height)
                .append("\" fill=\"")
                .append(ColorMap.hex(rgb))
                .append('"');
    }

    /** The finished document. */
    String finish() {
        return out + "</svg>\n";
    }

    /** Escapes the five XML special characters; the text is already free of control characters. */
    static String escape(String text) {
        StringBuilder s = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> s.append("&lt;");
                case '>' -> s.append("&gt;");
                case '&' -> s.append("&amp;");
                case '"' -> s.append("&quot;");
                case '\'' -> s.append("&apos;");
                default -> s.append(c);
            }
        }
        return s.toString();
    }

    /** A coordinate with at most two decimals, no exponent, no locale. */
    private static String number(double v) {
        String s = String.format(Locale.ROOT, "%.2f", v);
        s = s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
        return s.equals("-0") ? "0" : s;
    }
}
